"""Foundations: the learning rate, schedules and the learning-rate finder, gradient clipping,
input normalization, loss functions and gradient checking (course section 7)."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core import gradcheck, schedules
from core import input_normalization as norm
from core import loss_functions as lf
from core.experiments.clipping import CLIPPINGS, ClippingComparison
from core.experiments.learning_rate import LRFinder, LRSweep, ScheduleComparison
from core.landscapes import LANDSCAPES, descend, grid, verdict
from core.nets import ACTIVATIONS
from core.optimizers import METHODS, OptimizerSpec
from core.train import smoothed_loss
from ui import charts, runner
from ui.i18n import number, t
from ui.widgets import apply_preset, csv_download, defaults, float64_note, guard, lesson, method_label, translated

P = "foundations"
LR_GRID = [float(f"{10 ** (k / 10):.3g}") for k in range(-40, 11)]  # 1e-4 .. 10, ten per decade
EPS_GRID = [10.0**k for k in range(-12, -1)]
LR_PRESETS = {"diverge": 10.0, "crawl": 0.001, "oscillate": 0.126, "good": 0.0501}
SWEEP_LRS = (0.0001, 0.001, 0.01, 0.1, 1.0, 10.0)


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def log_select(label: str, options: list[float], key: str, help: str | None = None) -> float:
    """A slider over log-spaced values, labelled as students read numbers."""
    return st.select_slider(label, options=options, key=key, format_func=number, help=help)


def result_table(summary: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per variant: final smoothed loss, test accuracy when measured, divergence."""
    table = pd.DataFrame({tr("col_variant"): [names.get(v, v) for v in summary["variant"]]})
    table[tr("col_final_loss")] = summary["final_loss"].map(number)
    if "test_acc" in summary:
        table[tr("col_test_acc")] = summary["test_acc"].map(lambda a: "—" if pd.isna(a) else f"{a:.2%}")
    table[tr("col_note")] = [
        t("common.diverged_at", step=int(d)) if pd.notna(d) else "" for d in summary["diverged_at"]
    ]
    return table


# ---------------------------------------------------------------- learning rate


def landscape_lr() -> None:
    st.markdown(tr("lr_intro"))
    defaults({f"{P}.lr": 0.0501, f"{P}.steps": 100, f"{P}.method": "sgd"})
    cols = st.columns(len(LR_PRESETS))
    for col, (name, lr) in zip(cols, LR_PRESETS.items()):
        col.button(
            tr(f"preset_{name}"),
            key=f"{P}.preset.{name}",
            on_click=apply_preset({f"{P}.lr": lr, f"{P}.method": "sgd", f"{P}.steps": 100}),
            width="stretch",
        )
    left, right = st.columns([1, 2])
    with left:
        key = st.radio(
            tr("landscape"),
            list(LANDSCAPES),
            **translated(f"{P}.land", "well_1d"),
            format_func=lambda k: tr(f"land_{k}"),
        )
        land = LANDSCAPES[key]
        st.latex(land.latex)
        lr = log_select(t("common.learning_rate"), LR_GRID, f"{P}.lr")
        method = st.selectbox(tr("optimizer"), list(METHODS), key=f"{P}.method", format_func=method_label)
        steps = st.number_input(t("common.steps"), 1, 2000, key=f"{P}.steps")
        opt = guard(lambda: OptimizerSpec.of(method, lr=lr))
    points = descend(key, opt, land.start, int(steps))
    v = verdict(key, points)
    loss = land.loss(points)
    with left:
        show_verdict(v, int(steps))
    with right:
        frame = pd.DataFrame({"step": np.arange(len(points)), "loss": loss, "variant": f"lr {number(lr)}"})
        for i, name in enumerate(("x", "y")[: land.dim]):
            frame[name] = points[:, i]
        st.altair_chart(landscape_chart(key, frame.dropna()), width="stretch")
        st.altair_chart(
            charts.lines(
                frame.dropna(),
                "step",
                "loss",
                "variant",
                x_title=t("common.step"),
                y_title=t("common.loss"),
                height=200,
            ),
            width="stretch",
        )
    lesson(tr("lesson_lr"))


