"""Optimizers: paths on 2-D surfaces, then the MNIST comparison of book figure 6-9."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.experiments.optimizers import OptimizerComparison
from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import SURFACES, grid, path
from core.train import smoothed_loss
from ui import charts, runner
from ui.i18n import number, t
from ui.widgets import (
    apply_preset,
    csv_download,
    dataset_select,
    defaults,
    guard,
    lesson,
    method_label,
    optimizer_inputs,
    translated,
)

P = "opt2d"  # widget-key prefix of the playground
M = "optmnist"  # and of the MNIST comparison
PLAYGROUND_LR = {
    "sgd": 0.95,
    "momentum": 0.1,
    "nesterov": 0.1,
    "adagrad": 1.5,
    "rmsprop": 0.1,
    "adam": 0.3,
    "adamw": 0.3,
    "adadelta": 1.0,
}  # book figure 6-8's rates, and as lively for the rest
KNOU_PRINTED = {"sgd": (-0.663, -0.107), "momentum": (-0.020, -0.0230), "nesterov": (-0.00850, -0.00174)}


def playground_preset(surface: str, methods: dict[str, dict], steps: int, panels: bool) -> dict:
    """Widget values for a playground preset: every hyperparameter at its default unless given."""
    values = {
        f"{P}.surface": surface,
        f"{P}.methods": list(methods),
        f"{P}.steps": steps,
        f"{P}.panels": panels,
        f"{P}.x0": SURFACES[surface].start[0],
        f"{P}.y0": SURFACES[surface].start[1],
        f"{P}.scrub": steps,
    }
    for m, method in METHODS.items():
        given = methods.get(m, {})
        for h in method.hypers:
            default = PLAYGROUND_LR[m] if h.name == "lr" else h.default
            values[f"{P}.{m}.{h.name}"] = given.get(h.name, default)
    return values


PRESETS_2D = {
    "book": playground_preset(
        "book", {"sgd": {"lr": 0.95}, "momentum": {"lr": 0.1}, "adagrad": {"lr": 1.5}, "adam": {"lr": 0.3}}, 30, True
    ),
    "knou": playground_preset("knou", {m: {"lr": 0.01} for m in ("sgd", "momentum", "nesterov")}, 100, False),
    "knou_adaptive": playground_preset(
        "knou", {"sgd": {"lr": 0.01}, "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.1, "rho": 0.9}}, 100, False
    ),
}


def playground() -> None:
    defaults(PRESETS_2D["book"])
    st.markdown(t("optimizers.playground_intro"))
    cols = st.columns(len(PRESETS_2D))
    for col, (name, values) in zip(cols, PRESETS_2D.items()):
        col.button(
            t(f"optimizers.preset_{name}"), key=f"{P}.preset.{name}", on_click=apply_preset(values), width="stretch"
        )

    left, right = st.columns([1, 2])
    with left:
        surface = st.selectbox(
            t("optimizers.surface"),
            list(SURFACES),
            format_func=lambda s: t(f"optimizers.surface_{s}"),
            **translated(f"{P}.surface"),
        )
        st.latex(SURFACES[surface].latex)
        methods = st.multiselect(t("optimizers.methods"), list(METHODS), key=f"{P}.methods", format_func=method_label)
        c1, c2, c3 = st.columns(3)
        x0 = c1.number_input("x₀", -1e3, 1e3, key=f"{P}.x0", format="%g")
        y0 = c2.number_input("y₀", -1e3, 1e3, key=f"{P}.y0", format="%g")
        steps = c3.number_input(t("common.steps"), 1, 1000, key=f"{P}.steps")
        book_rule = st.checkbox(
            t("optimizers.book_rule"), value=True, key=f"{P}.book_rule", help=t("optimizers.book_rule_help")
        )
        panels = st.toggle(t("optimizers.panels"), key=f"{P}.panels")
        specs = guard(
            lambda: [OptimizerSpec.of(s.method, book=book_rule, **s.hp) for s in optimizer_inputs(methods, P)]
        )
    if not specs:
        right.info(t("optimizers.pick_one"))
        return

    f = SURFACES[surface].f
    frames = []
    for spec in specs:
        pts = path(surface, spec, (x0, y0), int(steps))
        frames.append(
            pd.DataFrame(
                {
                    "optimizer": spec.label,
                    "step": np.arange(len(pts)),
                    "x": pts[:, 0],
                    "y": pts[:, 1],
                    "loss": f(pts[:, 0], pts[:, 1]),
                }
            )
        )
    paths = pd.concat(frames, ignore_index=True)

    with right:
        st.session_state[f"{P}.scrub"] = min(st.session_state.get(f"{P}.scrub", steps), int(steps))
        scrub = st.slider(t("optimizers.scrub"), 0, int(steps), key=f"{P}.scrub")
        shown = paths[paths["step"] <= scrub].dropna()
        if panels:  # one small map per optimizer, as in the book's figure
            names = list(dict.fromkeys(shown["optimizer"]))
            for i in range(0, len(names), 2):
                for col, name in zip(st.columns(2), names[i : i + 2]):
                    chart = surface_map(surface, shown[shown.optimizer == name], x0, y0)
                    col.altair_chart(chart.properties(title=name, height=260), width="stretch")
        else:
            st.altair_chart(surface_map(surface, shown, x0, y0).properties(height=430), width="stretch")
        loss_chart = charts.lines(
            paths.dropna(),
            "step",
            "loss",
            "optimizer",
            x_title=t("common.step"),
            y_title=t("common.loss"),
            log_y=surface in ("book", "knou", "rosenbrock"),
            height=220,
        )
        rule = alt.Chart(pd.DataFrame({"step": [scrub]})).mark_rule(strokeDash=[4, 4]).encode(x="step:Q")
        st.altair_chart(loss_chart + rule, width="stretch")

    st.markdown(f"#### {t('optimizers.final_table')}")
    st.dataframe(final_table(paths, surface, int(steps)), hide_index=True, width="stretch")
    csv_download(paths, f"paths-{surface}", key=f"{P}.csv")
    if surface == "knou":
        st.caption(t("optimizers.knou_reading"))
    lesson(t(f"optimizers.lesson_{surface}"))


def surface_map(surface: str, shown: pd.DataFrame, x0: float, y0: float) -> alt.LayerChart:
    """The contour map with the start, the minima and the paths in `shown`."""
    s = SURFACES[surface]
    gx, gy, gf = grid(surface, 60)
    minima = pd.DataFrame([{"x": a, "y": b, "label": t("optimizers.minimum")} for a, b in s.minima])
    start = pd.DataFrame([{"x": x0, "y": y0, "label": t("optimizers.start")}])
    layers = [charts.filled_contours(gx, gy, gf), charts.markers(start, "circle", "#444")]
    if not minima.empty:
        layers.append(charts.markers(minima, "cross", "black"))
    in_view = shown[(shown.x.between(s.view[0], s.view[1])) & (shown.y.between(s.view[2], s.view[3]))]
    return alt.layer(*layers, charts.paths(in_view)).resolve_scale(color="independent")


def final_table(paths: pd.DataFrame, surface: str, steps: int) -> pd.DataFrame:
    rows = []
    for name, g in paths.groupby("optimizer", sort=False):
        ok = g.dropna()
        last = ok.iloc[-1]
        row = {
            t("optimizers.col_optimizer"): name,
            "x": number(last.x),
            "y": number(last.y),
            t("common.loss"): number(last.loss),
        }
        if len(ok) < steps + 1:
            row[t("optimizers.col_note")] = t("common.diverged_at", step=int(last.step) + 1)
        key = next((m for m in KNOU_PRINTED if METHODS[m].label == name), None)
        if surface == "knou" and steps == 100 and key:
            px, py = KNOU_PRINTED[key]
            row[t("optimizers.col_printed")] = f"({px:g}, {py:g})"
        rows.append(row)
    return pd.DataFrame(rows)


def mnist_comparison() -> None:
    st.markdown(t("optimizers.mnist_intro"))
    book = OptimizerComparison()
    preset = {
        f"{M}.hidden": len(book.hidden),
        f"{M}.width": book.hidden[0],
        f"{M}.batch": book.batch_size,
        f"{M}.iterations": book.iterations,
        f"{M}.methods": [o.method for o in book.optimizers],
    }
    for o in book.optimizers:
        for name, value in o.hp.items():
            preset[f"{M}.{o.method}.{name}"] = value
    defaults(preset)
    st.button(t("optimizers.preset_mnist_book"), key=f"{M}.preset", on_click=apply_preset(preset))
    left, right = st.columns([1, 2])
    with left:
        dataset = dataset_select(f"{M}.dataset")
        methods = st.multiselect(t("optimizers.methods"), list(METHODS), key=f"{M}.methods", format_func=method_label)
        c1, c2 = st.columns(2)
        depth = c1.number_input(t("common.hidden_layers"), 1, 8, key=f"{M}.hidden")
        width = c2.number_input(t("common.width"), 1, 1000, key=f"{M}.width")
        batch = c1.number_input(t("common.batch_size"), 1, 4096, key=f"{M}.batch")
        iterations = c2.number_input(t("common.iterations"), 1, 20000, key=f"{M}.iterations")
        optimizers = optimizer_inputs(methods, M, skip=("decay",))
        spec = guard(
            lambda: OptimizerComparison(
                dataset=dataset,
                hidden=(int(width),) * int(depth),
                batch_size=int(batch),
                iterations=int(iterations),
                optimizers=tuple(OptimizerSpec.of(o.method, book=True, **o.hp) for o in optimizers),
            )
        )
    with right:
        st.caption(
            t("optimizers.mnist_setup", sizes=" - ".join(map(str, spec.net().sizes)), n=f"{spec.net().n_params():,}")
        )
        result = runner.result_or_button(spec, t("optimizers.train"), key=f"{M}.train")
        if result is None or "curves" not in result.frames:
            return
        show_mnist(result)


def show_mnist(result) -> None:
    curves = result.frames["curves"]
    c1, c2, c3 = st.columns(3)
    window = c1.slider(t("optimizers.smooth_window"), 1, 200, 50, key=f"{M}.window")
    raw = c2.toggle(t("optimizers.show_raw"), key=f"{M}.raw")
    log_y = c3.toggle(t("common.log_scale"), key=f"{M}.log")
    loss = smoothed_loss(curves, window)
    chart = charts.lines(
        loss,
        "step",
        "smoothed",
        "variant",
        x_title=t("common.iteration"),
        y_title=t("optimizers.smoothed_loss"),
        log_y=log_y,
        tooltip_extra=("value",),
    )
    if raw:
        chart = alt.layer(
            chart,
            charts.lines(
                loss, "step", "value", "variant", x_title=t("common.iteration"), y_title=t("common.loss"), log_y=log_y
            ).mark_line(opacity=0.25),
        )
    st.altair_chart(chart, width="stretch")
    s = result.frames["summary"]
    table = pd.DataFrame(
        {
            t("optimizers.col_optimizer"): s["variant"],
            t("optimizers.smoothed_loss"): s["final_loss"].map(number),
            t("optimizers.test_acc"): s.get("test_acc", pd.Series([np.nan] * len(s))).map(lambda a: f"{a:.2%}"),
            t("optimizers.seconds"): s["seconds"].map(lambda x: f"{x:.1f}"),
            t("optimizers.col_note"): [
                t("common.diverged_at", step=int(d)) if pd.notna(d) else "" for d in s["diverged_at"]
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("optimizers.seconds_note"))
    csv_download(curves, "optimizers-mnist", key=f"{M}.csv")
    lesson(t("optimizers.lesson_mnist"))


st.title(t("optimizers.title"))
st.markdown(t("optimizers.intro"))
tab2d, tabmnist = st.tabs([t("optimizers.tab_playground"), t("optimizers.tab_mnist")])
with tab2d:
    playground()
with tabmnist:
    mnist_comparison()
