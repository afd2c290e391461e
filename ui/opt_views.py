"""The Optimizers page's maps, tables and lessons: the facts of `core.playground` and
`core.experiments.optimizers` in the reader's language, quoting the run's own figures."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core import playground
from core.experiments.optimizers import LOWER, RaceOutcome
from core.playground import RaceFacts
from core.surfaces import SURFACES, grid, view
from core.train import smoothed_loss
from ui import charts, labels
from ui.i18n import number, t

P = "optimizers"
SEP = ", "
# px: the map, or two small maps side by side, fit beside the settings (the page's column is
# about 370 px wide from 1024 px up); Streamlit leaves a chart wider than its column blank
MAP, PANEL = 280, 104


def point(x: float, y: float) -> str:
    """A point as the final table writes it."""
    return f"({number(x)}, {number(y)})"


def surface_map(surface: str, paths: pd.DataFrame, start: tuple[float, float], at: alt.Parameter) -> alt.LayerChart:
    """The contour map, grown to hold `start` (`core.surfaces.view`), with the start, the minima
    and the paths that stay on it, drawn up to the step `at` holds, a larger dot where each is then.
    The legend is the loss chart's, below both: a legend beside the map would not fit the column."""
    bounds = view(surface, start)
    gx, gy, gf = grid(surface, 60, bounds)
    minima = pd.DataFrame([{"x": a, "y": b, "label": t(f"{P}.minimum")} for a, b in SURFACES[surface].minima])
    begin = pd.DataFrame([{"x": start[0], "y": start[1], "label": t(f"{P}.start")}])
    layers = [charts.filled_contours(gx, gy, gf), charts.markers(begin, "circle", "#444")]
    if not minima.empty:
        layers.append(charts.markers(minima, "cross", "black"))
    x0, x1, y0, y1 = bounds
    shown = paths.dropna(subset=["x", "y"])
    in_view = shown[shown.x.between(x0, x1) & shown.y.between(y0, y1)]
    trail = charts.paths(in_view, color="label", toggle=False).transform_filter(alt.datum.step <= at)
    head = (
        alt.Chart(in_view)
        .transform_filter(alt.datum.step == at)
        .mark_circle(size=110, stroke="white", strokeWidth=1.5, opacity=1)
        .encode(x="x:Q", y="y:Q", color=alt.Color("label:N", scale=charts.colour_scale(in_view, "label"), legend=None))
    )
    return alt.layer(*layers, trail, head).resolve_scale(color="independent")


def loss_chart(paths: pd.DataFrame, log_y: bool, at: alt.Parameter) -> alt.LayerChart:
    """Every path's loss per step, with a rule and a dot per path at the step `at` holds. On a
    log axis a loss of exactly 0 (a path that hit the minimum) is drawn at a tenth of the
    smallest positive loss, and a caption says so, instead of breaking the axis."""
    drawn = paths.dropna(subset=["loss"]).copy()
    if log_y:
        positive = drawn.loss[drawn.loss > 0]
        floor = positive.min() / 10 if len(positive) else 1e-12
        if (drawn.loss <= 0).any():
            st.caption(t(f"{P}.zero_loss_note", floor=number(floor)))
        drawn["loss"] = drawn.loss.clip(lower=floor)
    legend = alt.Legend(orient="bottom", columns=2, labelLimit=0)  # below: the chart keeps the column's width
    chart = charts.lines(
        drawn,
        "step",
        "loss",
        "label",
        x_title=t("common.step"),
        y_title=t("common.loss"),
        log_y=log_y,
        height=200,
        legend=legend,
    )
    dots = (
        alt.Chart(drawn)
        .transform_filter(alt.datum.step == at)
        .mark_circle(size=60, opacity=1)
        .encode(
            x="step:Q",
            y=alt.Y("loss:Q", scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False)),
            color=alt.Color("label:N", scale=charts.colour_scale(drawn, "label"), legend=None),
        )
    )
    rule = alt.Chart(pd.DataFrame({"step": [0]})).transform_calculate(step=at.name)
    return alt.layer(chart, dots, rule.mark_rule(strokeDash=[4, 4], color="#444").encode(x="step:Q"))


