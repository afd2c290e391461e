"""Chart builders of the batch norm page: what one mini-batch looks like at each stage, the
running statistics, the book's grid panels, BN against learning rate and placement.

Every series name comes from `ui.labels` (key columns -> words in the reader's language) and
every colour from a key, so no English variant name and no raw id reaches a chart."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui import charts, labels
from ui.colors import color, scale
from ui.i18n import t

DASHES = {"none": [6, 4], "before": [1, 0], "after": [2, 2]}  # no BN dashed, as in the book's grid
BN_DASHES = {True: [1, 0], False: [5, 4]}  # grid: BN solid, no BN dashed


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """`labels.labelled`, coloured by the `bn` key: no BN grey, BN red (a second BN series,
    BN after the activation, gets its own colour from `ui.colors.scale`)."""
    out = labels.labelled(frame)
    out["hue"] = np.where(out["bn"].astype(bool), "batchnorm", "no_batchnorm")
    return out


def stage_name(stage: str) -> str:
    """A stage of `core.batchnorm.STAGES` in the reader's language."""
    return t(f"batch_norm.stage_{stage}")


def stage_table(stats: pd.DataFrame) -> pd.DataFrame:
    """`core.batchnorm.stage_stats` as a table: a row per stage, "mean / std" per unit."""
    cells = stats.assign(cell=[f"{round(m, 3) + 0.0:.3f} / {s:.3f}" for m, s in zip(stats["mean"], stats["std"])])
    table = cells.pivot(index="stage", columns="unit", values="cell").loc[list(dict.fromkeys(stats["stage"]))]
    table.index = [stage_name(s) for s in table.index]
    table.columns = [t("batch_norm.unit", n=u) for u in table.columns]
    return table


def panel_title(summary: pd.DataFrame, scale: float) -> str:
    """One scale's outcome in the grid with and without BN, e.g. "σ = 0.01 · BN 93% · no BN diverged"."""
    rows = summary[summary.scale == scale].set_index("bn")
    parts = [labels.name("scale", scale)]
    for flag in (True, False):
        r = rows.loc[flag]
        outcome = t("common.diverged") if pd.notna(r.diverged_epoch) else f"{r.final_acc:.0%}"
        parts.append(f"{labels.name('bn', flag)} {outcome}")
    return " · ".join(parts)


def grid_notes(summary: pd.DataFrame) -> str:
    """Where in the grid a network without BN blew up, and at which epoch ("" if none did)."""
    blown = summary[~summary.bn.astype(bool) & summary.diverged_epoch.notna()]
    notes = (
        t("batch_norm.diverged_note", scale=labels.name("scale", r.scale), epoch=f"{r.diverged_epoch:.1f}")
        for r in blown.itertuples()
    )
    return " · ".join(notes)


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


