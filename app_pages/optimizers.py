"""Optimizers: paths on 2-D surfaces, then the MNIST comparison of book figure 6-9."""

import altair as alt
import pandas as pd
import streamlit as st

from core import playground
from core.experiments.optimizers import OptimizerComparison
from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import SURFACES, grid
from core.train import smoothed_loss
from ui import charts, labels, runner
from ui.i18n import number, t
from ui.widgets import (
    apply_preset,
    csv_download,
    dataset_select,
    defaults,
    guard,
    lesson,
    optimizer_inputs,
    spec_values,
    translated,
)

P = "opt2d"  # widget-key prefix of the playground
M = "optmnist"  # and of the MNIST comparison


def race_values(race: playground.Race) -> dict:
    """Widget values that show a playground preset, every method's knobs included."""
    start = SURFACES[race.surface].start
    values = {
        f"{P}.surface": race.surface,
        f"{P}.methods": list(race.methods),
        f"{P}.steps": race.steps,
        f"{P}.panels": race.panels,
        f"{P}.x0": start[0],
        f"{P}.y0": start[1],
        f"{P}.scrub": race.steps,
    }
    return values | {f"{P}.{m}.{h}": v for m, hp in race.hypers().items() for h, v in hp.items()}


def method_select(prefix: str) -> list[str]:
    return st.multiselect(
        t("optimizers.methods"), list(METHODS), format_func=labels.namer("method"), **translated(f"{prefix}.methods")
    )