def show_verdict(v, steps: int) -> None:
    if v.kind == "diverged":
        st.error(tr("verdict_diverged", step=v.step))
    elif v.kind == "converged":
        which = tr("global_min") if v.minimum == 0 else tr("local_min")
        st.success(tr("verdict_converged", which=which, step=v.step))
    elif v.kind == "oscillating":
        st.warning(tr("verdict_oscillating"))
    else:
        st.info(tr("verdict_slow", steps=steps))


def landscape_chart(key: str, frame: pd.DataFrame) -> alt.LayerChart:
    """The loss with the minima marked and the path drawn on it (clipped to the view)."""
    land = LANDSCAPES[key]
    minima = pd.DataFrame(
        [
            {"x": m[0], "y": m[1] if land.dim == 2 else float(land.loss(np.array(m))), "label": tr(name)}
            for m, name in zip(land.minima, ("global_min", "local_min"))
        ]
    )
    if land.dim == 1:
        xs, fs = grid(key)
        view = frame[frame.x.between(land.view[0], land.view[1])].assign(y=lambda d: d["loss"])
        curve = (
            alt.Chart(pd.DataFrame({"x": xs, "y": fs}))
            .mark_line(color="#888")
            .encode(x=alt.X("x:Q", title="w"), y=alt.Y("y:Q", title=t("common.loss")))
        )
        return alt.layer(curve, charts.markers(minima), charts.paths(view, "variant", toggle=False)).properties(
            height=320
        )
    gx, gy, gf = grid(key, 60)
    inside = frame[frame.x.between(*land.view[:2]) & frame.y.between(*land.view[2:])]
    return (
        alt.layer(
            charts.filled_contours(gx, gy, gf, x_title="w₁", y_title="w₂"),
            charts.markers(minima),
            charts.paths(inside, "variant", toggle=False),
        )
        .resolve_scale(color="independent")
        .properties(height=380)
    )


def sweep_options(prefix: str) -> dict:
    """The MNIST knobs every learning-rate experiment shares."""
    c1, c2, c3 = st.columns(3)
    method = c1.selectbox(tr("optimizer"), list(METHODS), key=f"{prefix}.method", format_func=method_label)
    iterations = c2.number_input(t("common.iterations"), 10, 5000, key=f"{prefix}.iterations")
    n_train = c3.number_input(tr("n_train"), 100, 60000, key=f"{prefix}.n_train", step=500)
    return {"optimizer": method, "iterations": int(iterations), "n_train": int(n_train)}


def mnist_sweep() -> None:
    st.markdown(tr("sweep_intro"))
    d = LRSweep()
    k = f"{P}.sweep"
    defaults(
        {
            f"{k}.lrs": list(d.lrs),
            f"{k}.method": d.optimizer,
            f"{k}.iterations": d.iterations,
            f"{k}.n_train": d.n_train,
        }
    )
    lrs = st.multiselect(t("common.learning_rate"), SWEEP_LRS, key=f"{k}.lrs", format_func=number)
    common = sweep_options(k)
    spec = guard(lambda: LRSweep(lrs=tuple(sorted(lrs)), **common))
    st.caption(tr("mnist_setup", sizes=" - ".join(map(str, spec.net().sizes)), batch=spec.batch_size))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    curves = smoothed_loss(result.frames["curves"], 20)
    left, right = st.columns([3, 2])
    order = [f"lr {lr:g}" for lr in spec.lrs]  # one colour ramp from the smallest rate to the largest
    left.altair_chart(
        charts.lines(
            curves, "step", "smoothed", "variant", x_title=t("common.iteration"), y_title=tr("smoothed_loss")
        ).encode(color=alt.Color("variant:N", sort=order, scale=alt.Scale(domain=order, scheme="viridis"), title=None)),
        width="stretch",
    )
    s = result.frames["summary"].copy()
    s["lr"] = [float(v.split()[-1]) for v in s["variant"]]
    final = s.dropna(subset=["final_loss"])
    right.altair_chart(
        alt.Chart(final)
        .mark_line(point=True)
        .encode(
            x=alt.X("lr:Q", scale=alt.Scale(type="log"), title=t("common.learning_rate")),
            y=alt.Y("final_loss:Q", title=tr("col_final_loss")),
            tooltip=["variant", alt.Tooltip("final_loss:Q", format=".4~g")],
        )
        .properties(height=320),
        width="stretch",
    )
    st.dataframe(result_table(s, {}), hide_index=True, width="stretch")
    csv_download(result.frames["curves"], "lr-sweep", key=f"{k}.csv")
    lesson(tr("lesson_sweep"))