def sigmoid_chart(walk: pd.DataFrame, stages: tuple[str, str], zone: float) -> alt.LayerChart:
    """The sigmoid curve, its near-linear band |x| < zone, and the values of two `stages` of a
    `core.batchnorm.walkthrough` frame on it (the first grey, the second in BN's colour)."""
    df = walk[walk.stage.isin(stages)].assign(stage_label=lambda d: d.stage.map(stage_name))
    lo = min(-6.0, float(df["value"].min()) - 0.5)
    hi = max(6.0, float(df["value"].max()) + 0.5)
    xs = np.linspace(lo, hi, 200)
    curve = alt.Chart(pd.DataFrame({"value": xs, "sigmoid": 1 / (1 + np.exp(-xs))})).mark_line(color="#888")
    curve = curve.encode(x=alt.X("value:Q", title="x"), y=alt.Y("sigmoid:Q", title="sigmoid(x)"))
    band = alt.Chart(pd.DataFrame({"a": [-zone], "b": [zone]})).mark_rect(opacity=0.08, color="green")
    names = [stage_name(s) for s in stages]
    points = (
        alt.Chart(df)
        .mark_circle(size=40, opacity=0.7)
        .encode(
            x="value:Q",
            y="sigmoid:Q",
            color=alt.Color(
                "stage_label:N", title=None, scale=alt.Scale(domain=names, range=["#7f7f7f", color("batchnorm")])
            ),
            tooltip=["stage_label:N", "unit:Q", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    return alt.layer(band.encode(x="a:Q", x2="b:Q"), curve, points).properties(height=280)


def running_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Batch statistics as dots, the running estimate as a line, the population as a rule."""
    batch_label, running_label = t("batch_norm.batch_stat"), t("batch_norm.running_stat")
    long = pd.concat(
        [
            pd.DataFrame({"step": df["step"], "value": df["batch"], "kind": batch_label}),
            pd.DataFrame({"step": df["step"], "value": df["running"], "kind": running_label}),
        ]
    )
    kinds = alt.Scale(domain=[batch_label, running_label], range=["#9ecae1", "#d62728"])
    base = alt.Chart(long).encode(
        x=alt.X("step:Q", title=t("common.step")),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("kind:N", scale=kinds, title=None),
        tooltip=["kind:N", "step:Q", alt.Tooltip("value:Q", format=".4f")],
    )
    dots = base.transform_filter(alt.datum.kind == batch_label).mark_circle(size=18)
    line = base.transform_filter(alt.datum.kind == running_label).mark_line(strokeWidth=2)
    pop = pd.DataFrame({"population": [float(df["population"].iloc[0])], "label": [t("batch_norm.population")]})
    rule = alt.Chart(pop).mark_rule(strokeDash=[5, 4], color="black").encode(y="population:Q", tooltip=["label:N"])
    return alt.layer(dots, line, rule).properties(height=260)


def inference_chart(df: pd.DataFrame) -> alt.Chart:
    """Test accuracy against the number of images predicted together, per kind of statistics."""
    df = df.assign(mode=[t(f"batch_norm.mode_{m}") for m in df["statistics"]])
    return (
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


def grid_panel(acc: pd.DataFrame, height: int, small: bool) -> alt.Chart:
    """Training accuracy per epoch of one scale (a `labelled` grid frame): BN solid, no BN
    dashed, as in the book. Small panels drop the axis titles and the legend: the large panel
    below names them."""
    df = acc.assign(net=[labels.name("bn", b) for b in acc["bn"]])
    nets, dashes = [labels.name("bn", b) for b in BN_DASHES], list(BN_DASHES.values())
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
                "net:N", scale=charts.colour_scale(df, "net"), title=None, legend=None if small else alt.Legend()
            ),
            strokeDash=alt.StrokeDash("net:N", scale=alt.Scale(domain=nets, range=dashes), legend=None),
            tooltip=["net:N", "epoch:Q", alt.Tooltip("train_acc:Q", format=".1%")],
        )
        .properties(height=height)
    )


def accuracy_chart(acc: pd.DataFrame, title: str) -> alt.Chart:
    """Accuracy per epoch of a `labelled` comparison frame, the line style telling the placement
    (no BN dashed, as in the book's grid). With several rates the colour is the rate, with one
    the placement."""
    placements = list(dict.fromkeys(acc["placement"]))
    acc = acc.assign(net=[labels.name("placement", p) for p in acc["placement"]])
    if acc["lr"].nunique() > 1:
        lrs = sorted(acc["lr"].unique())
        rates = [labels.name("lr", lr) for lr in lrs]
        acc = acc.assign(rate=[labels.name("lr", lr) for lr in acc["lr"]])
        colour = alt.Color("rate:N", title=None, sort=rates, scale=scale(rates, [f"lr {lr:g}" for lr in lrs]))
    else:
        colour = alt.Color("label:N", title=None, scale=charts.colour_scale(acc, "label"))
    dash = alt.StrokeDash(
        "net:N",
        title=None,
        scale=alt.Scale(
            domain=[labels.name("placement", p) for p in placements], range=[DASHES[p] for p in placements]
        ),
        legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#444", symbolStrokeWidth=2),
    )
    return (
        alt.Chart(acc)
        .mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14))
        .encode(
            x=alt.X("epoch:Q", title=t("common.epoch")),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(domain=[0, 1])),
            color=colour,
            strokeDash=dash,
            tooltip=["label:N", "epoch:Q", alt.Tooltip("value:Q", format=".1%")],
        )
        .properties(height=340)
    )


def diverged_notes(summary: pd.DataFrame) -> str:
    """Which variants of a `labelled` run summary blew up, and at which step ("" if none did)."""
    blown = summary[summary.diverged_at.notna()]
    return " · ".join(f"{r.label}: {t('common.diverged_at', step=int(r.diverged_at))}" for r in blown.itertuples())


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
