"""Widgets, charts and tables of the weight-initialization and activation-function pages: the
init and activation inputs, preset buttons, the variance argument, histogram rows per layer,
the depth profile and activation curves. Frames come in `ui.labels.labelled` (a `label` and a
`hue` column), so names are in the reader's language and colours follow the keys."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch

from core.activations import CurveFacts, curve, flat
from core.experiments import initialization as init
from core.experiments.initialization import DepthFacts, MnistFacts, PReLUFacts, SpreadFacts, SymmetryFacts
from core.nets import ACTIVATIONS, INITS
from core.spec import Spec
from ui import charts, labels, widgets
from ui.colors import color
from ui.i18n import number, t
from ui.widgets import spec_values, translated

COLUMNS = 3  # histogram panels per line: three fit beside the settings at 1024 px with the sidebar open
PANEL = 95  # px, a panel's width
NEGATIVE_SLOPE = ("leaky_relu", "prelu")  # the activations whose negative-side slope is a knob


def preset_buttons(prefix: str, presets: dict[str, Spec], text: str) -> None:
    """One button per preset; a click writes the preset spec's values into the widgets."""
    buttons = {n: (t(f"initialization.{text}_{n}"), spec_values(prefix, s)) for n, s in presets.items()}
    widgets.preset_buttons(prefix, buttons)


def init_inputs(prefix: str) -> dict:
    """The initializations to compare and their settings; returns the spec fields."""
    inits = st.multiselect(
        t("initialization.inits"), INITS, format_func=labels.namer("init"), **translated(f"{prefix}.inits")
    )
    c1, c2, c3 = st.columns(3)
    std = c1.number_input(
        t("initialization.init_std"),
        0.0,
        100.0,
        key=f"{prefix}.init_std",
        format="%g",
        step=0.01,
        disabled="normal" not in inits,
        help=t("initialization.init_std_help"),
    )
    value = c2.number_input(
        t("initialization.init_value"),
        -10.0,
        10.0,
        key=f"{prefix}.init_value",
        format="%g",
        step=0.01,
        disabled="constant" not in inits,
    )
    scale = c3.number_input(
        t("initialization.init_scale"),
        0.0,
        10.0,
        key=f"{prefix}.init_scale",
        format="%g",
        step=0.05,
        help=t("initialization.init_scale_help"),
    )
    return {"inits": tuple(inits), "init_std": float(std), "init_value": float(value), "init_scale": float(scale)}


def activation_input(prefix: str) -> str:
    """The activation of the compared networks, named in the reader's language."""
    return st.selectbox(
        t("common.activation"),
        ACTIVATIONS,
        format_func=labels.namer("activation"),
        **translated(f"{prefix}.activation"),
    )


def theory() -> None:
    """The variance argument behind Xavier and He."""
    st.markdown(t("initialization.theory"))
    st.latex(
        r"z_j = \sum_{i=1}^{n} w_{ij}\,x_i \quad\Rightarrow\quad \operatorname{Var}(z_j) = n\,\operatorname{Var}(w)\,\operatorname{Var}(x)"
    )
    st.markdown(t("initialization.theory_keep"))
    st.latex(
        r"\operatorname{Var}(w) = \frac{1}{n_\text{in}}\ \ \text{(Xavier, sigmoid/tanh)}"
        r"\qquad \operatorname{Var}(w) = \frac{2}{n_\text{in}}\ \ \text{(He, ReLU)}"
    )
    st.markdown(t("initialization.theory_forms"))
    st.latex(
        r"\text{Xavier uniform: } w \sim U\!\left[-\sqrt{\tfrac{6}{n_\text{in}+n_\text{out}}},"
        r"\sqrt{\tfrac{6}{n_\text{in}+n_\text{out}}}\right]"
        r"\qquad \text{He uniform: } w \sim U\!\left[-\sqrt{\tfrac{6}{n_\text{in}}}, \sqrt{\tfrac{6}{n_\text{in}}}\right]"
    )


def accuracy(frame: pd.DataFrame, digits: int = 1) -> pd.Series:
    """The `test_acc` column as percentages; blank where a run has none (stopped early)."""
    acc = frame["test_acc"] if "test_acc" in frame.columns else pd.Series(np.nan, index=frame.index)
    return acc.map(lambda a: f"{a:.{digits}%}" if pd.notna(a) else "")


