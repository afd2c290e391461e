"""Altair chart builders shared by the pages: one look, one colour per named thing."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.colors import scale

LEGEND = alt.Legend(labelLimit=0)  # never cut a name short: Korean names run longer than Vega's 160 px
BELOW = alt.Legend(labelLimit=0, orient="bottom", columns=1)  # a legend under a narrow chart
UNCUT = {"labelLimit": 0, "titleLimit": 0}  # Vega cuts labels and titles at ~180 px by default


@alt.theme.register("lab", enable=True)
def theme() -> alt.theme.ThemeConfig:
    """Every chart of the app, built here or in a page's views: no label or title cut short."""
    return alt.theme.ThemeConfig({"config": {"axis": UNCUT, "legend": UNCUT, "header": UNCUT, "title": {"limit": 0}}})


def colour_scale(df: pd.DataFrame, field: str) -> alt.Scale:
    """Colours of the `field` series of `df`: by its `hue` column where `ui.labels.labelled`
    made one, else by the names themselves."""
    return scale(df[field].tolist(), df["hue"].tolist() if "hue" in df.columns else None)


def legend_toggle(field: str) -> alt.Parameter:
    """Click a legend entry to show only that series (shift-click for several)."""
    return alt.selection_point(fields=[field], bind="legend")


def lines(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    *,
    x_title: str,
    y_title: str,
    log_y: bool = False,
    log_x: bool = False,
    dash: str | None = None,
    height: int = 320,
    tooltip_extra: tuple[str, ...] = (),
    legend: alt.Legend = LEGEND,
) -> alt.Chart:
    """One line per `color` value; optionally dashed by `dash` (e.g. train vs test). A `legend`
    below the chart (`BELOW`) leaves a narrow chart its width."""
    sel = legend_toggle(color)
    enc = {
        "x": alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(type="log") if log_x else alt.Scale()),
        "y": alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False)),
        "color": alt.Color(f"{color}:N", scale=colour_scale(df, color), title=None, legend=legend),
        "opacity": alt.condition(sel, alt.value(1.0), alt.value(0.12)),
        "tooltip": [color, alt.Tooltip(f"{x}:Q", format=".4~g"), alt.Tooltip(f"{y}:Q", format=".4~g"), *tooltip_extra],
    }
    if dash:
        enc["strokeDash"] = alt.StrokeDash(f"{dash}:N", title=None)
    return alt.Chart(df).mark_line(strokeWidth=2).encode(**enc).add_params(sel).properties(height=height)


def filled_contours(
    gx: np.ndarray, gy: np.ndarray, f: np.ndarray, levels: int = 14, x_title: str = "x", y_title: str = "y"
) -> alt.Chart:
    """The loss surface as filled contour bands (log-spaced levels), drawn as a grid of cells."""
    shifted = f - np.nanmin(f)  # surfaces with negative values (saddle) still get log bands
    band = np.log10(shifted + 1e-3 * (np.nanmax(shifted) + 1e-12) + 1e-12)
    edges = np.linspace(np.nanmin(band), np.nanmax(band), levels + 1)
    level = np.clip(np.digitize(band, edges[1:-1]), 0, levels - 1)
    dx = (gx[0, 1] - gx[0, 0]) / 2
    dy = (gy[1, 0] - gy[0, 0]) / 2
    cells = pd.DataFrame(
        {
            "x": (gx - dx).ravel(),
            "x2": (gx + dx).ravel(),
            "y": (gy - dy).ravel(),
            "y2": (gy + dy).ravel(),
            "level": level.ravel(),
            "f": f.ravel(),
        }
    )
    return (
        alt.Chart(cells)
        .mark_rect(opacity=0.75, strokeWidth=0)
        .encode(
            x=alt.X(
                "x:Q",
                scale=alt.Scale(domain=[float(gx.min()), float(gx.max())], nice=False),
                title=x_title,
                axis=alt.Axis(grid=False),
            ),
            x2="x2:Q",
            y=alt.Y(
                "y:Q",
                scale=alt.Scale(domain=[float(gy.min()), float(gy.max())], nice=False),
                title=y_title,
                axis=alt.Axis(grid=False),
            ),
            y2="y2:Q",
            color=alt.Color("level:O", scale=alt.Scale(scheme="blues", reverse=True), legend=None),
            tooltip=[alt.Tooltip("f:Q", format=".4~g", title="f")],
        )
    )


def paths(df: pd.DataFrame, color: str = "optimizer", toggle: bool = True) -> alt.LayerChart:
    """Optimizer paths (columns: optimizer, step, x, y) as lines with a dot per step. With
    `toggle`, a legend whose entries isolate a path; without, no legend (a panel's title names it)."""
    sel = legend_toggle(color)
    base = alt.Chart(df).encode(
        x="x:Q",
        y="y:Q",
        order="step:Q",
        color=alt.Color(f"{color}:N", scale=colour_scale(df, color), title=None, legend=LEGEND if toggle else None),
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.1)) if toggle else alt.value(1.0),
        tooltip=[color, "step:Q", alt.Tooltip("x:Q", format=".4~g"), alt.Tooltip("y:Q", format=".4~g")],
    )
    chart = alt.layer(base.mark_line(strokeWidth=2), base.mark_circle(size=22))
    return chart.add_params(sel) if toggle else chart


def markers(points: pd.DataFrame, shape: str = "cross", color: str = "black") -> alt.Chart:
    """Fixed points (columns x, y, label), e.g. the minima or the start."""
    return (
        alt.Chart(points)
        .mark_point(shape=shape, size=120, color=color, filled=True)
        .encode(x="x:Q", y="y:Q", tooltip=["label:N"])
    )