# ---------------------------------------------------------------- schedules and finder


def schedule_section() -> None:
    st.markdown(tr("schedules_intro"))
    st.latex(tr("schedules_latex"))
    st.latex(tr("schedules2_latex"))
    d = ScheduleComparison()
    k = f"{P}.sched"
    defaults(
        {
            f"{k}.lr": d.lr,
            f"{k}.final": d.final,
            f"{k}.warmup": d.warmup,
            f"{k}.method": d.optimizer,
            f"{k}.iterations": d.iterations,
            f"{k}.n_train": d.n_train,
        }
    )
    names = st.multiselect(
        tr("schedules"),
        list(schedules.SCHEDULES),
        **translated(f"{k}.names", list(d.names)),
        format_func=lambda n: tr(f"sched_{n}"),
    )
    c1, c2, c3 = st.columns(3)
    lr = c1.number_input(tr("base_lr"), 1e-5, 10.0, key=f"{k}.lr", format="%g")
    final = c2.number_input(tr("final_factor"), 0.001, 1.0, key=f"{k}.final", format="%g", help=tr("final_help"))
    warmup = c3.number_input(tr("warmup_steps"), 0, 5000, key=f"{k}.warmup", help=tr("warmup_help"))
    common = sweep_options(k)
    spec = guard(lambda: ScheduleComparison(lr=lr, names=tuple(names), final=final, warmup=int(warmup), **common))
    label = {n: tr(f"sched_{n}") for n in schedules.SCHEDULES}
    steps = np.arange(1, spec.iterations + 1)
    rates = pd.concat(
        [
            pd.DataFrame(
                {"step": steps, "lr": spec.lr * schedules.curve(spec.schedule(n), spec.iterations), "variant": label[n]}
            )
            for n in spec.names
        ]
    )
    st.altair_chart(
        charts.lines(
            rates, "step", "lr", "variant", x_title=t("common.step"), y_title=t("common.learning_rate"), height=240
        ),
        width="stretch",
    )
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    curves = smoothed_loss(result.frames["curves"], 30)
    curves["variant"] = curves["variant"].map(label)
    st.altair_chart(
        charts.lines(
            curves,
            "step",
            "smoothed",
            "variant",
            x_title=t("common.iteration"),
            y_title=tr("smoothed_loss"),
            log_y=True,
        ),
        width="stretch",
    )
    st.dataframe(result_table(result.frames["summary"], label), hide_index=True, width="stretch")
    lesson(tr("lesson_schedules"))


