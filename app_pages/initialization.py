"""Weight initialization: activation histograms (book figures 6-10 to 6-14), symmetry, the signal
over depth (vanishing and exploding gradients), the MNIST comparison (figure 6-15), and the
activation functions themselves."""

from __future__ import annotations

import dataclasses

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch

from core.activations import CURVES, FLAT, curve, flat
from core.experiments.initialization import DepthProfile, InitComparison, InitHistograms, PReLUSlopes, Symmetry
from core.nets import ACTIVATIONS, INITS, LEAKY_SLOPE
from core.spec import Result, Spec
from core.train import smoothed_loss
from ui import charts, runner
from ui.colors import color
from ui.i18n import number, t
from ui.widgets import apply_preset, csv_download, dataset_select, defaults, float64_note, guard, lesson, translated

H = "inithist"  # widget-key prefixes of the tabs
S = "initsym"
D = "initdepth"
M = "initmnist"
A = "initact"
COLUMNS = 5  # histogram panels per line


def act_label(name: str) -> str:
    return t(f"initialization.act_{name}")


def init_name(name: str) -> str:
    return t(f"initialization.init_{name}")


@st.cache_data(max_entries=64, show_spinner=False)
def quick(key: str, _spec: Spec) -> Result:
    """Experiments that take well under a second run right in the page, remembered by key."""
    return _spec.run()


def init_inputs(prefix: str, container=st) -> dict:
    """The initializations to compare and their settings; returns the spec fields."""
    inits = container.multiselect(
        t("initialization.inits"), INITS, format_func=init_name, **translated(f"{prefix}.inits")
    )
    c1, c2, c3 = container.columns(3)
    std = c1.number_input(
        t("initialization.init_std"),
        0.0,
        100.0,
        key=f"{prefix}.std",
        format="%g",
        step=0.01,
        disabled="normal" not in inits,
        help=t("initialization.init_std_help"),
    )
    value = c2.number_input(
        t("initialization.init_value"),
        -10.0,
        10.0,
        key=f"{prefix}.value",
        format="%g",
        step=0.01,
        disabled="constant" not in inits,
    )
    scale_ = c3.number_input(
        t("initialization.init_scale"),
        0.0,
        10.0,
        key=f"{prefix}.scale",
        format="%g",
        step=0.05,
        help=t("initialization.init_scale_help"),
    )
    return {"inits": tuple(inits), "init_std": float(std), "init_value": float(value), "init_scale": float(scale_)}


