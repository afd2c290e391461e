"""Optimizers: paths on 2-D surfaces, then the MNIST comparison of book figure 6-9."""

import pandas as pd
import streamlit as st

from core import playground
from core.experiments.optimizers import OptimizerComparison, live_loss, outcome
from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import SURFACES
from ui import labels, motion, opt_views, runner
from ui.addresses import optimizers_values
from ui.i18n import number, t
from ui.widgets import (
    apply_preset,
    csv_download,
    dataset_select,
    defaults,
    guard,
    lesson,
    optimizer_inputs,
    preset_buttons,
    translated,
)
from ui.widgets import tabs as page_tabs

P = "opt2d"  # widget-key prefix of the playground
M = "optmnist"  # and of the MNIST comparison
LIMIT = 100.0  # the largest start coordinate; the map grows to hold any start within it


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
    }
    return values | {f"{P}.{m}.{h}": v for m, hp in race.hypers().items() for h, v in hp.items()}


def method_select(prefix: str) -> list[str]:
    return st.multiselect(
        t("optimizers.methods"), list(METHODS), format_func=labels.namer("method"), **translated(f"{prefix}.methods")
    )


def surface_select() -> str:
    """The surface; choosing one loads its preset (start point, methods and rates that show its
    lesson), as if its preset button were clicked."""
    kwargs = translated(f"{P}.surface")
    remember = kwargs.pop("on_change")

    def load() -> None:
        remember()
        name = playground.SURFACE_PRESETS[st.session_state[f"{P}.surface"]]
        apply_preset(race_values(playground.PRESETS[name]))()

    return st.selectbox(
        t("optimizers.surface"),
        list(SURFACES),
        format_func=lambda s: t(f"optimizers.surface_{s}"),
        on_change=load,
        **kwargs,
    )


def playground_presets() -> None:
    """One button per playground preset, three to a row so that every label shows in full."""
    preset_buttons(P, {n: (t(f"optimizers.preset_{n}"), race_values(p)) for n, p in playground.PRESETS.items()})


def playground_tab() -> None:
    defaults(race_values(playground.PRESETS["book"]))
    st.markdown(t("optimizers.playground_intro"))
    playground_presets()
    left, right = st.columns([1, 2])
    with left:
        surface = surface_select()
        st.latex(SURFACES[surface].latex)
        methods = method_select(P)
        c1, c2, c3 = st.columns(3)
        x0 = c1.number_input("x₀", -LIMIT, LIMIT, key=f"{P}.x0", format="%g")
        y0 = c2.number_input("y₀", -LIMIT, LIMIT, key=f"{P}.y0", format="%g")
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
        at = motion.position("opt_step", steps, t("optimizers.scrub"))
        log_y = surface in ("book", "knou", "rosenbrock")
        st.altair_chart(opt_views.race_chart(surface, paths, (x0, y0), log_y, panels, at), width="content")
        motion.play_button(at, key=f"{P}.play")

    ends = playground.endpoints(paths, surface, steps, specs)
    st.markdown(f"#### {t('optimizers.final_table')}")
    st.dataframe(opt_views.final_table(ends), hide_index=True, width="stretch")
    csv_download(paths.drop(columns=["label", "hue"]), f"paths-{surface}", key=f"{P}.csv")
    if surface == "knou":
        st.caption(t("optimizers.knou_reading"))
    names = labels.variant_names(ends)
    lrs = {s.method: s.hp["lr"] for s in specs}
    lesson(opt_views.race_lesson(playground.facts(paths, ends, surface, steps), names, lrs))


def mnist_tab() -> None:
    st.markdown(t("optimizers.mnist_intro"))
    presets = OptimizerComparison.presets()
    defaults(optimizers_values(presets["book"]))
    preset_buttons(
        M, {n: (t(f"optimizers.preset_mnist_{n}", n=p.iterations), optimizers_values(p)) for n, p in presets.items()}
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
        live = lambda: opt_views.live_lines(live_loss(spec))  # noqa: E731
        result = runner.result_or_button(spec, t("optimizers.train"), key=f"{M}.train", live=live)
        if result is None or "curves" not in result.frames:
            return
        show_mnist(result)


def show_mnist(result) -> None:
    curves = result.frames["curves"]
    c1, c2, c3 = st.columns(3)
    window = c1.slider(t("optimizers.smooth_window"), 1, 200, 50, key=f"{M}.window")
    raw = c2.toggle(t("optimizers.show_raw"), key=f"{M}.raw")
    log_y = c3.toggle(t("common.log_scale"), key=f"{M}.log")
    st.altair_chart(opt_views.loss_lines(curves, window, raw, log_y), width="stretch")
    summary = result.frames["summary"]
    s = labels.labelled(summary)
    acc = s["test_acc"] if "test_acc" in s else pd.Series(float("nan"), index=s.index)
    table = pd.DataFrame(
        {
            t("optimizers.col_optimizer"): s["label"],
            t("optimizers.smoothed_loss"): s["final_loss"].map(number),
            t("optimizers.test_acc"): acc.map(lambda a: "—" if a != a else f"{a:.2%}"),
            t("optimizers.seconds"): s["seconds"].map(lambda x: f"{x:.1f}"),
            t("optimizers.col_note"): s["diverged_at"].map(opt_views.diverged),
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("optimizers.seconds_note"))
    csv_download(curves, "optimizers-mnist", key=f"{M}.csv")
    trained = int(curves.loc[curves.metric == "loss", "step"].max())
    lrs = dict(zip(summary["variant"], summary["lr"]))
    lesson(opt_views.mnist_lesson(outcome(summary), labels.variant_names(summary), trained, lrs))


st.title(t("optimizers.title"))
st.markdown(t("optimizers.intro"))
tab2d, tabmnist = page_tabs("optimizers.tab", {n: t(f"optimizers.tab_{n}") for n in ("playground", "mnist")})
with tab2d:
    playground_tab()
with tabmnist:
    mnist_tab()