def finder_section() -> None:
    st.markdown(tr("finder_intro"))
    d = LRFinder()
    k = f"{P}.finder"
    defaults(
        {
            f"{k}.lo": d.lr_min,
            f"{k}.hi": d.lr_max,
            f"{k}.method": d.optimizer,
            f"{k}.iterations": d.iterations,
            f"{k}.n_train": d.n_train,
        }
    )
    c1, c2 = st.columns(2)
    with c1:
        lo = log_select(tr("lr_min"), [1e-5] + [v for v in LR_GRID if v <= 1.0], f"{k}.lo")
    with c2:
        hi = log_select(tr("lr_max"), [v for v in LR_GRID if v >= 1e-3], f"{k}.hi")
    common = sweep_options(k)
    spec = guard(lambda: LRFinder(lr_min=lo, lr_max=hi, **common))
    result = runner.result_or_button(spec, tr("run_finder"), key=f"{k}.train")
    if result is None:
        return
    curve = result.frames["curve"]
    shown = curve.iloc[: max(int(result.extras.get("cut") or len(curve)), 3)]
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
    marks = [
        {"lr": result.extras[name], "label": tr(f"suggest_{name}")}
        for name in ("steepest", "min_over_10")
        if result.extras.get(name)
    ]
    if marks:
        rules = (
            alt.Chart(pd.DataFrame(marks))
            .mark_rule(strokeDash=[4, 4], color="#444")
            .encode(x="lr:Q", tooltip=["label:N", alt.Tooltip("lr:Q", format=".3~g")])
        )
        chart = alt.layer(chart, rules)
    st.altair_chart(chart, width="stretch")
    cols = st.columns(2)
    for col, mark in zip(cols, marks):
        col.metric(mark["label"], number(mark["lr"], 3))
    if len(curve) > len(shown):
        st.caption(tr("finder_cut", lr=number(float(curve["lr"].iloc[len(shown)]), 3)))
    lesson(tr("lesson_finder"))


# ---------------------------------------------------------------- clipping


def clipping_section() -> None:
    st.markdown(tr("clip_intro"))
    st.latex(tr("clip_latex"))
    d = ClippingComparison()
    k = f"{P}.clip"
    defaults(
        {
            f"{k}.depth": len(d.hidden),
            f"{k}.scale": d.init_scale,
            f"{k}.lr": d.lr,
            f"{k}.norm": d.clip_norm,
            f"{k}.value": d.clip_value,
            f"{k}.iterations": d.iterations,
        }
    )
    c1, c2, c3 = st.columns(3)
    depth = c1.number_input(t("common.hidden_layers"), 1, 16, key=f"{k}.depth")
    scale = c2.number_input(tr("init_scale"), 0.1, 5.0, key=f"{k}.scale", help=tr("init_scale_help"))
    lr = c3.number_input(t("common.learning_rate"), 1e-5, 10.0, key=f"{k}.lr", format="%g")
    clip_norm = c1.number_input(tr("clip_norm"), 1e-4, 1e4, key=f"{k}.norm", format="%g")
    clip_value = c2.number_input(tr("clip_value"), 1e-5, 1e3, key=f"{k}.value", format="%g")
    iterations = c3.number_input(t("common.iterations"), 10, 3000, key=f"{k}.iterations")
    spec = guard(
        lambda: ClippingComparison(
            hidden=(100,) * int(depth),
            init_scale=scale,
            lr=lr,
            clip_norm=clip_norm,
            clip_value=clip_value,
            iterations=int(iterations),
        )
    )
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    label = {c: tr(f"variant_{c}") for c in CLIPPINGS}
    curves = result.frames["curves"].copy()
    curves["variant"] = curves["variant"].map(label)
    left, right = st.columns(2)
    norms = curves[curves.metric == "grad_norm"]
    left.altair_chart(
        charts.lines(norms, "step", "value", "variant", x_title=t("common.step"), y_title=tr("grad_norm"), log_y=True),
        width="stretch",
    )
    loss = curves[curves.metric == "loss"]
    right.altair_chart(
        charts.lines(loss, "step", "value", "variant", x_title=t("common.step"), y_title=t("common.loss"), log_y=True),
        width="stretch",
    )
    st.caption(tr("grad_norm_note"))
    st.dataframe(result_table(result.frames["summary"], label), hide_index=True, width="stretch")
    lesson(tr("lesson_clip"))


# ---------------------------------------------------------------- input normalization


def lecture_table() -> None:
    x = np.column_stack([norm.LECTURE_X1, norm.LECTURE_X2])
    table = pd.DataFrame({"x₁": x[:, 0], "x₂": x[:, 1]})
    for how in ("standardize", "minmax"):
        z = norm.Scaler.fit(x, how).apply(x)
        table[f"x₁ ({tr(how)})"] = z[:, 0].round(3)
        table[f"x₂ ({tr(how)})"] = z[:, 1].round(3)
    table[tr("class")] = norm.LECTURE_CLASSES
    st.dataframe(table, hide_index=True, width="stretch")