def histogram_rows(hist: pd.DataFrame, stats: pd.DataFrame) -> None:
    """One chart of per-layer histograms per variant, as in the book's figures; a bar's tooltip
    gives its layer's statistics (the table below lists them all). A panel is named by a facet
    header: Vega cuts a narrow panel's title short, never a header."""
    for name, h in hist.groupby("label", sort=False):
        st.markdown(f"**{name}**")
        s = stats.loc[stats.label == name, ["layer", "mean", "act_std", "flat", "dead"]]
        panels = h[["layer", "left", "right", "share"]].merge(s, on="layer")
        heads = {n: t("initialization.layer_n", n=n) for n in sorted(h.layer.unique())}
        panels["panel"] = panels.layer.map(heads)
        st.altair_chart(histogram_chart(panels, color(h["hue"].iloc[0]), y_cap(h), list(heads.values())))


def y_cap(h: pd.DataFrame) -> float:
    """The top of the y-axis for one row of histograms. A lone spike (ReLU's zeros) would flatten
    every other bar, so like the book's ReLU figure the axis is cut above the other bars and the
    spike is labelled with its height."""
    tops = []
    for _, g in h.groupby("layer"):
        ordered = np.sort(g.share.to_numpy())[::-1]
        spike = len(ordered) > 1 and ordered[0] > 3 * ordered[1] > 0
        tops.append(ordered[1] * 1.5 if spike else ordered[0])
    return float(max(tops)) or 1.0


def histogram_chart(h: pd.DataFrame, hue: str, top: float, panels: list[str]) -> alt.FacetChart:
    """The `panel` column's histograms side by side, COLUMNS to a line, each on its own x-axis."""
    base = alt.Chart().encode(
        x=alt.X("left:Q", title=None, scale=alt.Scale(zero=False, nice=False), axis=alt.Axis(tickCount=3)),
        tooltip=[
            alt.Tooltip("left:Q", format=".3~g", title=t("initialization.from")),
            alt.Tooltip("right:Q", format=".3~g", title=t("initialization.to")),
            alt.Tooltip("share:Q", format=".1%", title=t("initialization.share")),
            alt.Tooltip("mean:Q", format=".3~g", title=t("initialization.col_mean")),
            alt.Tooltip("act_std:Q", format=".3~g", title=t("initialization.col_std")),
            alt.Tooltip("flat:Q", format=".0%", title=t("initialization.col_flat")),
            alt.Tooltip("dead:Q", format=".0%", title=t("initialization.col_dead")),
        ],
    )
    bars = base.mark_rect(color=hue, clip=True).encode(
        x2="right:Q",
        y=alt.Y("share:Q", title=None, scale=alt.Scale(domain=[0, top]), axis=alt.Axis(format="%")),
        y2=alt.datum(0),
    )
    cut = base.transform_filter(alt.datum.share > top).mark_text(dy=8, dx=4, align="left", fontSize=10)
    cut = cut.encode(y=alt.datum(top), text=alt.Text("share:Q", format=".0%"))
    header = alt.Header(title=None, labelLimit=0, labelFontWeight="bold")
    chart = alt.layer(bars, cut, data=h).properties(width=PANEL, height=120)
    facet = alt.Facet("panel:N", sort=panels, header=header, title=None)
    return chart.facet(facet=facet, columns=COLUMNS).resolve_scale(x="independent")


def stats_table(stats: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("initialization.col_init"): stats["label"],
            t("initialization.col_layer"): stats["layer"],
            t("initialization.col_mean"): stats["mean"].map(number),
            t("initialization.col_std"): stats["act_std"].map(number),
            t("initialization.col_flat"): stats["flat"].map(lambda v: f"{v:.1%}"),
            t("initialization.col_dead"): stats["dead"].map(lambda v: f"{v:.0%}"),
        }
    )


def profile_charts(profile: pd.DataFrame) -> None:
    """Activation spread, gradient signal, dead units and weight gradient over the layers, dashed
    by phase (at initialization / after training); spreads and gradients on log axes."""
    p = labels.labelled(profile).assign(phase=lambda d: d.phase.map(lambda s: t(f"initialization.phase_{s}")))
    for col, metric in zip(st.columns(2) + st.columns(2), ("act_std", "signal", "dead", "grad_norm")):
        log_y = metric != "dead"
        shown = p[np.isfinite(p[metric]) & (p[metric] > 0)] if log_y else p
        title = t(f"initialization.profile_{metric}")
        chart = charts.lines(
            shown,
            "layer",
            metric,
            "label",
            x_title=t("initialization.col_layer"),
            y_title=title,
            log_y=log_y,
            dash="phase",
            height=280,
        )
        if not log_y:
            axis, domain = alt.Axis(format="%"), alt.Scale(domain=[0, 1])
            chart = chart.encode(y=alt.Y("dead:Q", title=title, axis=axis, scale=domain))
        col.altair_chart(chart.configure_legend(orient="bottom", columns=2), width="stretch")


