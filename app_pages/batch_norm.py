"""Batch normalization: one mini-batch taken apart, training vs inference, the book's grid of
initial scales (figures 6-18, 6-19), BN against learning rate and depth, and where to put it."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core import batchnorm as bn
from core.experiments.batchnorm import PLACEMENTS, BatchNormComparison, BatchNormGrid, BatchNormInference
from ui import runner
from ui.colors import color
from ui.i18n import t
from ui.widgets import NET_ACTIVATIONS, apply_preset, csv_download, defaults, guard, lesson, translated

P = "batch_norm"  # widget-key prefix
LINEAR_ZONE = 1.5  # for |x| below this the sigmoid stays within 0.06 of its tangent 1/2 + x/4
LR_CHOICES = (0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def bn_scale(with_bn: str, without_bn: str) -> alt.Scale:
    """BN red, no BN grey: the app's fixed colours for the two."""
    return alt.Scale(domain=[with_bn, without_bn], range=[color("batchnorm"), color("no_batchnorm")])


def placement_label(placement: str) -> str:
    return t(f"batch_norm.place_{placement}")


def placement_scale(placements: tuple[str, ...]) -> alt.Scale:
    """No BN grey, BN before red (the app's BN colour), BN after orange."""
    colours = {"none": color("no_batchnorm"), "before": color("batchnorm"), "after": "#ff7f0e"}
    return alt.Scale(domain=[placement_label(p) for p in placements], range=[colours[p] for p in placements])


# 1. How it works -------------------------------------------------------------------------


def walkthrough() -> None:
    st.markdown(t("batch_norm.walk_intro"))
    st.latex(r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i \qquad \sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}(x_i-\mu_B)^2")
    st.latex(r"\hat{x}_i = \frac{x_i-\mu_B}{\sqrt{\sigma_B^2+\varepsilon}} \qquad y_i = \gamma\,\hat{x}_i + \beta")
    defaults({f"{P}.walk.batch": 32, f"{P}.walk.gamma": 1.0, f"{P}.walk.beta": 0.0})
    c1, c2, c3 = st.columns(3)
    batch = c1.slider(t("common.batch_size"), 1, 256, key=f"{P}.walk.batch")
    gamma = c2.slider("γ (gamma)", 0.0, 5.0, step=0.1, key=f"{P}.walk.gamma")
    beta = c3.slider("β (beta)", -5.0, 5.0, step=0.1, key=f"{P}.walk.beta")
    df = bn.walkthrough(int(batch), gamma, beta)
    df["unit_label"] = [t("batch_norm.unit", n=u) for u in df["unit"]]
    if batch == 1:
        st.warning(t("batch_norm.walk_batch_one"))
    domain = [float(df["value"].min()), float(df["value"].max())]  # one axis: see the values move
    for col, stage in zip(st.columns(3), bn.STAGES):
        col.markdown(f"**{t(f'batch_norm.stage_{stage}')}**")
        col.altair_chart(strip(df[df.stage == stage], domain), width="stretch")
    stats = bn.stage_stats(df)
    stats["cell"] = [f"{round(m, 3) + 0.0:.3f} / {s:.3f}" for m, s in zip(stats["mean"], stats["std"])]
    table = stats.pivot(index="stage", columns="unit", values="cell").loc[list(bn.STAGES)]
    table.index = [t(f"batch_norm.stage_{s}") for s in table.index]
    table.columns = [t("batch_norm.unit", n=u) for u in table.columns]
    st.caption(t("batch_norm.table_caption"))
    st.dataframe(table, width="stretch")
    sigmoid_view(df)