def contour_panel(how: str, x: np.ndarray, y: np.ndarray, col) -> None:
    q = norm.Quadratic.of(norm.Scaler.fit(x, how).apply(x), y)
    run = norm.descend(q)
    best = q.optimum()
    half = 1.25 * float(np.max(np.abs(best[:2])))
    gw1, gw2, gl = norm.contour_grid(q, best[:2], half)
    path = run.path[:: max(1, len(run.path) // 150)][:, :2]
    inside = (np.abs(path - best[:2]) <= half).all(axis=1)
    shown = pd.DataFrame(
        {"x": path[inside, 0], "y": path[inside, 1], "step": np.arange(len(path))[inside], "variant": tr(how)}
    )
    target = pd.DataFrame([{"x": best[0], "y": best[1], "label": tr("optimum")}])
    chart = alt.layer(
        charts.filled_contours(gw1, gw2, gl, x_title="w₁", y_title="w₂"),
        charts.markers(target),
        charts.paths(shown, "variant", toggle=False),
    ).resolve_scale(color="independent")
    col.markdown(f"**{tr(how)}**")
    col.altair_chart(chart.properties(width=280, height=280), width="content")  # square: true shapes
    col.metric(tr("condition"), number(q.condition(), 3))
    steps = run.steps_to_converge
    col.metric(tr("steps_to_converge"), f"{steps}" if steps is not None else tr("not_within", n=len(run.path) - 1))


def axes(x_title: str, y_title: str) -> alt.Chart:
    """An empty first layer that only names the axes of a layered chart of x, y columns."""
    return (
        alt.Chart(pd.DataFrame({"x": [0.0], "y": [0.0]}))
        .mark_point(opacity=0)
        .encode(x=alt.X("x:Q", title=x_title), y=alt.Y("y:Q", title=y_title))
    )


def normalization_section() -> None:
    st.markdown(tr("norm_intro"))
    st.latex(tr("norm_latex"))
    lecture_table()
    st.subheader(tr("contours_title"))
    st.markdown(tr("contours_intro"))
    defaults({f"{P}.ratio": 10.0})
    ratio = st.select_slider(
        tr("ratio"), [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0], key=f"{P}.ratio", format_func=number
    )
    x, y = norm.two_feature_problem(ratio=ratio)
    for how, col in zip(norm.SCALINGS, st.columns(3)):
        contour_panel(how, x, y, col)
    lesson(tr("lesson_contours"))

    st.subheader(tr("leak_title"))
    st.markdown(tr("leak_intro"))
    defaults({f"{P}.share": 0.9})
    share = st.slider(tr("test_share"), 0.0, 1.0, key=f"{P}.share", step=0.05)
    scores = norm.leak_demo(test_positive_share=share)
    c1, c2 = st.columns(2)
    c1.metric(tr("acc_train_stats"), f"{scores.train_stats:.0%}")
    c2.metric(tr("acc_test_stats"), f"{scores.test_stats:.0%}", f"{scores.test_stats - scores.train_stats:+.0%}")
    lesson(tr("lesson_leak"))

    st.subheader(tr("zigzag_title"))
    st.markdown(tr("zigzag_intro"))
    target = pd.DataFrame([{"x": 1.0, "y": -1.0, "label": "w*"}])
    for positive, col in zip((True, False), st.columns(2)):
        path, same = norm.zigzag(positive)
        name = tr("all_positive") if positive else tr("centered")
        frame = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "step": np.arange(len(path)), "variant": name})
        col.markdown(f"**{name}**")
        col.altair_chart(
            alt.layer(
                axes("w₁", "w₂"), charts.paths(frame, "variant", toggle=False), charts.markers(target)
            ).properties(height=280),
            width="stretch",
        )
        col.metric(tr("same_sign"), f"{same:.0%}")
    lesson(tr("lesson_zigzag"))

    st.subheader(tr("onehot_title"))
    onehot_section()


