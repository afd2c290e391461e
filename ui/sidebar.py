"""The sidebar every page shares: language, compute device, result store."""

from __future__ import annotations

import streamlit as st

from core.store import clear_policy
from core.train import device
from ui import runner
from ui.i18n import LANGS, browser_lang, t


def language() -> None:
    """English / 한국어 switch; the first visit follows the browser's locale."""
    if st.session_state.get("lang") not in LANGS:
        st.session_state["lang"] = browser_lang()
    st.sidebar.radio("Language / 언어", list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)


def status() -> None:
    with st.sidebar.expander(t("common.sidebar_status"), expanded=False):
        st.caption(t("common.device", device=str(device())))
        store = runner.store()
        entries = store.entries()
        st.caption(t("common.store_status", n=len(entries), path=str(store.path)))
        policy = clear_policy()
        if policy == "none":
            st.caption(t("common.clear_disabled"))
            return
        label = t("common.clear_all") if policy == "all" else t("common.clear_own")
        if st.button(label, key="clear-store", disabled=entries.empty):
            n = store.clear(runner.owner())
            st.cache_data.clear()
            st.toast(t("common.cleared", n=n))