def activation_chart(name: str, x: torch.Tensor, slope: float) -> alt.LayerChart:
    """f and f' of one activation, with the almost-flat region shaded."""
    knob = slope if name in NEGATIVE_SLOPE else None
    f, df = curve(name, x, knob)
    low = flat(name, df, knob).numpy()
    xs = x.numpy()
    lines = pd.concat(
        [
            pd.DataFrame({"x": xs, "value": f.numpy(), "curve": "f(x)"}),
            pd.DataFrame({"x": xs, "value": df.numpy(), "curve": "f′(x)"}),
        ]
    )
    step = float(xs[1] - xs[0])
    bands = pd.DataFrame({"x": xs[low] - step / 2, "x2": xs[low] + step / 2})
    shade = (
        alt.Chart(bands)
        .mark_rect(color="#d62728", opacity=0.12)
        .encode(x="x:Q", x2="x2:Q", tooltip=[alt.Tooltip("x:Q", format=".2f", title=t("activations.flat_region"))])
    )
    colors = alt.Scale(domain=["f(x)", "f′(x)"], range=[color(name), "#444444"])
    curves = (
        alt.Chart(lines)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("x:Q", title="x"),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("curve:N", scale=colors, title=None),
            strokeDash=alt.StrokeDash("curve:N", title=None),
            tooltip=["curve:N", alt.Tooltip("x:Q", format=".3~g"), alt.Tooltip("value:Q", format=".3~g")],
        )
    )
    return alt.layer(shade, curves).properties(height=230, title=labels.name("activation", name))


def spread_lesson(activation: str, facts: list[SpreadFacts], names: dict[str, str]) -> str:
    """The histograms' lesson: per variant, its first and deepest std, the per-layer ratio its
    verdict follows (with the thresholds), the book's reading where the settings are the book's,
    and what the textbook rule expected where the run shows otherwise."""
    said = []
    for f in facts:
        name, act = names[f.variant], labels.name("activation", activation)
        if f.depth == 1:
            said.append(t("initialization.spread_one", name=name, first=number(f.first_std)))
        else:
            said.append(
                t(
                    "initialization.spread_numbers",
                    name=name,
                    first=number(f.first_std),
                    last=number(f.last_std),
                    n=f.depth,
                    start=f.from_layer,
                    ratio=f"{f.per_layer:.0%}",
                )
            )
        limits = {
            "saturated": {"flat": f"{f.flat:.1%}", "limit": f"{init.SATURATED_SHARE:.0%}"},
            "bunched": {"limit": number(init.BUNCHED_STD)},
            "shrinks": {"limit": f"{init.STEADY_PER_LAYER:.0%}"},
            "grows": {"limit": f"{1 / init.STEADY_PER_LAYER:.0%}"},
            "steady": {"low": f"{init.STEADY_PER_LAYER:.0%}", "high": f"{1 / init.STEADY_PER_LAYER:.0%}"},
        }.get(f.verdict, {})
        if f.depth > 1 or f.verdict not in ("steady", "shrinks", "grows"):  # a trend needs two layers
            said.append(t(f"initialization.verdict_{f.verdict}", **limits))
        if f.book:
            figure, book = f.book
            reading = t(f"initialization.reading_{f.verdict}")
            key = "book_same" if book == f.verdict else "book_differs"
            said.append(
                t(f"initialization.{key}", figure=figure, book=t(f"initialization.reading_{book}"), reading=reading)
            )
        if not f.expected:
            case = f.reason or ("matched_fails" if f.matched else "unmatched_steady")
            said.append(t(f"initialization.spread_{case}", name=name, activation=act))
    return " ".join(said)


def depth_lesson(activation: str, facts: list[DepthFacts], names: dict[str, str]) -> str:
    """The depth profile's lesson: per variant, the gradient at the last and the first hidden
    layer and per layer, whether it stays level, vanishes or explodes, why, and where the
    textbook pairing of init and activation does not predict the run."""
    if not facts:
        return ""
    said = [t(f"initialization.depth_phase_{facts[0].phase}")]
    band = number(init.GRADIENT_BAND)
    for f in facts:
        name, act = names[f.variant], labels.name("activation", activation)
        if f.trend == "no_gradient":
            said.append(t("initialization.depth_no_gradient", name=name))
            continue
        numbers = {"first": number(f.first, 3), "last": number(f.last, 3), "n": f.depth}
        said.append(t("initialization.depth_numbers", name=name, factor=number(f.per_layer, 3), **numbers))
        said.append(t(f"initialization.trend_{f.trend}", band=band))
        if f.reason:
            said.append(
                t(
                    f"initialization.reason_{f.reason}",
                    factor=number(f.per_layer, 3),
                    total=number(f.first / f.last, 3) if f.last > 0 else "∞",
                    n=f.depth - 1 if f.reason == "sigmoid_slope" else f.depth,
                    flat=f"{f.flat:.0%}",
                    dead=f"{f.dead:.0%}",
                    scale=number(f.scale),
                    act_first=number(f.act_first, 3),
                    act_last=number(f.act_last, 3),
                )
            )
        if not f.expected and f.reason != "sigmoid_slope":
            unmatched = "depth_unmatched_saturated" if f.reason == "saturated" else "depth_unmatched_steady"
            key = "depth_matched_fails" if f.matched else unmatched
            said.append(t(f"initialization.{key}", name=name, activation=act))
    return " ".join(said)