def onehot_section() -> None:
    st.markdown(tr("onehot_intro"))
    sexes = ("male", "female")
    bodies = ("slim", "average", "muscular", "heavy")
    people = [("female", "muscular"), ("male", "slim"), ("male", "heavy"), ("female", "average")]
    sex_oh = norm.one_hot([p[0] for p in people], sexes)
    body_oh = norm.one_hot([p[1] for p in people], bodies)
    table = pd.DataFrame(
        {
            tr("sex"): [tr(p[0]) for p in people],
            tr("body"): [tr(p[1]) for p in people],
            tr("integer_code"): [int(c[0]) for c in norm.integer_codes([p[1] for p in people], bodies)],
        }
    )
    for i, s in enumerate(sexes):
        table[tr(s)] = sex_oh[:, i].astype(int)
    for i, b in enumerate(bodies):
        table[tr(b)] = body_oh[:, i].astype(int)
    st.dataframe(table, hide_index=True, width="stretch")
    st.markdown(tr("category_fit_intro"))
    defaults({f"{P}.cat.{b}": v for b, v in zip(bodies, (3.0, 1.0, 4.0, 2.0))})
    targets = [c.number_input(tr(b), -100.0, 100.0, key=f"{P}.cat.{b}") for b, c in zip(bodies, st.columns(4))]
    integer, onehot = norm.category_fit(tuple(targets))
    fit = pd.DataFrame({"category": [tr(b) for b in bodies], "order": range(4)})
    frames = [
        fit.assign(value=targets, series=tr("target")),
        fit.assign(value=integer, series=tr("integer_code")),
        fit.assign(value=onehot, series=tr("one_hot")),
    ]
    data = pd.concat(frames)
    chart = (
        alt.Chart(data)
        .mark_point(filled=True, size=110)
        .encode(
            x=alt.X("category:N", sort=[tr(b) for b in bodies], title=tr("body"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=tr("target")),
            color=alt.Color("series:N", scale=charts.scale(data["series"].tolist()), title=None),
            shape=alt.Shape("series:N", title=None),
            tooltip=["series:N", "category:N", alt.Tooltip("value:Q", format=".3~g")],
        )
        .properties(height=260)
    )
    st.altair_chart(chart, width="stretch")
    lesson(tr("lesson_onehot"))


# ---------------------------------------------------------------- loss functions


def loss_section() -> None:
    st.markdown(tr("loss_intro"))
    st.latex(tr("loss_latex"))
    defaults({f"{P}.y": 1})
    y = st.radio(tr("target_y"), [1, 0], key=f"{P}.y", horizontal=True)
    o = np.linspace(0.001, 0.999, 400)
    curves = pd.concat(
        [
            pd.DataFrame(
                {"o": o, "value": lf.loss(n, o, y), "grad": np.abs(lf.grad_z(n, o, y)), "variant": tr(f"loss_{n}")}
            )
            for n in lf.LOSSES
        ]
    )
    left, right = st.columns(2)
    left.altair_chart(
        charts.lines(curves, "o", "value", "variant", x_title=tr("output_o"), y_title=tr("error_e"), height=260),
        width="stretch",
    )
    right.altair_chart(
        charts.lines(curves, "o", "grad", "variant", x_title=tr("output_o"), y_title=tr("grad_abs"), height=260),
        width="stretch",
    )

    st.subheader(tr("cases_title"))
    st.markdown(tr("cases_intro"))
    rows = []
    for i, (w, b) in enumerate(lf.LECTURE_CASES, start=1):
        mse, ce = lf.neuron_case("mse", w, b), lf.neuron_case("ce", w, b)
        rows.append(
            {
                tr("case"): i,
                "w, b": f"{w:g}, {b:g}",
                "z": f"{mse.z:.4g}",
                "o": f"{mse.o:.4f}",
                "e (MSE)": f"{mse.error:.4f}",
                "∂e/∂w (MSE)": f"{mse.grad_w:.4f}",
                "∂e/∂b (MSE)": f"{mse.grad_b:.4f}",
                "e (CE)": f"{ce.error:.4f}",
                "∂e/∂w (CE)": f"{ce.grad_w:.4f}",
                "∂e/∂b (CE)": f"{ce.grad_b:.4f}",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.metric(tr("ce_bits", o="0.98"), f"{float(lf.cross_entropy(0.98, 1, base=2)):.4f}")
    c2.metric(tr("ce_bits", o="0.0001"), f"{float(lf.cross_entropy(0.0001, 1, base=2)):.4f}")

    st.subheader(tr("neuron_train_title"))
    defaults({f"{P}.nlr": 0.5, f"{P}.nsteps": 400, f"{P}.case": 2})
    c1, c2, c3 = st.columns(3)
    case = c1.radio(tr("start_case"), [1, 2], key=f"{P}.case", horizontal=True)
    lr = c2.number_input(t("common.learning_rate"), 0.001, 10.0, key=f"{P}.nlr", format="%g")
    steps = c3.number_input(t("common.steps"), 1, 5000, key=f"{P}.nsteps")
    w, b = lf.LECTURE_CASES[case - 1]
    frames = []
    for n in lf.LOSSES:
        errors, outputs = lf.train_neuron(n, w, b, lr, int(steps))
        frames.append(pd.DataFrame({"step": np.arange(len(outputs)), "o": outputs, "variant": tr(f"loss_{n}")}))
    runs = pd.concat(frames)
    st.altair_chart(
        charts.lines(runs, "step", "o", "variant", x_title=t("common.step"), y_title=tr("output_o_y0"), height=260),
        width="stretch",
    )
    lesson(tr("lesson_loss"))

    st.subheader(tr("softmax_title"))
    st.latex(tr("softmax_latex"))
    defaults({f"{P}.logits": "2.0, 1.2, 4.0"})
    text = st.text_input(tr("logits"), key=f"{P}.logits", help=tr("logits_help"))
    logits = guard(lambda: parse_logits(text))
    probs, bits = lf.softmax(logits), lf.log_likelihood_losses(logits)
    st.dataframe(
        pd.DataFrame(
            {
                tr("class"): [str(i + 1) for i in range(len(logits))],
                tr("logit"): logits,
                tr("probability"): probs.round(4),
                tr("loss_bits"): bits.round(4),
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if tuple(logits) == lf.LECTURE_LOGITS:
        st.caption(tr("softmax_rounding", bits=", ".join(f"{v:.4f}" for v in -np.log2(np.round(probs, 4)))))
    lesson(tr("lesson_softmax"))


def parse_logits(text: str) -> np.ndarray:
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(tr("logits_bad")) from None
    if len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError(tr("logits_bad"))
    return np.array(values)


# ---------------------------------------------------------------- gradient checking


@st.cache_data(max_entries=32, show_spinner=False)
def run_check(spec: gradcheck.GradCheckSpec) -> pd.DataFrame:
    return pd.DataFrame([vars(r) for r in gradcheck.check(spec)])


def gradcheck_section() -> None:
    st.markdown(tr("gc_intro"))
    st.latex(tr("gc_latex"))
    d = gradcheck.GradCheckSpec()
    defaults(
        {
            f"{P}.gc.depth": d.depth,
            f"{P}.gc.width": d.width,
            f"{P}.gc.act": d.activation,
            f"{P}.gc.bn": d.batchnorm,
            f"{P}.gc.batch": d.batch,
            f"{P}.gc.eps": 1e-6,
            f"{P}.gc.layer": 1,
        }
    )
    c1, c2, c3, c4 = st.columns(4)
    depth = c1.slider(t("common.hidden_layers"), 1, 10, key=f"{P}.gc.depth")
    width = c2.slider(t("common.width"), 2, 16, key=f"{P}.gc.width")
    act = c3.selectbox(t("common.activation"), [a for a in ACTIVATIONS if a != "prelu"], key=f"{P}.gc.act")
    batch = c4.number_input(t("common.batch_size"), 1, 64, key=f"{P}.gc.batch")
    c1, c2, c3, c4 = st.columns(4)
    bn = c1.toggle(tr("batchnorm"), key=f"{P}.gc.bn")
    eps = c2.select_slider("ε", EPS_GRID, key=f"{P}.gc.eps", format_func=lambda v: f"{v:.0e}")
    bug = c3.selectbox(
        tr("bug"), list(gradcheck.BUGS), **translated(f"{P}.gc.bug", d.bug), format_func=lambda b: tr(f"bug_{b}")
    )
    layer = c4.number_input(tr("bug_layer"), 1, 10, key=f"{P}.gc.layer", disabled=bug == "none")
    spec = guard(
        lambda: gradcheck.GradCheckSpec(
            depth=depth,
            width=width,
            activation=act,
            batchnorm=bn,
            batch=int(batch),
            eps=eps,
            bug=bug,
            bug_layer=int(layer) - 1 if bug != "none" else 0,
        )
    )
    with st.spinner(tr("gc_running")):
        frame = run_check(spec)
    float64_note()
    frame["reading"] = [
        tr("band_none") if ns else tr(f"band_{gradcheck.band(e)}") for e, ns in zip(frame.rel_error, frame.no_signal)
    ]
    st.altair_chart(gradcheck_chart(frame), width="stretch")
    table = pd.DataFrame(
        {
            tr("tensor"): frame["name"],
            tr("shape"): ["×".join(map(str, s)) for s in frame["shape"]],
            tr("rel_error"): frame["rel_error"].map(lambda v: f"{v:.2e}"),
            tr("norm_num"): frame["norm_numeric"].map(lambda v: f"{v:.4g}"),
            tr("norm_bp"): frame["norm_backprop"].map(lambda v: f"{v:.4g}"),
            tr("reading"): frame["reading"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    if bn and batch == 1:
        st.warning(tr("gc_batch_one"))
    elif frame["no_signal"].any():
        st.info(tr("gc_no_signal"))
    if eps < 1e-9:
        st.info(tr("gc_tiny_eps"))
    lesson(tr("lesson_gc"))


def gradcheck_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Relative error per tensor on a log axis over the course's bands."""
    floor = 1e-16
    bars = frame.assign(shown=frame["rel_error"].clip(lower=floor), base=floor)  # log axis: no 0 baseline
    names = [tr("band_great"), tr("band_look"), tr("band_bug"), tr("band_none")]
    colors = alt.Scale(domain=names, range=["#54a24b", "#eeca3b", "#e45756", "#bab0ac"])
    bands = pd.DataFrame(
        {
            "lo": [floor, gradcheck.GREAT, gradcheck.BUG],
            "hi": [gradcheck.GREAT, gradcheck.BUG, 1.0],
            "reading": names[:3],
        }
    )
    log = alt.Scale(type="log", domain=[floor, 1.0])
    y = alt.Y("lo:Q", scale=log, title=tr("rel_error"), axis=alt.Axis(format=".0e"))
    back = (
        alt.Chart(bands)
        .mark_rect(opacity=0.15)
        .encode(y=y, y2="hi:Q", color=alt.Color("reading:N", scale=colors, legend=None))
    )
    front = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("name:N", sort=list(frame["name"]), title=tr("tensor")),
            y=alt.Y("shown:Q", scale=log, title=tr("rel_error"), axis=alt.Axis(format=".0e")),
            y2="base:Q",
            color=alt.Color("reading:N", scale=colors, title=None),
            tooltip=["name:N", alt.Tooltip("rel_error:Q", format=".2e"), "reading:N"],
        )
    )
    return alt.layer(back, front).properties(height=320)


# ---------------------------------------------------------------- page

st.title(tr("title"))
st.markdown(tr("intro"))
tabs = st.tabs([tr(f"tab_{n}") for n in ("lr", "schedules", "clipping", "normalization", "losses", "gradcheck")])
with tabs[0]:
    landscape_lr()
    st.divider()
    mnist_sweep()
with tabs[1]:
    schedule_section()
    st.divider()
    finder_section()
with tabs[2]:
    clipping_section()
with tabs[3]:
    normalization_section()
with tabs[4]:
    loss_section()
with tabs[5]:
    gradcheck_section()
