"""Widgets and page pieces that several pages share."""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Callable

import pandas as pd
import streamlit as st
import torch

from core import data, device
from core.optimizers import METHODS, Hyper, OptimizerSpec
from core.spec import Spec
from ui import labels, links
from ui.i18n import lang, t

NET_ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus", "prelu", "linear")


def apply_preset(values: dict) -> Callable[[], None]:
    """An on_click callback that writes widget values into the session before widgets render."""

    def callback() -> None:
        for key, value in values.items():
            st.session_state[key] = value

    return callback


def spec_values(prefix: str, spec: Spec, **extra) -> dict:
    """Widget values that show `spec`: `<prefix>.<field>` for each field (widget keys equal the
    spec's field names; tuples become lists, as multiselects hold them), plus `extra` for widgets
    that are not one field (`<prefix>.<name>`). Presets, "reset to preset" and a page's first
    values all come from here, so they cannot drift from the spec."""
    values = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)} | extra
    return {f"{prefix}.{k}": list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def defaults(values: dict) -> None:
    """Give widgets their first values (a preset) without fighting the user's later changes;
    a link that just arrived sets its own values first (`ui.links`)."""
    links.take(values)
    for key, value in values.items():
        st.session_state.setdefault(key, value)


def translated(key: str, default=None) -> dict:
    """Keyword arguments for a choice widget (radio, selectbox, multiselect, ...) whose option
    labels are translated. Streamlit's frontend matches the chosen option by its label, so after a
    language switch the same key would show no or a stale choice; each language therefore gets its
    own widget key, seeded from and written back to the language-neutral `key` (which presets set).
    `default`, if given, is the first value of `key`."""
    if default is not None:
        st.session_state.setdefault(key, default)
    mine = f"{key}.{lang()}"
    if key in st.session_state:
        st.session_state[mine] = st.session_state[key]

    def remember() -> None:
        st.session_state[key] = st.session_state[mine]

    return {"key": mine, "on_change": remember}


def preset_buttons(prefix: str, presets: dict[str, tuple[str, dict]], per_row: int = 3) -> None:
    """One button per preset (name -> (label, widget values)), at most `per_row` to a row, keyed
    `<prefix>.preset.<name>`; a click writes the values into the widgets. A row is a horizontal
    container, not columns: where its labels do not fit (a laptop with the sidebar open, the
    longer Korean labels) it wraps instead of cutting them, and its buttons stretch to fill it."""
    items = list(presets.items())
    for start in range(0, len(items), per_row):
        with st.container(horizontal=True):
            for name, (label, values) in items[start : start + per_row]:
                st.button(label, key=f"{prefix}.preset.{name}", on_click=apply_preset(values), width="stretch")


def tabs(key: str, titles: dict[str, str]) -> list:
    """`st.tabs` (name -> title) that stays on the open tab across a language switch: the open
    tab's language-neutral name is kept under `key`, and each language gets its own widget
    (Streamlit knows a tab by its title). Switching tabs reruns the page."""
    names, shown = list(titles), list(titles.values())
    wanted = links.tab(key, names)
    if wanted is not None:
        st.session_state[key] = wanted
    if st.session_state.get(key) not in names:
        st.session_state[key] = names[0]
    mine = f"{key}.{lang()}"

    def remember() -> None:
        st.session_state[key] = names[shown.index(st.session_state[mine])]

    default = shown[names.index(st.session_state[key])]
    return st.tabs(shown, default=default, key=mine, on_change=remember)


def hyper_input(h: Hyper, key: str, container=st) -> float:
    """A number box for one hyperparameter, bounded by its range."""
    label = t(f"optimizers.hp_{h.name}")
    return container.number_input(
        label,
        min_value=float(h.low),
        max_value=float(h.high),
        key=key,
        format="%g",
        step=None if h.log else 0.01,
    )


def optimizer_inputs(methods: list[str], prefix: str, skip: tuple[str, ...] = ()) -> list[OptimizerSpec]:
    """One expander per chosen optimizer with its formula and knobs; returns their specs."""
    specs = []
    for m in methods:
        method = METHODS[m]
        with st.expander(labels.name("method", m), expanded=False):
            st.latex(method.latex)
            st.caption(t(f"optimizers.explain_{m}"))
            cols = st.columns(3)
            values = {}
            hypers = [h for h in method.hypers if h.name not in skip]
            defaults({f"{prefix}.{m}.{h.name}": h.default for h in hypers})
            for i, h in enumerate(hypers):
                values[h.name] = hyper_input(h, f"{prefix}.{m}.{h.name}", cols[i % 3])
        specs.append(OptimizerSpec.of(m, **values))
    return specs


def dataset_select(key: str) -> str:
    """MNIST always; Fashion-MNIST when its files are present."""
    options = [d for d in data.DATASETS if data.available(d)]
    return st.selectbox(t("common.dataset"), options, format_func=lambda d: t(f"common.{d}"), **translated(key))


def csv_download(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(t("common.download_csv"), df.to_csv(index=False).encode(), f"{name}.csv", "text/csv", key=key)


def lesson(text: str) -> None:
    st.success(f"**{t('common.lesson')}** · {text}")


def float64_note() -> None:
    """Say so where a float64 computation leaves the chosen device for the CPU (Apple's MPS)."""
    dev = device.current()
    if not device.supports(dev, torch.float64):
        st.caption(t("common.float64_on_cpu", device=t(f"common.device_{dev.type}")))


def page_guard(run: Callable[[], None]) -> None:
    """Run a page; an error it did not handle (a stored result damaged in a way no check
    foresaw, say) becomes a message in the visitor's language instead of a traceback, and the
    traceback goes to the server's log. `LAB_STRICT=1` (the tests set it) lets it through, so a
    bug still fails them."""
    try:
        run()
    except Exception as err:
        if os.environ.get("LAB_STRICT"):
            raise
        traceback.print_exc()
        st.error(t("common.page_failed", error=type(err).__name__))


def guard(build: Callable[[], object]):
    """Build a spec from the widgets; on impossible settings show why (translated) and stop."""
    try:
        spec = build()
    except ValueError as err:
        if links.undo():  # a link's values: the page again, with its own first values
            st.rerun()
        st.warning(t("common.invalid_settings", error=str(err)))
        st.stop()
    links.built(spec)
    return spec
