"""Chart builders of the batch norm page: what one mini-batch looks like at each stage, the
running statistics, the book's grid panels, BN against learning rate and placement.

Every series name comes from `ui.labels` (key columns -> words in the reader's language) and
every colour from a key, so no English variant name and no raw id reaches a chart."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.batchnorm import SETTLED, RunningFacts, WalkFacts
from core.experiments.batchnorm import (
    BOOK_EPS,
    LEARNED,
    SMALL_BATCH,
    SQUASHED,
    ComparisonFacts,
    GridFacts,
    InferenceFacts,
)
from core.nets import BN_EPS
from ui import charts, labels
from ui.colors import color, scale
from ui.i18n import number, t

DASHES = {"none": [6, 4], "before": [1, 0], "after": [2, 2]}  # no BN dashed, as in the book's grid
BN_DASHES = {True: [1, 0], False: [5, 4]}  # grid: BN solid, no BN dashed
HIST_WIDTH = 400  # px shared by one row of histogram panels: it fits the page at 1024 px with the sidebar open


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


def spread_chart(stats: pd.DataFrame) -> alt.VConcatChart:
    """Standard deviation of each layer's pre-activations per epoch, one panel per variant on a
    shared log axis. The panels stack, each as wide as the page, so that a long name such as
    "BN before activation" is never cut to fit a narrow column."""
    domain = [float(stats["std"].min()), float(stats["std"].max())]
    panels = [
        alt.Chart(rows)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title=t("common.epoch"), axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("std:Q", title=t("batch_norm.std_axis"), scale=alt.Scale(type="log", domain=domain)),
            color=alt.Color("layer:O", title=t("batch_norm.layer"), scale=alt.Scale(scheme="viridis")),
            tooltip=["layer:O", "epoch:Q", alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("std:Q", format=".3g")],
        )
        .properties(title=label, width="container", height=140)
        for label, rows in stats.groupby("label", sort=False)
    ]
    return alt.vconcat(*panels).properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def histograms(hist: pd.DataFrame, at: alt.Parameter) -> alt.VConcatChart:
    """Per variant a row of per-layer histograms: bars of the epoch `at` holds over the outline of
    epoch 0, on the layer's shared edges. One chart, so that one epoch input moves every panel."""
    n_layers = hist["layer"].nunique()
    cell = max(70, HIST_WIDTH // n_layers)
    names = [t("batch_norm.layer_n", n=n) for n in sorted(hist["layer"].unique())]
    rows = []
    for label, frame in hist.groupby("label", sort=False):
        frame = frame[["layer", "epoch", "lo", "hi", "fraction"]].assign(
            layer_name=lambda d: d.layer.map(lambda n: t("batch_norm.layer_n", n=n)), mid=lambda d: (d.lo + d.hi) / 2
        )
        bars = (
            alt.Chart()
            .transform_filter(alt.datum.epoch == at)
            .mark_rect(color=color("batchnorm"), opacity=0.6)
            .encode(
                x=alt.X("lo:Q", title=None, axis=alt.Axis(tickCount=3)),
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
            alt.Chart()
            .transform_filter(alt.datum.epoch == 0)
            .mark_line(interpolate="step", color="#444", strokeDash=[3, 3])
            .encode(x="mid:Q", y="fraction:Q")
        )
        header = alt.Header(title=None, labelFontWeight="bold")
        row = alt.layer(bars, outline, data=frame).properties(width=cell, height=110)
        row = row.facet(column=alt.Column("layer_name:N", sort=names, header=header), title=label)
        rows.append(row.resolve_scale(x="independent", y="independent"))
    return alt.vconcat(*rows, params=[at.param])  # add_params fails on facets inside a concat (Altair 6.0)


# Lessons and captions, worded from the facts core computed on the result on screen ---------


def span(lo: float, hi: float, fmt: str) -> str:
    """ "lo–hi" as the page prints numbers in `fmt`, or one number when both print the same."""
    a, b = (format(round(x, 3) + 0.0 if fmt == ".3f" else x, fmt) for x in (lo, hi))  # no "-0.000"
    return a if a == b else f"{a}–{b}"


def walk_lesson(f: WalkFacts, beta: float) -> str:
    """The walk-through's lesson, quoting the table's mean / std (3 decimals) and the shares."""
    if f.case == "batch_one":
        return t("batch_norm.lesson_walk_one", beta=f"{beta:.3f}")
    text = t(
        "batch_norm.lesson_walk",
        batch=f.batch_size,
        mean=span(*f.mean["normalized"], ".3f"),
        std=span(*f.std["normalized"], ".3f"),
        scaled_mean=span(*f.mean["scaled"], ".3f"),
        scaled_std=span(*f.std["scaled"], ".3f"),
        lin=f"{f.linear['normalized']:.0%}",
        lin_scaled=f"{f.linear['scaled']:.0%}",
    )
    curved = "curved" if f.linear["scaled"] < f.linear["normalized"] else "linear"
    extra = [t("batch_norm.lesson_walk_shrunk")] if f.case == "shrunk" else []
    return " ".join([text, *extra, t(f"batch_norm.lesson_walk_{curved}")])


def running_caption(f: RunningFacts, batch_size: int) -> str:
    """Where the running estimates ended against the population (the chart's 4 decimals)."""
    text = t(
        "batch_norm.running_end",
        steps=f.steps,
        mean=f"{f.running['mean']:.4f}",
        pop_mean=f"{f.population['mean']:.4f}",
        gap_mean=f"{f.gap['mean']:.0%}",
        var=f"{f.running['var']:.4f}",
        pop_var=f"{f.population['var']:.4f}",
        gap_var=f"{f.gap['var']:.0%}",
    )
    if not f.forgotten:
        case = t("batch_norm.running_start", m=number(f.momentum), n=f.steps_to_forget)
    elif f.settled:
        case = t("batch_norm.running_settled", tol=f"{SETTLED:.0%}")
    else:
        case = t("batch_norm.running_noisy", batch=batch_size, m=number(f.momentum))
    return f"{text} {case}"


def inference_lesson(f: InferenceFacts) -> str:
    """The tiny-batch lesson, quoting the chart's accuracies (one decimal)."""
    running = f"{f.running[0]:.1%}" if f.running_same else span(*f.running, ".1%")
    text = t(
        "batch_norm.lesson_infer",
        small=f.smallest,
        large=f.largest,
        acc_small=f"{f.batch_small:.1%}",
        acc_large=f"{f.batch_large:.1%}",
        running=running,
    )
    one = [t("batch_norm.lesson_infer_one")] if f.smallest == 1 else []
    same = "same" if f.running_same else "varies"
    return " ".join([text, *one, t(f"batch_norm.lesson_infer_{same}")])


def batch_warning(batch_size: int) -> str:
    """A warning for the grid's batch size ("" from `SMALL_BATCH` up)."""
    if batch_size == 1:
        return t("batch_norm.grid_batch_one")
    return t("batch_norm.grid_small_batch", batch=batch_size, small=SMALL_BATCH) if batch_size < SMALL_BATCH else ""


def grid_lesson(f: GridFacts) -> str:
    """The grid's lesson: how many scales each net learned at, and the case, from the panels."""
    parts = [
        t(
            "batch_norm.grid_counts",
            threshold=f"{LEARNED:.0%}",
            bn=labels.name("bn", True),
            plain=labels.name("bn", False),
            n_bn=len(f.bn_learned),
            n_plain=len(f.plain_learned),
            n=f.n_scales,
            ahead=len(f.bn_ahead),
        ),
        t(f"batch_norm.grid_case_{f.case}", batch=f.batch_size, small=SMALL_BATCH, steps=f.steps, lr=number(f.lr)),
    ]
    if f.book:
        parts.append(t("batch_norm.grid_book", ahead=len(f.bn_ahead), n=f.n_scales))
    return " ".join(parts)


def eps_text(eps: float) -> str:
    """An ε as the grid's slider and captions print it: 1e-06, 1e-05."""
    return f"{eps:g}"


def eps_caption(f: GridFacts) -> str:
    """Which ε the run used and what it did to the small-σ panels (measured at the start)."""
    source = "book" if f.eps == BOOK_EPS else "torch" if f.eps == BN_EPS else "other"
    parts = [t(f"batch_norm.eps_{source}", eps=eps_text(f.eps), book=eps_text(BOOK_EPS), torch=eps_text(BN_EPS))]
    if f.squashed and f.case != "batch_one":
        parts.append(
            t(
                "batch_norm.eps_squashed",
                scales=", ".join(labels.name("scale", s) for s in f.squashed),
                spread=number(SQUASHED),
                learned=len(set(f.squashed) & set(f.bn_learned)),
                n=len(f.squashed),
            )
        )
        if f.eps != BOOK_EPS:
            parts.append(t("batch_norm.eps_differs"))
    return " ".join(parts)


def final_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Each variant's end (a `labelled` comparison summary): training and test accuracy, one
    decimal, or the step where it blew up; the numbers the lessons quote."""
    return pd.DataFrame(
        {
            t("batch_norm.network"): summary["label"],
            t("batch_norm.train_acc"): [acc(r, "train_acc") for r in summary.itertuples()],
            t("batch_norm.test_acc"): [acc(r, "test_acc") for r in summary.itertuples()],
        }
    )


def acc(row, metric: str) -> str:
    """One variant's final accuracy as the table prints it, or when it blew up."""
    if pd.notna(row.diverged_at):
        return t("common.diverged_at", step=int(row.diverged_at))
    return f"{getattr(row, metric):.1%}"


def comparison_lesson(f: ComparisonFacts, summary: pd.DataFrame, init: str, depth: int) -> str:
    """The comparison's lesson: each rate's final accuracies (as `final_table` prints them), who
    led where, which variants did not learn, and, with several placements, which kept what the
    activations receive steadiest."""
    rows = summary.set_index("variant")
    names = labels.variant_names(summary)
    by_rate = []
    for lr in sorted({x.lr for x in f.finals}):
        ends = ", ".join(
            f"{labels.name('placement', x.placement)} {acc(rows.loc[x.variant], f.metric)}"
            for x in f.finals
            if x.lr == lr
        )
        by_rate.append(f"{labels.name('lr', lr)}: {ends}")
    parts = [t("batch_norm.finals", metric=t(f"batch_norm.{f.metric}"), ends="; ".join(by_rate))]
    if f.case != "no_pair":
        parts.append(
            t(
                f"batch_norm.compare_{f.case}",
                ahead=rate_names(f.bn_ahead),
                behind=rate_names(f.plain_ahead),
                init=init,
                depth=depth,
            )
        )
    if f.stuck:
        parts.append(t("batch_norm.stuck", threshold=f"{LEARNED:.0%}", names=", ".join(names[v] for v in f.stuck)))
    return " ".join(parts)


def rate_names(lrs: tuple[float, ...]) -> str:
    return ", ".join(labels.name("lr", lr) for lr in lrs)


def spread_lesson(f: ComparisonFacts) -> str:
    """What the placement tab's spread charts show: each placement's range of std (3 significant
    digits, as their tooltips) and which kept it steadiest; "" without spreads."""
    if not f.spread:
        return ""
    ranges = "; ".join(f"{labels.name('placement', p)} {span(lo, hi, '.3g')}" for p, (lo, hi) in f.spread.items())
    case = "expected" if f.steadiest == "before" else "other"
    before = labels.name("placement", "before") if "before" in f.spread else ""
    text = t(f"batch_norm.spread_{case}", ranges=ranges, steadiest=labels.name("placement", f.steadiest))
    return f"{text} {t('batch_norm.spread_paper', before=before)}" if case == "other" and before else text
