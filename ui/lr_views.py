"""Views of the learning-rate and clipping pages: the MNIST knobs their runs share, the table of
a run's variants, the landscape with its path, and the learning-rate finder's curve."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.landscapes import LANDSCAPES, MINIMA, grid
from core.optimizers import METHODS
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