def activation_input(prefix: str, container=st, options=ACTIVATIONS) -> str:
    return container.selectbox(
        t("common.activation"), options, format_func=act_label, **translated(f"{prefix}.activation")
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


# ---------------------------------------------------------------- histograms (figures 6-10 to 6-14)

HIST_PRESETS = {
    "sigmoid_std1": ("sigmoid", ("normal",), 1.0),
    "sigmoid_std001": ("sigmoid", ("normal",), 0.01),
    "sigmoid_xavier": ("sigmoid", ("xavier",), 0.01),
    "tanh_xavier": ("tanh", ("xavier",), 0.01),
    "relu_three": ("relu", ("normal", "xavier", "he_normal"), 0.01),
}


def hist_values(activation: str, inits: tuple[str, ...], std: float) -> dict:
    return {
        f"{H}.activation": activation,
        f"{H}.inits": list(inits),
        f"{H}.std": std,
        f"{H}.value": 0.5,
        f"{H}.scale": 1.0,
        f"{H}.depth": 5,
        f"{H}.width": 100,
    }


def histograms_tab() -> None:
    st.markdown(t("initialization.hist_intro"))
    defaults(hist_values(*HIST_PRESETS["sigmoid_std1"]))
    cols = st.columns(len(HIST_PRESETS))
    for col, (name, values) in zip(cols, HIST_PRESETS.items()):
        col.button(
            t(f"initialization.preset_{name}"),
            key=f"{H}.preset.{name}",
            on_click=apply_preset(hist_values(*values)),
            width="stretch",
        )
    left, right = st.columns([1.2, 3])
    with left:
        activation = activation_input(H)
        init = init_inputs(H)
        c1, c2 = st.columns(2)
        depth = c1.number_input(t("initialization.layers"), 1, InitHistograms.MAX_DEPTH, key=f"{H}.depth")
        width = c2.number_input(t("common.width"), 1, 1000, key=f"{H}.width")
        spec = guard(lambda: InitHistograms(activation=activation, depth=int(depth), width=int(width), **init))
        st.caption(t("initialization.hist_setup", n=spec.n_samples, n_in=spec.n_in))
        float64_note()
    result = quick(spec.key(), spec)
    with right:
        draw_histograms(result)
    stats = result.frames["stats"]
    st.dataframe(stats_table(stats), hide_index=True, width="stretch")
    csv_download(stats, "init-histograms", key=f"{H}.csv")
    lesson(hist_lesson(spec, stats))


def draw_histograms(result: Result) -> None:
    hist, stats = result.frames["histogram"], result.frames["stats"]
    for name in hist["variant"].unique():
        st.markdown(f"**{name}**")
        h, s = hist[hist.variant == name], stats[stats.variant == name]
        top = y_cap(h)
        layers = sorted(h.layer.unique())
        for start in range(0, len(layers), COLUMNS):
            for col, layer in zip(st.columns(COLUMNS), layers[start : start + COLUMNS]):
                row = s[s.layer == layer].iloc[0]
                col.altair_chart(histogram_chart(h[h.layer == layer], name, top, layer), width="stretch")
                col.caption(
                    t("initialization.layer_stats", mean=number(row["mean"], 3), std=number(row["std"], 3))
                    + " · "
                    + t("initialization.layer_flat", flat=f"{row.flat:.0%}", dead=f"{row.dead:.0%}")
                )


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


def histogram_chart(h: pd.DataFrame, name: str, top: float, layer: int) -> alt.LayerChart:
    base = alt.Chart(h).encode(
        x=alt.X("left:Q", title=None, scale=alt.Scale(zero=False, nice=False)),
        tooltip=[
            alt.Tooltip("left:Q", format=".3~g", title=t("initialization.from")),
            alt.Tooltip("right:Q", format=".3~g", title=t("initialization.to")),
            alt.Tooltip("share:Q", format=".1%", title=t("initialization.share")),
        ],
    )
    bars = base.mark_rect(color=color(name), clip=True).encode(
        x2="right:Q",
        y=alt.Y("share:Q", title=None, scale=alt.Scale(domain=[0, top]), axis=alt.Axis(format="%")),
        y2=alt.datum(0),
    )
    cut = base.transform_filter(alt.datum.share > top).mark_text(dy=8, dx=4, align="left", fontSize=10)
    cut = cut.encode(y=alt.datum(top), text=alt.Text("share:Q", format=".0%"))
    return alt.layer(bars, cut).properties(height=150, title=t("initialization.layer_n", n=layer))


def stats_table(stats: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("initialization.col_init"): stats["variant"],
            t("initialization.col_layer"): stats["layer"],
            t("initialization.col_mean"): stats["mean"].map(number),
            t("initialization.col_std"): stats["std"].map(number),
            t("initialization.col_flat"): stats["flat"].map(lambda v: f"{v:.1%}"),
            t("initialization.col_dead"): stats["dead"].map(lambda v: f"{v:.0%}"),
        }
    )


def spread_verdict(activation: str, stds: np.ndarray, flats: np.ndarray) -> str:
    """Which story one row of histograms tells: saturated, bunched, shrinking, growing or steady."""
    if flats[-1] > 0.3 and activation in ("sigmoid", "tanh"):
        return "saturated"
    if stds[-1] < 1e-12:
        return "identical"
    ratio = stds[-1] / stds[0] if stds[0] > 0 else np.inf
    if activation in ("sigmoid", "tanh") and stds[-1] < 0.05:
        return "bunched"
    if ratio < 0.5:
        return "shrinks"
    if ratio > 2:
        return "grows"
    return "steady"