def strip(df: pd.DataFrame, domain: list[float]) -> alt.Chart:
    """One tick per example and unit: where the batch's values lie."""
    return (
        alt.Chart(df)
        .mark_tick(thickness=2, size=18)
        .encode(
            x=alt.X("value:Q", title=None, scale=alt.Scale(domain=domain)),
            y=alt.Y("unit_label:N", title=None),
            color=alt.Color("unit_label:N", legend=None),
            tooltip=["unit_label:N", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(height=130)
    )


def sigmoid_view(df: pd.DataFrame) -> None:
    """The sigmoid curve with the normalized and the scaled values on it."""
    st.markdown(f"#### {t('batch_norm.sigmoid_title')}")
    shown = df[df.stage.isin(["normalized", "scaled"])].copy()
    shown["stage_label"] = [t(f"batch_norm.stage_{s}") for s in shown["stage"]]
    labels = [t("batch_norm.stage_normalized"), t("batch_norm.stage_scaled")]
    stage_scale = alt.Scale(domain=labels, range=["#7f7f7f", color("batchnorm")])
    lo = min(-6.0, float(shown["value"].min()) - 0.5)
    hi = max(6.0, float(shown["value"].max()) + 0.5)
    xs = np.linspace(lo, hi, 200)
    curve = alt.Chart(pd.DataFrame({"value": xs, "sigmoid": 1 / (1 + np.exp(-xs))})).mark_line(color="#888")
    curve = curve.encode(x=alt.X("value:Q", title="x"), y=alt.Y("sigmoid:Q", title="sigmoid(x)"))
    zone = alt.Chart(pd.DataFrame({"a": [-LINEAR_ZONE], "b": [LINEAR_ZONE]})).mark_rect(opacity=0.08, color="green")
    zone = zone.encode(x="a:Q", x2="b:Q")
    points = (
        alt.Chart(shown)
        .mark_circle(size=40, opacity=0.7)
        .encode(
            x="value:Q",
            y="sigmoid:Q",
            color=alt.Color("stage_label:N", title=None, scale=stage_scale),
            tooltip=["stage_label:N", "unit:Q", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    left, right = st.columns([2, 1])
    left.altair_chart(alt.layer(zone, curve, points).properties(height=280), width="stretch")
    right.markdown(f"**{t('batch_norm.linear_share')}**")
    for stage in ("normalized", "scaled"):
        values = df[df.stage == stage]["value"]
        right.metric(t(f"batch_norm.stage_{stage}"), f"{float((values.abs() < LINEAR_ZONE).mean()):.0%}")
    right.caption(t("batch_norm.linear_zone", z=LINEAR_ZONE))
    lesson(t("batch_norm.lesson_walk"))


# 2. Training vs inference ----------------------------------------------------------------


def inference() -> None:
    st.markdown(t("batch_norm.infer_intro"))
    st.latex(
        r"\hat\mu \leftarrow (1-m)\,\hat\mu + m\,\mu_B \qquad "
        r"\hat\sigma^2 \leftarrow (1-m)\,\hat\sigma^2 + m\,\tfrac{B}{B-1}\,\sigma_B^2"
    )
    defaults({f"{P}.run.momentum": 0.1, f"{P}.run.batch": 16, f"{P}.run.steps": 100})
    c1, c2, c3 = st.columns(3)
    momentum = c1.slider(t("batch_norm.momentum"), 0.01, 1.0, step=0.01, key=f"{P}.run.momentum")
    batch = c2.slider(t("common.batch_size"), 2, 256, key=f"{P}.run.batch")
    steps = c3.slider(t("common.steps"), 10, 500, key=f"{P}.run.steps")
    est = guard(lambda: bn.running_estimates(int(batch), momentum, int(steps)))
    for col, stat in zip(st.columns(2), ("mean", "var")):
        col.markdown(f"**{t(f'batch_norm.stat_{stat}')}**")
        col.altair_chart(running_chart(est[est.statistic == stat]), width="stretch")
    st.caption(t("batch_norm.running_caption"))

    st.markdown(f"#### {t('batch_norm.tiny_title')}")
    st.markdown(t("batch_norm.tiny_intro"))
    spec = BatchNormInference()
    result = runner.result_or_button(spec, t("batch_norm.train_tiny"), key=f"{P}.tiny.train")
    if result is None or "by_batch" not in result.frames:
        return
    df = result.frames["by_batch"].copy()
    df["mode"] = [t(f"batch_norm.mode_{m}") for m in df["statistics"]]
    chart = (
        alt.Chart(df)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("batch_size:Q", scale=alt.Scale(type="log", base=2), title=t("batch_norm.predict_batch")),
            y=alt.Y("accuracy:Q", title=t("batch_norm.test_acc"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("mode:N", title=None),
            tooltip=["mode:N", "batch_size:Q", alt.Tooltip("accuracy:Q", format=".1%")],
        )
        .properties(height=300)
    )
    st.altair_chart(chart, width="stretch")
    lesson(t("batch_norm.lesson_infer"))


def running_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Batch statistics as dots, the running estimate as a line, the population as a rule."""
    batch_label, running_label = t("batch_norm.batch_stat"), t("batch_norm.running_stat")
    long = pd.concat(
        [
            pd.DataFrame({"step": df["step"], "value": df["batch"], "kind": batch_label}),
            pd.DataFrame({"step": df["step"], "value": df["running"], "kind": running_label}),
        ]
    )
    scale = alt.Scale(domain=[batch_label, running_label], range=["#9ecae1", "#d62728"])
    base = alt.Chart(long).encode(
        x=alt.X("step:Q", title=t("common.step")),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("kind:N", scale=scale, title=None),
        tooltip=["kind:N", "step:Q", alt.Tooltip("value:Q", format=".4f")],
    )
    dots = base.transform_filter(alt.datum.kind == batch_label).mark_circle(size=18)
    line = base.transform_filter(alt.datum.kind == running_label).mark_line(strokeWidth=2)
    pop = pd.DataFrame({"population": [float(df["population"].iloc[0])], "label": [t("batch_norm.population")]})
    rule = alt.Chart(pop).mark_rule(strokeDash=[5, 4], color="black").encode(y="population:Q", tooltip=["label:N"])
    return alt.layer(dots, line, rule).properties(height=260)


# 3. Book grid ----------------------------------------------------------------------------


def book_grid() -> None:
    st.markdown(t("batch_norm.grid_intro"))
    book = BatchNormGrid()
    preset = {
        f"{P}.grid.n_train": book.n_train,
        f"{P}.grid.epochs": book.epochs,
        f"{P}.grid.lr": book.lr,
        f"{P}.grid.batch": book.batch_size,
    }
    defaults(preset)
    st.button(t("batch_norm.preset_book"), key=f"{P}.grid.preset", on_click=apply_preset(preset))
    c1, c2, c3, c4 = st.columns(4)
    n_train = c1.number_input(t("batch_norm.n_train"), 2, 60000, key=f"{P}.grid.n_train")
    epochs = c2.number_input(t("common.epoch"), 1, 200, key=f"{P}.grid.epochs")
    lr = c3.number_input(t("common.learning_rate"), 1e-5, 10.0, key=f"{P}.grid.lr", format="%g")
    batch = c4.number_input(t("common.batch_size"), 1, 4096, key=f"{P}.grid.batch")
    spec = guard(lambda: BatchNormGrid(n_train=int(n_train), epochs=int(epochs), lr=lr, batch_size=int(batch)))
    st.caption(t("batch_norm.grid_setup", n=len(spec.scales) * 2))
    result = runner.result_or_button(spec, t("batch_norm.train_grid"), key=f"{P}.grid.train")
    if result is None or "accuracy" not in result.frames:
        return
    show_grid(spec, result)


def show_grid(spec: BatchNormGrid, result) -> None:
    with_bn, without_bn = t("batch_norm.with_bn"), t("batch_norm.without_bn")
    acc = result.frames["accuracy"].copy()
    acc["net"] = np.where(acc["batchnorm"], with_bn, without_bn)
    summary = result.frames["summary"]
    scales = list(spec.scales)
    for row in range(0, len(scales), 4):
        for col, scale in zip(st.columns(4), scales[row : row + 4]):
            col.caption(panel_title(summary, scale))
            col.altair_chart(grid_panel(acc[acc.scale == scale], with_bn, without_bn, 150, small=True), width="stretch")
    chosen = st.select_slider(
        t("batch_norm.pick_scale"),
        scales,
        value=scales[len(scales) // 2],
        key=f"{P}.grid.scale",
        format_func=BatchNormGrid.label,
    )
    st.markdown(f"**{panel_title(summary, chosen)}**")
    st.altair_chart(grid_panel(acc[acc.scale == chosen], with_bn, without_bn, 360, small=False), width="stretch")
    notes = [
        t("batch_norm.diverged_note", scale=BatchNormGrid.label(r.scale), epoch=f"{r.diverged_epoch:.1f}")
        for r in summary.itertuples()
        if not r.batchnorm and pd.notna(r.diverged_epoch)
    ]
    if notes:
        st.caption(" · ".join(notes))
    csv_download(acc.drop(columns="net"), "batchnorm-grid", key=f"{P}.grid.csv")
    lesson(t("batch_norm.lesson_grid"))


def panel_title(summary: pd.DataFrame, scale: float) -> str:
    rows = summary[summary.scale == scale].set_index("batchnorm")
    parts = [f"σ = {BatchNormGrid.label(scale)}"]
    for flag, label in ((True, "BN"), (False, t("batch_norm.no_bn_short"))):
        r = rows.loc[flag]
        parts.append(f"{label} {t('common.diverged')}" if pd.notna(r.diverged_epoch) else f"{label} {r.final_acc:.0%}")
    return " · ".join(parts)


def grid_panel(df: pd.DataFrame, with_bn: str, without_bn: str, height: int, small: bool) -> alt.Chart:
    """Training accuracy per epoch: BN solid, no BN dashed, as in the book. Small panels drop
    the axis titles and the legend: the large panel below names them."""
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("epoch:Q", title=None if small else t("common.epoch")),
            y=alt.Y(
                "train_acc:Q",
                title=None if small else t("batch_norm.train_acc"),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "net:N", scale=bn_scale(with_bn, without_bn), title=None, legend=None if small else alt.Legend()
            ),
            strokeDash=alt.StrokeDash(
                "net:N", scale=alt.Scale(domain=[with_bn, without_bn], range=[[1, 0], [5, 4]]), legend=None
            ),
            tooltip=["net:N", "epoch:Q", alt.Tooltip("train_acc:Q", format=".1%")],
        )
        .properties(height=height)
    )


# 4 and 5. BN against learning rate, activation and placement -----------------------------


def comparison_inputs(prefix: str, preset: BatchNormComparison, lrs: bool) -> BatchNormComparison:
    """Widgets for a BatchNormComparison, starting from `preset`; returns the spec."""
    values = {
        f"{prefix}.activation": preset.activation,
        f"{prefix}.depth": len(preset.hidden),
        f"{prefix}.epochs": preset.epochs,
        f"{prefix}.lrs": list(preset.lrs),
        f"{prefix}.placements": list(preset.placements),
    }
    defaults(values)
    c1, c2, c3, c4 = st.columns(4)
    activation = c1.selectbox(t("common.activation"), NET_ACTIVATIONS, key=f"{prefix}.activation")
    depth = c2.number_input(t("common.hidden_layers"), 1, 20, key=f"{prefix}.depth")
    epochs = c3.number_input(t("common.epoch"), 1, 100, key=f"{prefix}.epochs")
    if lrs:
        chosen_lrs = c4.multiselect(t("batch_norm.lrs"), LR_CHOICES, key=f"{prefix}.lrs")
        placements = tuple(preset.placements)
    else:
        chosen_lrs = c4.multiselect(t("common.learning_rate"), LR_CHOICES, key=f"{prefix}.lrs", max_selections=1)
        placements = st.multiselect(
            t("batch_norm.placements"),
            PLACEMENTS,
            format_func=placement_label,
            **translated(f"{prefix}.placements"),
        )
    init = "xavier" if activation in ("sigmoid", "tanh") else "he_normal"
    return guard(
        lambda: BatchNormComparison(
            placements=tuple(placements),
            lrs=tuple(sorted(chosen_lrs)),
            hidden=(100,) * int(depth),
            activation=activation,
            init=init,
            epochs=int(epochs),
        )
    )


def preset_buttons(prefix: str, presets: dict[str, BatchNormComparison]) -> None:
    cols = st.columns(len(presets))
    for col, (name, spec) in zip(cols, presets.items()):
        values = {
            f"{prefix}.activation": spec.activation,
            f"{prefix}.depth": len(spec.hidden),
            f"{prefix}.epochs": spec.epochs,
            f"{prefix}.lrs": list(spec.lrs),
            f"{prefix}.placements": list(spec.placements),
        }
        col.button(t(f"batch_norm.preset_{name}"), key=f"{prefix}.preset.{name}", on_click=apply_preset(values))


def labelled(df: pd.DataFrame, spec: BatchNormComparison) -> pd.DataFrame:
    """Adds a translated `label` (placement, and the rate when several are compared)."""
    df = df.copy()
    names = {spec.name(p, lr): (p, lr) for p, lr in spec.cells()}
    df["label"] = [
        placement_label(names[v][0]) + (f", lr {names[v][1]:g}" if len(spec.lrs) > 1 else "") for v in df["variant"]
    ]
    df["bn"] = [placement_label(names[v][0]) for v in df["variant"]]
    return df


def accuracy_chart(result, spec: BatchNormComparison, key: str) -> None:
    metric = st.radio(
        t("batch_norm.metric"),
        ["train_acc", "test_acc"],
        horizontal=True,
        format_func=lambda m: t(f"batch_norm.{m}"),
        **translated(f"{key}.metric", "train_acc"),
    )
    acc = labelled(result.frames["accuracy"], spec)
    acc = acc[acc.metric == metric]
    enc = {
        "x": alt.X("epoch:Q", title=t("common.epoch")),
        "y": alt.Y("value:Q", title=t(f"batch_norm.{metric}"), scale=alt.Scale(domain=[0, 1])),
        "tooltip": ["label:N", "epoch:Q", alt.Tooltip("value:Q", format=".1%")],
    }
    if len(spec.lrs) > 1:  # colour: the rate; line style: with or without BN
        acc["rate"] = [f"lr {lr:g}" for lr in acc["lr"]]
        enc["color"] = alt.Color("rate:N", title=None, sort=[f"lr {lr:g}" for lr in spec.lrs])
        dashes = {"none": [6, 4], "before": [1, 0], "after": [2, 2]}  # no BN dashed, as in the grid
        enc["strokeDash"] = alt.StrokeDash(
            "bn:N",
            title=None,
            scale=alt.Scale(
                domain=[placement_label(p) for p in spec.placements], range=[dashes[p] for p in spec.placements]
            ),
            legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#444", symbolStrokeWidth=2),
        )
    else:
        enc["color"] = alt.Color("bn:N", title=None, scale=placement_scale(spec.placements))
    chart = alt.Chart(acc).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14)).encode(**enc)
    chart = chart.properties(height=340)
    st.altair_chart(chart, width="stretch")
    diverged = labelled(result.frames["summary"], spec)
    notes = [
        f"{r.label}: {t('common.diverged_at', step=int(r.diverged_at))}"
        for r in diverged.itertuples()
        if pd.notna(r.diverged_at)
    ]
    if notes:
        st.warning(" · ".join(notes))


def learning_rates() -> None:
    st.markdown(t("batch_norm.lr_intro"))
    presets = BatchNormComparison.presets()
    prefix = f"{P}.lr"
    preset_buttons(prefix, {k: presets[k] for k in ("learning_rates", "deep_sigmoid")})
    spec = comparison_inputs(prefix, presets["learning_rates"], lrs=True)
    st.caption(t("batch_norm.compare_setup", n=len(spec.cells()), init=spec.init))
    result = runner.result_or_button(spec, t("batch_norm.train_compare"), key=f"{prefix}.train")
    if result is None or "accuracy" not in result.frames:
        return
    accuracy_chart(result, spec, prefix)
    csv_download(result.frames["accuracy"], "batchnorm-learning-rates", key=f"{prefix}.csv")
    lesson(t("batch_norm.lesson_lr"))


def placement() -> None:
    st.markdown(t("batch_norm.place_intro"))
    presets = BatchNormComparison.presets()
    prefix = f"{P}.place"
    preset_buttons(prefix, {"placement": presets["placement"]})
    spec = comparison_inputs(prefix, presets["placement"], lrs=False)
    result = runner.result_or_button(spec, t("batch_norm.train_compare"), key=f"{prefix}.train")
    if result is None or "histograms" not in result.frames:
        return
    accuracy_chart(result, spec, prefix)
    st.markdown(f"#### {t('batch_norm.hist_title')}")
    st.caption(t("batch_norm.hist_caption"))
    hist = labelled(result.frames["histograms"], spec)
    epoch = st.slider(t("common.epoch"), 0, int(hist["epoch"].max()), int(hist["epoch"].max()), key=f"{prefix}.epoch")
    for label, rows in hist.groupby("label", sort=False):
        st.markdown(f"**{label}**")
        layers = sorted(rows["layer"].unique())
        for col, layer in zip(st.columns(len(layers)), layers):
            col.altair_chart(histogram(rows[rows.layer == layer], epoch, layer), width="stretch")
    stats = labelled(result.frames["layer_stats"], spec)
    st.markdown(f"#### {t('batch_norm.std_title')}")
    domain = [float(stats["std"].min()), float(stats["std"].max())]
    for col, (label, rows) in zip(st.columns(stats["bn"].nunique()), stats.groupby("bn", sort=False)):
        col.altair_chart(spread_chart(rows, domain).properties(title=label), width="stretch")
    csv_download(result.frames["layer_stats"], "batchnorm-layer-stats", key=f"{prefix}.csv")
    lesson(t("batch_norm.lesson_place"))


def spread_chart(rows: pd.DataFrame, domain: list[float]) -> alt.Chart:
    """Standard deviation of each layer's pre-activations per epoch, on a shared log axis."""
    return (
        alt.Chart(rows)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title=t("common.epoch")),
            y=alt.Y("std:Q", title=t("batch_norm.std_axis"), scale=alt.Scale(type="log", domain=domain)),
            color=alt.Color("layer:O", title=t("batch_norm.layer"), scale=alt.Scale(scheme="viridis")),
            tooltip=["layer:O", "epoch:Q", alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("std:Q", format=".3g")],
        )
        .properties(height=260)
    )


def histogram(rows: pd.DataFrame, epoch: int, layer: int) -> alt.LayerChart:
    """Bars of the chosen epoch over the outline of epoch 0, on the layer's shared edges."""
    now = rows[rows.epoch == min(epoch, int(rows["epoch"].max()))]
    start = rows[rows.epoch == 0].assign(mid=lambda d: (d.lo + d.hi) / 2)
    bars = (
        alt.Chart(now)
        .mark_rect(color=color("batchnorm"), opacity=0.6)
        .encode(
            x=alt.X("lo:Q", title=None),
            x2="hi:Q",
            y=alt.Y("fraction:Q", title=None, axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("lo:Q", format=".3g"),
                alt.Tooltip("hi:Q", format=".3g"),
                alt.Tooltip("fraction:Q", format=".1%"),
            ],
        )
    )
    outline = (
        alt.Chart(start)
        .mark_line(interpolate="step", color="#444", strokeDash=[3, 3])
        .encode(x="mid:Q", y="fraction:Q")
    )
    return alt.layer(bars, outline).properties(height=140, title=t("batch_norm.layer_n", n=layer))


st.title(t("batch_norm.title"))
st.markdown(t("batch_norm.intro"))
tabs = st.tabs([t(f"batch_norm.tab_{name}") for name in ("walk", "infer", "grid", "lr", "place")])
with tabs[0]:
    walkthrough()
with tabs[1]:
    inference()
with tabs[2]:
    book_grid()
with tabs[3]:
    learning_rates()
with tabs[4]:
    placement()