def race_chart(
    surface: str, paths: pd.DataFrame, start: tuple[float, float], log_y: bool, panels: bool, at: alt.Parameter
) -> alt.VConcatChart:
    """The map (or one small map per optimizer, as in the book's figure) above the loss per
    step, in one chart so that the one step input `at` moves both."""
    if panels:
        maps = [
            surface_map(surface, rows, start, at).properties(title=name, width=PANEL, height=PANEL)
            for name, rows in paths.groupby("label", sort=False)
        ]
        top, width = alt.concat(*maps, columns=2), 2 * PANEL + 40
    else:
        top, width = surface_map(surface, paths, start, at).properties(width=MAP, height=MAP), MAP
    bottom = loss_chart(paths, log_y, at).properties(width=width)
    return alt.vconcat(top, bottom).add_params(at).resolve_scale(color="independent")


def diverged(step: object) -> str:
    return t("common.diverged_at", step=int(step)) if pd.notna(step) else ""


def final_table(ends: pd.DataFrame) -> pd.DataFrame:
    """Where each path ended, with a note where it diverged and, for the lecture's own race, the
    printed point and its distance from the app's ("—" for methods the lecture did not print)."""
    table = pd.DataFrame(
        {
            t(f"{P}.col_optimizer"): labels.labelled(ends)["label"],
            "x": ends.x.map(number),
            "y": ends.y.map(number),
            t("common.loss"): ends.loss.map(number),
        }
    )
    if ends.diverged_at.notna().any():
        table[t(f"{P}.col_note")] = ends.diverged_at.map(diverged)
    if ends.printed.notna().any():
        table[t(f"{P}.col_printed")] = [point(*p) if isinstance(p, tuple) else "—" for p in ends.printed]
        table[t(f"{P}.col_gap")] = ends.gap.map(number)
    return table


def _names(variants, names: dict[str, str]) -> str:
    return SEP.join(names[v] for v in variants)


def race_lesson(facts: RaceFacts, names: dict[str, str], lrs: dict[str, float]) -> str:
    """The lesson of the race on screen: the surface's shape, every path's end in order of
    progress, what the surface is about (minima reached, basins, escape), the textbook's
    expectation about SGD held or not, and the paths that diverged."""
    parts = [t(f"{P}.lesson_surface_{facts.surface}")]
    done = facts.finished
    if done:
        items = SEP.join(
            t(f"{P}.lesson_item", name=names[e.variant], loss=number(e.loss), point=point(e.x, e.y)) for e in done
        )
        parts.append(t(f"{P}.lesson_ranking", steps=facts.steps, items=items))
        parts.append(_surface_sentence(facts, names))
        if facts.surface == "book":
            items = SEP.join(t(f"{P}.lesson_turns_item", name=names[e.variant], n=e.turns) for e in done)
            parts.append(t(f"{P}.lesson_turns", items=items, steps=facts.steps))
    if facts.sgd_behind is not None:
        sgd = next(e for e in done if e.method == "sgd")
        ahead = [e.variant for e in done[done.index(sgd) + 1 :]]
        key = "lesson_sgd_behind" if facts.sgd_behind else "lesson_sgd_ahead"
        parts.append(t(f"{P}.{key}", lr=number(lrs[sgd.variant]), names=_names(ahead, names)))
    if facts.diverged:
        items = SEP.join(
            t(f"{P}.lesson_diverged_item", name=names[e.variant], step=e.diverged_at) for e in facts.diverged
        )
        parts.append(t(f"{P}.lesson_diverged", items=items))
    return " ".join(p for p in parts if p)


