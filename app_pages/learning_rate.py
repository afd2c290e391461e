"""The learning rate: descent on a loss with two valleys, a sweep of fixed rates on MNIST, decay
schedules side by side, and the learning-rate finder (course section 7)."""

import altair as alt
import streamlit as st

from core.experiments.learning_rate import (
    FINDER_ENDS,
    FINDER_STARTS,
    SWEEP_LRS,
    LRFinder,
    LRSweep,
    ScheduleComparison,
    finder_marks,
    finder_view,
)
from core.landscapes import LANDSCAPES, LR_GRID, MINIMA, Verdict, Walk, verdict
from core.optimizers import METHODS
from core.schedules import SCHEDULES
from core.train import smoothed_loss
from ui import charts, labels, lr_views, runner
from ui.i18n import number, t
from ui.widgets import (
    csv_download,
    defaults,
    guard,
    lesson,
    preset_buttons,
    spec_values,
    translated,
)

P = "learning_rate"  # widget-key prefix


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def log_select(label: str, options, key: str) -> float:
    """A slider over log-spaced values, labelled as students read numbers."""
    return st.select_slider(label, options=list(options), key=key, format_func=number)


def landscape() -> None:
    st.markdown(tr("lr_intro"))
    k = f"{P}.walk"
    presets = Walk.presets()
    defaults(spec_values(k, presets["good"]))
    preset_buttons(k, {n: (tr(f"preset_{n}"), spec_values(k, p)) for n, p in presets.items()}, per_row=4)
    left, right = st.columns([1, 2])
    with left:
        key = st.radio(
            tr("landscape"), list(LANDSCAPES), format_func=lambda n: tr(f"land_{n}"), **translated(f"{k}.landscape")
        )
        st.latex(LANDSCAPES[key].latex)
        lr = log_select(t("common.learning_rate"), LR_GRID, f"{k}.lr")
        method = st.selectbox(
            tr("optimizer"), list(METHODS), format_func=labels.namer("method"), **translated(f"{k}.method")
        )
        steps = st.number_input(t("common.steps"), 1, 2000, key=f"{k}.steps")
    walk = guard(lambda: Walk(landscape=key, method=method, lr=lr, steps=int(steps)))
    points = walk.points()
    outcome = verdict(key, points)
    with left:
        show_verdict(outcome, walk.steps)
    path = labels.labelled(walk.frame(points))
    with right:
        st.altair_chart(lr_views.landscape_chart(key, path), width="stretch")
        st.altair_chart(
            charts.lines(path, "step", "loss", "label", x_title=t("common.step"), y_title=t("common.loss"), height=200),
            width="stretch",
        )
    lesson(lr_views.walk_lesson(outcome, walk.lr, walk.steps))


def show_verdict(v: Verdict, steps: int) -> None:
    if v.kind == "diverged":
        st.error(tr("verdict_diverged", step=v.step))
    elif v.kind == "converged":
        st.success(tr("verdict_converged", which=tr(MINIMA[v.minimum]), step=v.step))
    elif v.kind == "oscillating":
        st.warning(tr("verdict_oscillating"))
    else:
        st.info(tr("verdict_slow", steps=steps))


def mnist_sweep() -> None:
    st.subheader(tr("sweep_title"))
    st.markdown(tr("sweep_intro"))
    k = f"{P}.sweep"
    defaults(spec_values(k, LRSweep()))
    lrs = st.multiselect(t("common.learning_rate"), SWEEP_LRS, key=f"{k}.lrs", format_func=number)
    common = lr_views.mnist_inputs(k)
    spec = guard(lambda: LRSweep(lrs=tuple(sorted(lrs)), **common))
    st.caption(tr("mnist_setup", sizes=" - ".join(map(str, spec.net().sizes)), batch=spec.batch_size))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    curves = labels.labelled(smoothed_loss(result.frames["curves"], 20))
    order = [labels.name("lr", lr) for lr in spec.lrs]  # one colour ramp from the smallest rate to the largest
    left, right = st.columns([3, 2])
    left.altair_chart(
        charts.lines(
            curves, "step", "smoothed", "label", x_title=t("common.iteration"), y_title=tr("smoothed_loss")
        ).encode(color=alt.Color("label:N", sort=order, scale=alt.Scale(domain=order, scheme="viridis"), title=None)),
        width="stretch",
    )
    right.altair_chart(lr_views.final_loss_chart(result.frames["summary"]), width="stretch")
    st.dataframe(lr_views.result_table(result.frames["summary"]), hide_index=True, width="stretch")
    csv_download(result.frames["curves"], "lr-sweep", key=f"{k}.csv")
    lesson(lr_views.sweep_lesson(result, spec.iterations))