def playground_tab() -> None:
    defaults(race_values(playground.PRESETS["book"]))
    st.markdown(t("optimizers.playground_intro"))
    cols = st.columns(len(playground.PRESETS))
    for col, (name, race) in zip(cols, playground.PRESETS.items()):
        col.button(
            t(f"optimizers.preset_{name}"),
            key=f"{P}.preset.{name}",
            on_click=apply_preset(race_values(race)),
            width="stretch",
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
        methods = method_select(P)
        c1, c2, c3 = st.columns(3)
        x0 = c1.number_input("x₀", -1e3, 1e3, key=f"{P}.x0", format="%g")
        y0 = c2.number_input("y₀", -1e3, 1e3, key=f"{P}.y0", format="%g")
        steps = int(c3.number_input(t("common.steps"), 1, 1000, key=f"{P}.steps"))
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

    paths = labels.labelled(playground.race(surface, specs, (x0, y0), steps))
    with right:
        st.session_state[f"{P}.scrub"] = min(st.session_state.get(f"{P}.scrub", steps), steps)
        scrub = st.slider(t("optimizers.scrub"), 0, steps, key=f"{P}.scrub")
        shown = paths[paths["step"] <= scrub].dropna()
        if panels:  # one small map per optimizer, as in the book's figure
            names = list(dict.fromkeys(shown["label"]))
            for i in range(0, len(names), 2):
                for col, name in zip(st.columns(2), names[i : i + 2]):
                    chart = surface_map(surface, shown[shown.label == name], x0, y0)
                    col.altair_chart(chart.properties(title=name, height=260), width="stretch")
        else:
            st.altair_chart(surface_map(surface, shown, x0, y0).properties(height=430), width="stretch")
        loss_chart = charts.lines(
            paths.dropna(),
            "step",
            "loss",
            "label",
            x_title=t("common.step"),
            y_title=t("common.loss"),
            log_y=surface in ("book", "knou", "rosenbrock"),
            height=220,
        )
        rule = alt.Chart(pd.DataFrame({"step": [scrub]})).mark_rule(strokeDash=[4, 4]).encode(x="step:Q")
        st.altair_chart(loss_chart + rule, width="stretch")

    st.markdown(f"#### {t('optimizers.final_table')}")
    st.dataframe(final_table(playground.endpoints(paths, surface, steps)), hide_index=True, width="stretch")
    csv_download(paths.drop(columns=["label", "hue"]), f"paths-{surface}", key=f"{P}.csv")
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
    return alt.layer(*layers, charts.paths(in_view, color="label")).resolve_scale(color="independent")


def final_table(ends: pd.DataFrame) -> pd.DataFrame:
    """Where each path ended, with a note where it diverged and the lecture's printed point."""
    table = pd.DataFrame(
        {
            t("optimizers.col_optimizer"): labels.labelled(ends)["label"],
            "x": ends.x.map(number),
            "y": ends.y.map(number),
            t("common.loss"): ends.loss.map(number),
        }
    )
    if ends.diverged_at.notna().any():
        table[t("optimizers.col_note")] = [diverged(s) for s in ends.diverged_at]
    if ends.printed.notna().any():
        table[t("optimizers.col_printed")] = [f"({p[0]:g}, {p[1]:g})" if p else "" for p in ends.printed]
    return table


def diverged(step: float) -> str:
    return t("common.diverged_at", step=int(step)) if pd.notna(step) else ""


def mnist_values(spec: OptimizerComparison) -> dict:
    """Widget values that show `spec`: its fields, the depth and width of `hidden`, the chosen
    methods and each one's settings."""
    knobs = {f"{o.method}.{h}": v for o in spec.optimizers for h, v in o.hp.items()}
    methods = [o.method for o in spec.optimizers]
    values = spec_values(M, spec, depth=len(spec.hidden), width=spec.hidden[0], methods=methods, **knobs)
    return {k: v for k, v in values.items() if k not in (f"{M}.hidden", f"{M}.optimizers")}


def mnist_tab() -> None:
    st.markdown(t("optimizers.mnist_intro"))
    presets = OptimizerComparison.presets()
    defaults(mnist_values(presets["book"]))
    for col, (name, preset) in zip(st.columns(len(presets)), presets.items()):
        col.button(
            t(f"optimizers.preset_mnist_{name}", n=preset.iterations),
            key=f"{M}.preset.{name}",
            on_click=apply_preset(mnist_values(preset)),
        )
    left, right = st.columns([1, 2])
    with left:
        dataset = dataset_select(f"{M}.dataset")
        methods = method_select(M)
        c1, c2 = st.columns(2)
        depth = c1.number_input(t("common.hidden_layers"), 1, 8, key=f"{M}.depth")
        width = c2.number_input(t("common.width"), 1, 1000, key=f"{M}.width")
        batch_size = c1.number_input(t("common.batch_size"), 1, 4096, key=f"{M}.batch_size")
        iterations = c2.number_input(t("common.iterations"), 1, 20000, key=f"{M}.iterations")
        optimizers = optimizer_inputs(methods, M, skip=("decay",))
        spec = guard(
            lambda: OptimizerComparison(
                dataset=dataset,
                hidden=(int(width),) * int(depth),
                batch_size=int(batch_size),
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
    loss = labels.labelled(smoothed_loss(curves, window))
    axes = {"x_title": t("common.iteration"), "log_y": log_y}
    chart = charts.lines(
        loss, "step", "smoothed", "label", y_title=t("optimizers.smoothed_loss"), tooltip_extra=("value",), **axes
    )
    if raw:
        raw_lines = charts.lines(loss, "step", "value", "label", y_title=t("common.loss"), **axes)
        chart = alt.layer(chart, raw_lines.mark_line(opacity=0.25))
    st.altair_chart(chart, width="stretch")
    s = labels.labelled(result.frames["summary"])
    acc = s["test_acc"] if "test_acc" in s else pd.Series(float("nan"), index=s.index)
    table = pd.DataFrame(
        {
            t("optimizers.col_optimizer"): s["label"],
            t("optimizers.smoothed_loss"): s["final_loss"].map(number),
            t("optimizers.test_acc"): acc.map(lambda a: f"{a:.2%}"),
            t("optimizers.seconds"): s["seconds"].map(lambda x: f"{x:.1f}"),
            t("optimizers.col_note"): s["diverged_at"].map(diverged),
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
    playground_tab()
with tabmnist:
    mnist_tab()