def hist_lesson(spec: InitHistograms, stats: pd.DataFrame) -> str:
    parts = []
    for name, g in stats.groupby("variant", sort=False):
        g = g.sort_values("layer")
        verdict = spread_verdict(spec.activation, g["std"].to_numpy(), g["flat"].to_numpy())
        parts.append(t(f"initialization.verdict_{verdict}", name=name))
    return " ".join(parts) + " " + t("initialization.hist_lesson_tail")


# ---------------------------------------------------------------- symmetry


def symmetry_tab() -> None:
    st.markdown(t("initialization.sym_intro"))
    base = Symmetry()
    preset = {
        f"{S}.activation": base.activation,
        f"{S}.inits": list(base.inits),
        f"{S}.value": base.init_value,
        f"{S}.width": base.hidden[0],
        f"{S}.steps": base.steps,
        f"{S}.lr": base.lr,
    }
    defaults(preset)
    left, right = st.columns([1.3, 2])
    with left:
        activation = activation_input(S)
        inits = st.multiselect(t("initialization.inits"), INITS, format_func=init_name, **translated(f"{S}.inits"))
        c1, c2 = st.columns(2)
        value = c1.number_input(t("initialization.init_value"), -10.0, 10.0, key=f"{S}.value", format="%g", step=0.01)
        width = c2.number_input(t("common.width"), 1, 200, key=f"{S}.width")
        steps = c1.number_input(t("common.steps"), 1, 5000, key=f"{S}.steps")
        lr = c2.number_input(t("common.learning_rate"), 0.0001, 10.0, key=f"{S}.lr", format="%g")
        spec = guard(
            lambda: Symmetry(
                activation=activation,
                inits=tuple(inits),
                init_value=float(value),
                hidden=(int(width),) * 2,
                steps=int(steps),
                every=max(1, int(steps) // 15),
                lr=float(lr),
            )
        )
        st.caption(t("initialization.sym_setup", n=spec.n_train, batch=spec.batch_size))
    with right:
        result = runner.result_or_button(spec, t("initialization.train"), key=f"{S}.train")
        if result is None or "units" not in result.frames:
            return
        units = result.frames["units"]
        layers = sorted(units.layer.unique())
        cols = st.columns(len(layers) + 1)
        for col, layer in zip(cols, layers):
            chart = charts.lines(
                units[units.layer == layer],
                "step",
                "distinct",
                "variant",
                x_title=t("common.step"),
                y_title=t("initialization.distinct_units"),
                height=330,
            ).properties(title=t("initialization.layer_n", n=layer))
            col.altair_chart(chart.configure_legend(orient="bottom", columns=1), width="stretch")
        curves = result.frames["curves"]
        accuracy = charts.lines(
            curves[curves.metric == "test_acc"],
            "step",
            "value",
            "variant",
            x_title=t("common.step"),
            y_title=t("initialization.test_acc"),
            height=330,
        ).properties(title=t("initialization.test_acc"))
        cols[-1].altair_chart(accuracy.configure_legend(orient="bottom", columns=1), width="stretch")
        summary = result.frames["summary"]
        last = units[units.step == units.step.max()]
        table = pd.DataFrame(
            {
                t("initialization.col_init"): summary["variant"],
                t("initialization.distinct_final"): [
                    " / ".join(str(d) for d in last[last.variant == v].sort_values("layer")["distinct"])
                    + f" ({' / '.join(map(str, spec.hidden))})"
                    for v in summary["variant"]
                ],
                t("initialization.test_acc"): summary.get("test_acc", pd.Series([np.nan] * len(summary))).map(
                    lambda a: f"{a:.1%}"
                ),
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
    csv_download(units, "init-symmetry", key=f"{S}.csv")
    lesson(t("initialization.sym_lesson"))


# ---------------------------------------------------------------- vanishing and exploding


DEPTH_PRESETS = {
    "tanh": DepthProfile.presets()["tanh"],
    "sigmoid": DepthProfile.presets()["sigmoid"],
    "relu": DepthProfile.presets()["relu"],
    "linear_scale": DepthProfile.presets()["linear-scale"],
}


def depth_values(spec: DepthProfile) -> dict:
    return {
        f"{D}.activation": spec.activation,
        f"{D}.inits": list(spec.inits),
        f"{D}.std": spec.init_std,
        f"{D}.value": spec.init_value,
        f"{D}.scale": spec.init_scale,
        f"{D}.depth": spec.depth,
        f"{D}.width": spec.width,
        f"{D}.steps": spec.steps,
        f"{D}.lr": spec.lr,
    }


def depth_tab() -> None:
    st.markdown(t("initialization.depth_intro"))
    defaults(depth_values(DEPTH_PRESETS["tanh"]))
    cols = st.columns(len(DEPTH_PRESETS))
    for col, (name, spec) in zip(cols, DEPTH_PRESETS.items()):
        col.button(
            t(f"initialization.depth_preset_{name}"),
            key=f"{D}.preset.{name}",
            on_click=apply_preset(depth_values(spec)),
            width="stretch",
        )
    left, right = st.columns([1.3, 2])
    with left:
        activation = activation_input(D)
        init = init_inputs(D)
        depth = st.slider(t("initialization.layers"), 1, DepthProfile.MAX_DEPTH, key=f"{D}.depth")
        c1, c2, c3 = st.columns(3)
        width = c1.number_input(t("common.width"), 1, 500, key=f"{D}.width")
        steps = c2.number_input(t("common.steps"), 1, 500, key=f"{D}.steps")
        lr = c3.number_input(t("common.learning_rate"), 0.0001, 10.0, key=f"{D}.lr", format="%g")
        at_init = guard(
            lambda: DepthProfile(activation=activation, depth=int(depth), width=int(width), steps=0, **init)
        )
        trained = guard(lambda: dataclasses.replace(at_init, steps=int(steps), lr=float(lr)))
    with right:
        result = quick(at_init.key(), at_init)
        after = runner.result_or_button(trained, t("initialization.depth_train", steps=int(steps)), key=f"{D}.train")
        if after is not None and "profile" in after.frames:
            result = after
        draw_profile(result.frames["profile"])
        if after is not None and "summary" in after.frames:
            diverged = after.frames["summary"].dropna(subset=["diverged_at"])
            for row in diverged.itertuples():
                st.warning(f"{row.variant}: {t('common.diverged_at', step=int(row.diverged_at))}")
    csv_download(result.frames["profile"], "init-depth", key=f"{D}.csv")
    lesson(t("initialization.depth_lesson"))


def draw_profile(profile: pd.DataFrame) -> None:
    p = profile.copy()
    p["phase"] = p["phase"].map(lambda s: t(f"initialization.phase_{s}"))
    cols = st.columns(2) + st.columns(2)
    for col, metric in zip(cols, ("std", "signal", "dead", "grad_norm")):
        log_y = metric != "dead"
        shown = p[np.isfinite(p[metric]) & (p[metric] > 0)] if log_y else p
        chart = charts.lines(
            shown,
            "layer",
            metric,
            "variant",
            x_title=t("initialization.col_layer"),
            y_title=t(f"initialization.profile_{metric}"),
            log_y=log_y,
            dash="phase",
            height=280,
        )
        if not log_y:
            scale_ = alt.Scale(domain=[0, 1])
            axis = alt.Axis(format="%")
            chart = chart.encode(y=alt.Y("dead:Q", title=t("initialization.profile_dead"), axis=axis, scale=scale_))
        col.altair_chart(chart.configure_legend(orient="bottom", columns=2), width="stretch")
    st.caption(t("initialization.profile_note"))


# ---------------------------------------------------------------- MNIST (figure 6-15)


def mnist_tab() -> None:
    st.markdown(t("initialization.mnist_intro"))
    book = InitComparison()
    preset = {
        f"{M}.inits": list(book.inits),
        f"{M}.activations": list(book.activations),
        f"{M}.std": book.init_std,
        f"{M}.value": book.init_value,
        f"{M}.scale": 1.0,
        f"{M}.hidden": len(book.hidden),
        f"{M}.width": book.hidden[0],
        f"{M}.batch": book.batch_size,
        f"{M}.iterations": book.iterations,
        f"{M}.lr": book.lr,
    }
    defaults(preset)
    st.button(t("initialization.preset_mnist_book"), key=f"{M}.preset", on_click=apply_preset(preset))
    left, right = st.columns([1.3, 2])
    with left:
        dataset = dataset_select(f"{M}.dataset")
        activations = st.multiselect(
            t("initialization.activations"), ACTIVATIONS, format_func=act_label, **translated(f"{M}.activations")
        )
        init = init_inputs(M)
        c1, c2 = st.columns(2)
        depth = c1.number_input(t("common.hidden_layers"), 1, 10, key=f"{M}.hidden")
        width = c2.number_input(t("common.width"), 1, 1000, key=f"{M}.width")
        batch = c1.number_input(t("common.batch_size"), 1, 4096, key=f"{M}.batch")
        iterations = c2.number_input(t("common.iterations"), 1, 20000, key=f"{M}.iterations")
        lr = c1.number_input(t("common.learning_rate"), 0.0001, 10.0, key=f"{M}.lr", format="%g")
        init_scale = init.pop("init_scale")
        spec = guard(
            lambda: InitComparison(
                dataset=dataset,
                activations=tuple(activations),
                hidden=(int(width),) * int(depth),
                batch_size=int(batch),
                iterations=int(iterations),
                lr=float(lr),
                init_scale=init_scale,
                **init,
            )
        )
    with right:
        sizes = (784, *spec.hidden, 10)
        st.caption(t("initialization.mnist_setup", sizes=" - ".join(map(str, sizes)), n=len(spec.variants())))
        result = runner.result_or_button(spec, t("initialization.train"), key=f"{M}.train")
        if result is None or "curves" not in result.frames:
            return
        show_mnist(result)


def show_mnist(result: Result) -> None:
    curves = result.frames["curves"]
    c1, c2 = st.columns(2)
    window = c1.slider(t("initialization.smooth_window"), 1, 200, 50, key=f"{M}.window")
    log_y = c2.toggle(t("common.log_scale"), key=f"{M}.log")
    loss = smoothed_loss(curves, window)
    several = loss["activation"].nunique() > 1
    chart = charts.lines(
        loss,
        "step",
        "smoothed",
        "label",
        x_title=t("common.iteration"),
        y_title=t("initialization.smoothed_loss"),
        log_y=log_y,
        dash="activation" if several else None,
        tooltip_extra=("activation",),
    )
    st.altair_chart(chart, width="stretch")
    s = result.frames["summary"]
    table = pd.DataFrame(
        {
            t("initialization.col_init"): s["label"],
            t("common.activation"): s["activation"].map(act_label),
            t("initialization.smoothed_loss"): s["final_loss"].map(number),
            t("initialization.test_acc"): s.get("test_acc", pd.Series([np.nan] * len(s))).map(lambda a: f"{a:.2%}"),
            t("initialization.col_note"): [
                t("common.diverged_at", step=int(d)) if pd.notna(d) else "" for d in s["diverged_at"]
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    csv_download(curves, "init-mnist", key=f"{M}.csv")
    lesson(mnist_lesson(s))


def mnist_lesson(summary: pd.DataFrame) -> str:
    """What these curves show: the best variant, and those whose loss never left ln 10 (chance)."""
    done = summary.dropna(subset=["final_loss"])
    if done.empty:
        return t("initialization.mnist_lesson")
    facts = [t("initialization.mnist_best", name=done.loc[done.final_loss.idxmin(), "variant"])]
    stuck = done[done.final_loss > 0.95 * np.log(10)]
    if len(stuck):
        facts.append(t("initialization.mnist_stuck", names=", ".join(stuck["variant"])))
    return " ".join([*facts, t("initialization.mnist_lesson")])


# ---------------------------------------------------------------- activation functions


def activations_tab() -> None:
    st.markdown(t("initialization.act_intro"))
    defaults({f"{A}.names": ["sigmoid", "tanh", "relu", "leaky_relu"], f"{A}.slope": LEAKY_SLOPE, f"{A}.range": 6.0})
    c1, c2, c3 = st.columns([3, 1, 1])
    names = c1.multiselect(t("initialization.activations"), CURVES, format_func=act_label, **translated(f"{A}.names"))
    slope = c2.number_input(
        t("initialization.leaky_slope"),
        0.0,
        1.0,
        key=f"{A}.slope",
        format="%g",
        step=0.01,
        help=t("initialization.leaky_slope_help"),
    )
    reach = c3.number_input(t("initialization.x_range"), 1.0, 50.0, key=f"{A}.range", format="%g")
    if not names:
        st.info(t("initialization.pick_activation"))
        return
    x = torch.linspace(-reach, reach, 601, dtype=torch.float64)
    for start in range(0, len(names), 2):
        for col, name in zip(st.columns(2), names[start : start + 2]):
            col.altair_chart(activation_chart(name, x, slope), width="stretch")
            col.caption(t(f"initialization.explain_{name}"))
    st.caption(t("initialization.flat_note", pct=f"{FLAT:.0%}"))
    lesson(t("initialization.act_lesson"))
    prelu_section()


def prelu_section() -> None:
    """PReLU learns its negative slope: train ReLU, Leaky ReLU and PReLU nets side by side."""
    st.markdown(f"#### {t('initialization.prelu_title')}")
    st.markdown(t("initialization.prelu_intro"))
    defaults({f"{A}.prelu_steps": PReLUSlopes().iterations})
    steps = st.columns([1, 3])[0].number_input(t("common.iterations"), 1, 5000, key=f"{A}.prelu_steps")
    spec = guard(lambda: PReLUSlopes(iterations=int(steps), every=max(1, int(steps) // 24)))
    st.caption(t("initialization.prelu_setup", sizes=" - ".join(map(str, (784, *spec.hidden, 10))), n=spec.n_train))
    result = runner.result_or_button(spec, t("initialization.train"), key=f"{A}.prelu_train")
    if result is None or "slopes" not in result.frames:
        return
    slopes = result.frames["slopes"].assign(layer=lambda d: d.layer.map(lambda n: t("initialization.layer_n", n=n)))
    left, right = st.columns(2)
    left.altair_chart(
        charts.lines(
            slopes, "step", "slope", "layer", x_title=t("common.iteration"), y_title=t("initialization.prelu_slope")
        ),
        width="stretch",
    )
    summary = result.frames["summary"]
    right.dataframe(
        pd.DataFrame(
            {
                t("common.activation"): summary["variant"].map(act_label),
                t("initialization.test_acc"): summary.get("test_acc", pd.Series([np.nan] * len(summary))).map(
                    lambda a: f"{a:.2%}"
                ),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    lesson(t("initialization.prelu_lesson"))


def activation_chart(name: str, x: torch.Tensor, slope: float) -> alt.LayerChart:
    """f and f' of one activation, with the almost-flat region shaded."""
    f, df = curve(name, x, slope if name in ("leaky_relu", "prelu") else None)
    low = flat(name, df, slope if name in ("leaky_relu", "prelu") else None).numpy()
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
        .encode(x="x:Q", x2="x2:Q", tooltip=[alt.Tooltip("x:Q", format=".2f", title=t("initialization.flat_region"))])
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
    return alt.layer(shade, curves).properties(height=230, title=act_label(name))


st.title(t("initialization.title"))
st.markdown(t("initialization.intro"))
with st.expander(t("initialization.theory_title"), expanded=False):
    theory()
tabs = st.tabs(
    [
        t("initialization.tab_histograms"),
        t("initialization.tab_symmetry"),
        t("initialization.tab_depth"),
        t("initialization.tab_mnist"),
        t("initialization.tab_activations"),
    ]
)
with tabs[0]:
    histograms_tab()
with tabs[1]:
    symmetry_tab()
with tabs[2]:
    depth_tab()
with tabs[3]:
    mnist_tab()
with tabs[4]:
    activations_tab()