def schedule_section() -> None:
    st.subheader(tr("schedules_title"))
    st.markdown(tr("schedules_intro"))
    st.latex(tr("schedules_latex"))
    st.latex(tr("schedules2_latex"))
    k = f"{P}.schedules"
    defaults(spec_values(k, ScheduleComparison()))
    names = st.multiselect(
        tr("schedules"), list(SCHEDULES), format_func=labels.namer("schedule"), **translated(f"{k}.names")
    )
    c1, c2, c3 = st.columns(3)
    lr = c1.number_input(tr("base_lr"), 1e-5, 10.0, key=f"{k}.lr", format="%g")
    final = c2.number_input(tr("final_factor"), 0.001, 1.0, key=f"{k}.final", format="%g", help=tr("final_help"))
    warmup = c3.number_input(tr("warmup_steps"), 0, 5000, key=f"{k}.warmup", help=tr("warmup_help"))
    common = lr_views.mnist_inputs(k)
    spec = guard(lambda: ScheduleComparison(lr=lr, names=tuple(names), final=final, warmup=int(warmup), **common))
    st.altair_chart(
        charts.lines(
            labels.labelled(spec.rates()),
            "step",
            "lr",
            "label",
            x_title=t("common.step"),
            y_title=t("common.learning_rate"),
            height=240,
        ),
        width="stretch",
    )
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    curves = labels.labelled(smoothed_loss(result.frames["curves"], 30))
    st.altair_chart(
        charts.lines(
            curves, "step", "smoothed", "label", x_title=t("common.iteration"), y_title=tr("smoothed_loss"), log_y=True
        ),
        width="stretch",
    )
    st.dataframe(lr_views.result_table(result.frames["summary"]), hide_index=True, width="stretch")
    lesson(lr_views.schedule_lesson(result, spec.iterations))


def finder_section() -> None:
    st.subheader(tr("finder_title"))
    st.markdown(tr("finder_intro"))
    k = f"{P}.finder"
    defaults(spec_values(k, LRFinder()))
    c1, c2 = st.columns(2)
    with c1:
        lo = log_select(tr("lr_min"), FINDER_STARTS, f"{k}.lr_min")
    with c2:
        hi = log_select(tr("lr_max"), FINDER_ENDS, f"{k}.lr_max")
    common = lr_views.mnist_inputs(k)
    spec = guard(lambda: LRFinder(lr_min=lo, lr_max=hi, **common))
    result = runner.result_or_button(spec, tr("run_finder"), key=f"{k}.train")
    if result is None:
        return
    shown, cut_at = finder_view(result)
    marks = finder_marks(result)
    st.altair_chart(lr_views.finder_chart(shown, marks), width="stretch")
    for col, (name, lr) in zip(st.columns(2), marks.items()):
        col.metric(tr(f"suggest_{name}"), number(lr, 3))
    if cut_at is not None:
        st.caption(tr("finder_cut", lr=number(cut_at, 3)))
    lesson(lr_views.finder_lesson(result, (spec.lr_min, spec.lr_max), spec.iterations))


st.title(tr("title"))
landscape()
st.divider()
mnist_sweep()
st.divider()
schedule_section()
st.divider()
finder_section()
