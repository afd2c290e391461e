"""The sidebar every page shares: language, compute device, result store."""

from __future__ import annotations

import streamlit as st

from core import device
from core.store import clear_policy
from ui import runner
from ui.i18n import LANGS, browser_lang, t
from ui.widgets import translated


def language() -> None:
    """English / 한국어 switch; the first visit follows the browser's locale."""
    if st.session_state.get("lang") not in LANGS:
        st.session_state["lang"] = browser_lang()
    st.sidebar.radio("Language / 언어", list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)


def status() -> str | None:
    """The store's state and the compute device; returns this visitor's device choice (None:
    the process default, `$LAB_DEVICE`), which the page then runs under (`core.device.using`)."""
    with st.sidebar.expander(t("common.sidebar_status"), expanded=False):
        chosen = device_choice()
        store_status()
    return chosen


def device_choice() -> str | None:
    """A choice among the devices present where there are several; says which device runs, and
    when `$LAB_DEVICE` asks for one this machine lacks."""
    present = device.present()
    chosen = None
    if len(present) > 1:
        start = device.choice() if device.choice() in device.CHOICES and not device.unusable() else "auto"
        chosen = st.selectbox(
            t("common.device_choice"),
            ["auto", *present],
            format_func=lambda d: t(f"common.device_{d}"),
            **translated("device", default=start),
        )
    with device.using(chosen):
        missing = device.unusable()
        st.caption(t("common.device", device=str(device.current())))
    if missing:
        st.warning(t("common.device_missing", device=missing))
    return chosen


def store_status() -> None:
    store = runner.store()
    entries = store.entries()
    policy = clear_policy()
    if policy == "all":  # a laptop: the owner may want the file; a shared server keeps its paths to itself
        st.caption(t("common.store_status", n=len(entries), path=str(store.path)))
    else:
        st.caption(t("common.store_count", n=len(entries)))
    if policy == "none":
        st.caption(t("common.clear_disabled"))
        return
    label = t("common.clear_all") if policy == "all" else t("common.clear_own")
    if st.button(label, key="clear-store", disabled=entries.empty):
        keys = store.entries()["key"].tolist()
        n = store.clear(runner.owner())
        runner.forget(sorted(set(keys) - set(store.entries()["key"])))
        st.toast(t("common.cleared", n=n))