def _surface_sentence(facts: RaceFacts, names: dict[str, str]) -> str:
    """What the paths did about the surface's point: left the saddle, reached which minima."""
    tol = number(playground.ESCAPED if facts.surface == "saddle" else playground.REACHED)
    if facts.surface == "saddle":
        escaped = [e.variant for e in facts.finished if e.escaped]
        stuck = [e.variant for e in facts.finished if not e.escaped]
        parts = [t(f"{P}.lesson_escaped", names=_names(escaped, names), tol=tol)] if escaped else []
        if stuck:
            parts.append(t(f"{P}.lesson_stuck", names=_names(stuck, names), steps=facts.steps))
        return " ".join(parts)
    if not facts.reached:
        return t(f"{P}.lesson_reached_none", tol=tol, steps=facts.steps)
    minima = SURFACES[facts.surface].minima
    if len(minima) > 1:
        groups = [[e.variant for e in facts.reached if e.minimum == m] for m in facts.basins]
        items = SEP.join(
            t(f"{P}.lesson_basin_item", names=_names(g, names), point=point(*minima[m]))
            for g, m in zip(groups, facts.basins)
        )
        return t(f"{P}.lesson_basins", n=len(facts.basins), items=items)
    return t(f"{P}.lesson_reached", names=_names([e.variant for e in facts.reached], names), tol=tol)


def mnist_lesson(o: RaceOutcome, names: dict[str, str], iterations: int, lrs: dict[str, float]) -> str:
    """The MNIST race's lesson, following its table: lowest and highest smoothed loss, SGD
    against the book's figure 6-9, and the optimizers that diverged."""
    parts = []
    if not o.order:
        parts.append(t(f"{P}.mnist_all_diverged"))
    else:
        best, worst = o.order[0], o.order[-1]
        acc = o.accuracy.get(best, float("nan"))
        parts.append(
            t(
                f"{P}.mnist_best",
                n=f"{iterations:,}",
                best=names[best],
                loss=number(o.losses[best]),
                acc="—" if acc != acc else f"{acc:.2%}",
            )
        )
        if worst != best:
            parts.append(t(f"{P}.mnist_worst", worst=names[worst], loss=number(o.losses[worst])))
    if o.sgd_slowest is not None:
        others = [v for v in o.order if v != o.sgd]
        if not o.sgd_slowest:
            behind = o.order[o.order.index(o.sgd) + 1 :]
            parts.append(t(f"{P}.mnist_sgd_not_slowest", names=_names(behind, names), lr=number(lrs[o.sgd])))
        elif o.beaten:
            parts.append(t(f"{P}.mnist_sgd_slowest", names=_names(o.beaten, names), share=f"{LOWER:.0%}"))
        else:
            parts.append(t(f"{P}.mnist_sgd_close", names=_names(others, names), share=f"{LOWER:.0%}"))
    if o.diverged:
        items = SEP.join(t(f"{P}.mnist_diverged_item", name=names[v], step=s) for v, s in o.diverged.items())
        parts.append(t(f"{P}.mnist_diverged", items=items))
    return " ".join(parts)


def loss_lines(curves: pd.DataFrame, window: int, raw: bool, log_y: bool) -> alt.Chart:
    """The smoothed training loss of every optimizer, the raw loss faintly behind it on request."""
    loss = labels.labelled(smoothed_loss(curves, window))
    axes = {"x_title": t("common.iteration"), "log_y": log_y}
    chart = charts.lines(
        loss, "step", "smoothed", "label", y_title=t(f"{P}.smoothed_loss"), tooltip_extra=("value",), **axes
    )
    if raw:
        raw_lines = charts.lines(loss, "step", "value", "label", y_title=t("common.loss"), **axes)
        chart = alt.layer(chart, raw_lines.mark_line(opacity=0.25))
    return chart


def live_lines(live: pd.DataFrame) -> None:
    """The race's loss on its fixed sample of training images so far, while it trains."""
    if live.empty:
        st.caption(t(f"{P}.live_waiting"))
        return
    chart = charts.lines(
        labels.labelled(live), "step", "value", "label", x_title=t("common.iteration"), y_title=t(f"{P}.live_loss")
    )
    st.altair_chart(chart.mark_line(point=True, strokeWidth=2), width="stretch")
    st.caption(t(f"{P}.live_note"))
