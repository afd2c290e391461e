"""Views of the learning-rate and clipping pages: the MNIST knobs their runs share, the table of
a run's variants, the landscape with its path, the learning-rate finder's curve, and the lessons
worded from each run's facts (`core.experiments.learning_rate`, `core.experiments.clipping`)."""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.experiments.clipping import clipping_facts
from core.experiments.learning_rate import (
    TIE,
    Outcome,
    finder_facts,
    finder_marks,
    outcomes,
    schedule_facts,
    sweep_facts,
)
from core.landscapes import LANDSCAPES, MINIMA, Verdict, grid
from core.optimizers import METHODS
from core.spec import Result
from ui import charts, labels
from ui.i18n import number, t
from ui.widgets import translated


def tr(key: str, **values) -> str:
    return t(f"learning_rate.{key}", **values)


def mnist_inputs(prefix: str) -> dict:
    """The MNIST knobs every learning-rate experiment shares, keyed by their spec fields."""
    c1, c2, c3 = st.columns(3)
    optimizer = c1.selectbox(
        tr("optimizer"), list(METHODS), format_func=labels.namer("method"), **translated(f"{prefix}.optimizer")
    )
    iterations = c2.number_input(t("common.iterations"), 10, 5000, key=f"{prefix}.iterations")
    n_train = c3.number_input(tr("n_train"), 100, 60000, key=f"{prefix}.n_train", step=500)
    return {"optimizer": optimizer, "iterations": int(iterations), "n_train": int(n_train)}


def result_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per variant, named from its keys: final smoothed loss, test accuracy when
    measured, where it diverged."""
    s = labels.labelled(summary)
    table = pd.DataFrame({t("common.col_run"): s["label"]})
    table[t("common.col_final_loss")] = s["final_loss"].map(number)
    if "test_acc" in s:
        table[t("common.col_test_acc")] = s["test_acc"].map(lambda a: "—" if pd.isna(a) else f"{a:.2%}")
    table[t("common.col_note")] = [
        t("common.diverged_at", step=int(d)) if pd.notna(d) else "" for d in s["diverged_at"]
    ]
    return table


def landscape_chart(key: str, path: pd.DataFrame) -> alt.LayerChart:
    """The loss with its minima marked and the (labelled) path drawn on it, clipped to the view."""
    land = LANDSCAPES[key]
    minima = pd.DataFrame(
        [
            {"x": m[0], "y": m[1] if land.dim == 2 else float(land.loss(np.array(m))), "label": tr(name)}
            for m, name in zip(land.minima, MINIMA)
        ]
    )
    if land.dim == 1:
        xs, fs = grid(key)
        view = path[path.x.between(*land.view)].assign(y=lambda d: d["loss"])
        curve = (
            alt.Chart(pd.DataFrame({"x": xs, "y": fs}))
            .mark_line(color="#888")
            .encode(x=alt.X("x:Q", title="w"), y=alt.Y("y:Q", title=t("common.loss")))
        )
        return alt.layer(curve, charts.markers(minima), charts.paths(view, "label", toggle=False)).properties(
            height=320
        )
    gx, gy, gf = grid(key, 60)
    inside = path[path.x.between(*land.view[:2]) & path.y.between(*land.view[2:])]
    return (
        alt.layer(
            charts.filled_contours(gx, gy, gf, x_title="w₁", y_title="w₂"),
            charts.markers(minima),
            charts.paths(inside, "label", toggle=False),
        )
        .resolve_scale(color="independent")
        .properties(height=380)
    )


def finder_chart(shown: pd.DataFrame, marks: dict[str, float]) -> alt.Chart | alt.LayerChart:
    """The finder's loss per step and its smoothed loss against the rate, with its suggestions."""
    tidy = pd.concat(
        [
            shown[["lr", "loss"]].rename(columns={"loss": "value"}).assign(series=tr("raw_loss")),
            shown[["lr", "smoothed"]].rename(columns={"smoothed": "value"}).assign(series=tr("smoothed_loss")),
        ]
    ).dropna()
    chart = charts.lines(
        tidy,
        "lr",
        "value",
        "series",
        x_title=t("common.learning_rate"),
        y_title=t("common.loss"),
        log_x=True,
        log_y=True,
    )
    if not marks:
        return chart
    rules = (
        alt.Chart(pd.DataFrame([{"lr": lr, "label": tr(f"suggest_{name}")} for name, lr in marks.items()]))
        .mark_rule(strokeDash=[4, 4], color="#444")
        .encode(x="lr:Q", tooltip=["label:N", alt.Tooltip("lr:Q", format=".3~g")])
    )
    return alt.layer(chart, rules)


