"""Activation functions: f and its slope f′, where that slope is almost zero (hardly any gradient
passes), and PReLU learning its own negative slope on MNIST."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from core.activations import CURVES, FLAT, curve_facts
from core.experiments.initialization import PReLUSlopes, prelu_facts
from core.nets import LEAKY_SLOPE
from ui import charts, labels, runner
from ui.i18n import t
from ui.init_views import NEGATIVE_SLOPE, accuracy, activation_chart, curves_lesson, prelu_lesson
from ui.widgets import defaults, guard, lesson, spec_values, translated

P = "activations"  # widget-key prefix


def curves_section() -> None:
    """Each chosen function's curve and slope, two per line, with what to notice about it."""
    defaults({f"{P}.names": ["sigmoid", "tanh", "relu", "leaky_relu"], f"{P}.slope": LEAKY_SLOPE, f"{P}.range": 6.0})
    c1, c2, c3 = st.columns([3, 1, 1])
    names = c1.multiselect(
        t("activations.activations"), CURVES, format_func=labels.namer("activation"), **translated(f"{P}.names")
    )
    slope = c2.number_input(
        t("activations.leaky_slope"),
        0.0,
        1.0,
        key=f"{P}.slope",
        format="%g",
        step=0.01,
        help=t("activations.leaky_slope_help"),
    )
    reach = c3.number_input(t("activations.x_range"), 1.0, 50.0, key=f"{P}.range", format="%g")
    if not names:
        st.info(t("activations.pick_activation"))
        return
    x = torch.linspace(-reach, reach, 601, dtype=torch.float64)
    for start in range(0, len(names), 2):
        for col, name in zip(st.columns(2), names[start : start + 2]):
            col.altair_chart(activation_chart(name, x, slope), width="stretch")
            col.caption(t(f"activations.explain_{name}"))
    st.caption(t("activations.flat_note", pct=f"{FLAT:.0%}"))
    knob = {name: slope if name in NEGATIVE_SLOPE else None for name in names}
    lesson(curves_lesson([curve_facts(name, x, knob[name]) for name in names]))


def prelu_section() -> None:
    """PReLU learns its negative slope: ReLU, Leaky ReLU and PReLU nets trained side by side."""
    st.markdown(f"#### {t('activations.prelu_title')}")
    st.markdown(t("activations.prelu_intro"))
    defaults(spec_values(P, PReLUSlopes()))
    steps = st.columns([1, 3])[0].number_input(t("common.iterations"), 1, 5000, key=f"{P}.iterations")
    spec = guard(lambda: PReLUSlopes(iterations=int(steps), every=max(1, int(steps) // 24)))
    st.caption(t("activations.prelu_setup", sizes=" - ".join(map(str, (784, *spec.hidden, 10))), n=spec.n_train))
    result = runner.result_or_button(spec, t("activations.train"), key=f"{P}.train")
    if result is None or "slopes" not in result.frames:
        return
    slopes = result.frames["slopes"].assign(layer=lambda d: d.layer.map(lambda n: t("activations.layer_n", n=n)))
    left, right = st.columns(2)
    chart = charts.lines(
        slopes, "step", "slope", "layer", x_title=t("common.iteration"), y_title=t("activations.prelu_slope")
    )
    left.altair_chart(chart, width="stretch")
    summary = labels.labelled(result.frames["summary"])
    table = pd.DataFrame({t("common.activation"): summary["label"], t("activations.test_acc"): accuracy(summary, 2)})
    right.dataframe(table, hide_index=True, width="stretch")
    facts = prelu_facts(result.frames["slopes"], result.frames["summary"])
    lesson(prelu_lesson(facts, labels.variant_names(summary)))


st.title(t("activations.title"))
st.markdown(t("activations.intro"))
curves_section()
prelu_section()