def symmetry_lesson(facts: list[SymmetryFacts], names: dict[str, str], steps: int) -> str:
    """The symmetry lesson: which variants kept one unit per layer and which broke the symmetry
    (with their distinct units and accuracies), and any that did not do what their init predicts."""
    widths = " / ".join(map(str, facts[0].widths)) if facts else ""
    group = {
        case: ", ".join(names[f.variant] for f in facts if f.symmetric == (case == "symmetric"))
        for case in ("symmetric", "broken")
    }
    said = []
    if group["symmetric"]:
        said.append(t("initialization.sym_symmetric", names=group["symmetric"], steps=steps, widths=widths))
    for f in (f for f in facts if not f.symmetric):
        distinct = " / ".join(map(str, f.distinct))
        said.append(t("initialization.sym_broken", names=names[f.variant], distinct=distinct, widths=widths))
    for f in (f for f in facts if not f.expected):
        case = "sym_unexpected_symmetric" if f.symmetric else "sym_unexpected_broken"
        said.append(t(f"initialization.{case}", names=names[f.variant]))
    scores = [f"{names[f.variant]} ({f.accuracy:.1%})" for f in facts if f.accuracy == f.accuracy]
    if scores:
        said.append(t("initialization.sym_accuracy", accuracies=", ".join(scores)))
    return " ".join(said)


def mnist_lesson(facts: MnistFacts, names: dict[str, str], several: bool) -> str:
    """The MNIST comparison's lesson: the best variant and its smoothed loss, those stuck at
    chance, the book's figure 6-15 beside the run where the settings are the book's."""
    said = [t("initialization.mnist_best", name=names[facts.best], loss=number(facts.best_loss))] if facts.best else []
    if facts.stuck:
        stuck = ", ".join(f"{names[v]} ({number(x)})" for v, x in zip(facts.stuck, facts.stuck_losses))
        said.append(t("initialization.mnist_stuck", names=stuck))
    if facts.book:
        said.append(t(f"initialization.mnist_book_{'same' if facts.agrees else 'differs'}", figure=facts.book))
    if not several:
        said.append(t("initialization.mnist_more"))
    return " ".join(said)


def curves_lesson(facts: list[CurveFacts]) -> str:
    """The activation curves' lesson, from the curves drawn on the range drawn: each one's
    steepest slope and flat share, those whose slope never reaches 1, and the pairing rule."""
    said = []
    for f in facts:
        name, steepest = labels.name("activation", f.name), number(f.steepest, 3)
        if f.flat_from is None:
            said.append(t("activations.curve_no_flat", name=name, steepest=steepest))
        else:
            edge = f"{f.flat_from:.2f}"
            said.append(t("activations.curve_facts", name=name, steepest=steepest, flat=f"{f.flat:.0%}", edge=edge))
    below = [labels.name("activation", f.name) for f in facts if 0 < f.steepest < 1 - 1e-9]
    if below:
        said.append(t("activations.curve_below_one", names=", ".join(below)))
    return " ".join([*said, t("activations.curve_rule")])


def prelu_lesson(facts: PReLUFacts, names: dict[str, str]) -> str:
    """PReLU's lesson: the learned slopes and how far they moved, and the accuracy gap between
    the best and the worst of the ReLU family on this run."""
    slopes = ", ".join(number(a, 3) for a in facts.slopes)
    said = [t("activations.prelu_slopes", steps=facts.step, slopes=slopes, n=len(facts.slopes))]
    said.append(t(f"activations.prelu_{'learned' if facts.learned else 'still'}", moved=number(facts.moved, 3)))
    if facts.best is not None:
        said.append(
            t(
                "activations.prelu_accuracy",
                best=names[facts.best],
                worst=names[facts.worst],
                best_acc=f"{facts.best_acc:.2%}",
                worst_acc=f"{facts.worst_acc:.2%}",
            )
        )
        gap = f"{100 * (facts.best_acc - facts.worst_acc):.2f}"
        key = "prelu_tie" if facts.tie else "prelu_gap"
        said.append(t(f"activations.{key}", tie=number(100 * init.ACCURACY_TIE), gap=gap))
    return " ".join(said)