def final_loss_chart(summary: pd.DataFrame) -> alt.Chart:
    """Final smoothed loss against the rate, on a log axis: the sweep's valley."""
    final = labels.labelled(summary).dropna(subset=["final_loss"])
    return (
        alt.Chart(final)
        .mark_line(point=True)
        .encode(
            x=alt.X("lr:Q", scale=alt.Scale(type="log"), title=t("common.learning_rate")),
            y=alt.Y("final_loss:Q", title=t("common.col_final_loss")),
            tooltip=["label:N", alt.Tooltip("final_loss:Q", format=".4~g")],
        )
        .properties(height=320)
    )


def outcome_text(name: str, o: Outcome) -> str:
    """One variant's end as the run's table shows it: learned or hardly, with its final loss, or
    the step it diverged at."""
    if o.diverged_at is not None:
        return tr("outcome_diverged", name=name, step=o.diverged_at)
    if o.final_loss is None:
        return tr("outcome_none", name=name)
    return tr("outcome_learned" if o.learned else "outcome_crawled", name=name, loss=number(o.final_loss))


def outcomes_text(summary: pd.DataFrame, only: Iterable[str] | None = None) -> str:
    """Every variant's end (or those in `only`), named in the reader's language, in the run's order."""
    names = labels.variant_names(summary)
    found = outcomes(summary)
    keep = list(found) if only is None else [v for v in found if v in set(only)]
    return "; ".join(outcome_text(names[v], found[v]) for v in keep)


def accuracy_text(acc: float | None) -> str:
    return "" if acc is None else tr("with_accuracy", acc=f"{acc:.2%}")


def sweep_lesson(result: Result, steps: int) -> str:
    """The sweep's lesson from its own numbers: the best rate, and where it lies in the range."""
    f = sweep_facts(result)
    parts = [tr("sweep_crawled", steps=steps, rates=", ".join(map(number, f.crawled)))] if f.crawled else []
    if f.unstable:
        parts.append(tr("sweep_unstable", rates=", ".join(map(number, f.unstable))))
    if f.diverged:
        parts.append(tr("sweep_diverged", runs="; ".join(tr("rate_at", lr=number(lr), step=s) for lr, s in f.diverged)))
    others = " ".join(parts)
    if f.case == "none":
        return tr("lesson_sweep_none", steps=steps, others=others)
    best = dict(lr=number(f.best), loss=number(f.best_loss), acc=accuracy_text(f.best_acc))
    return tr(f"lesson_sweep_{f.case}", others=others, **best)


def schedule_lesson(result: Result, steps: int) -> str:
    """The schedules' lesson from their own numbers: whether decay beat a constant rate here."""
    f = schedule_facts(result)
    summary = result.frames["summary"]
    if f.case == "none":
        return tr("lesson_schedules_none", steps=steps, runs=outcomes_text(summary))
    return tr(
        f"lesson_schedules_{f.case}",
        best=labels.variant_names(summary)[f.best],
        loss=number(f.best_loss),
        constant="" if f.constant_loss is None else number(f.constant_loss),
        tie=f"{TIE:.0%}",
        steps=steps,
        runs=outcomes_text(summary),
    )


def finder_lesson(result: Result, spec_range: tuple[float, float], steps: int) -> str:
    """The finder's lesson from its own curve: what it suggests, and where the loss blew up."""
    f = finder_facts(result)
    start, end = (number(lr, 3) for lr in spec_range)
    if f.case == "no_fall":
        return tr("lesson_finder_no_fall", start=start, end=end)
    marks = finder_marks(result)
    suggested = tr(
        "finder_suggests", marks="; ".join(f"{tr(f'suggest_{n}')} η ≈ {number(lr, 3)}" for n, lr in marks.items())
    )
    if f.case == "no_blowup":
        return tr("lesson_finder_no_blowup", suggested=suggested, end=end, steps=steps)
    return tr("lesson_finder_suggested", suggested=suggested, cut=number(f.blew_up_at, 3), steps=steps)


def clipping_lesson(result: Result, iterations: int) -> str:
    """The clipping lesson from the run: which of the variants present trained, quoting their
    final losses and divergence steps."""
    f = clipping_facts(result)
    summary = result.frames["summary"]
    if f.case == "expected":
        clipped = [v for v in f.outcomes if v != "no_clip"]
        return t(
            "clipping.lesson_clip_expected",
            no_clip=outcomes_text(summary, ["no_clip"]),
            clipped=outcomes_text(summary, clipped),
        )
    return t(f"clipping.lesson_clip_{f.case}", runs=outcomes_text(summary), steps=iterations)


def walk_lesson(v: Verdict, lr: float, steps: int) -> str:
    """The landscape's lesson for the walk on screen: what its rate did."""
    case = MINIMA[v.minimum] if v.kind == "converged" else v.kind
    return tr(f"lesson_lr_{case}", lr=number(lr), step=v.step, steps=steps)
