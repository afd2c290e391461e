"""Weight initialization: activation histograms (book figures 6-10 to 6-14), symmetry, the signal
over depth (vanishing and exploding gradients) and the MNIST comparison (figure 6-15). The
activation functions themselves have their own page."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from core.experiments import initialization as init
from core.experiments.initialization import DepthProfile, InitComparison, InitHistograms, Symmetry
from core.nets import ACTIVATIONS, INITS
from core.spec import Result, Spec
from core.train import smoothed_loss
from ui import charts, labels, runner
from ui import init_views as views
from ui.i18n import number, t
from ui.widgets import (
    apply_preset,
    csv_download,
    dataset_select,
    defaults,
    float64_note,
    guard,
    lesson,
    spec_values,
    translated,
)
from ui.widgets import tabs as page_tabs

H, S, D, M = "inithist", "initsym", "initdepth", "initmnist"  # widget-key prefixes of the tabs
HIST_PRESETS = {  # button -> InitHistograms preset (book figures)
    "sigmoid_std1": "book-sigmoid-std1",
    "sigmoid_std001": "book-sigmoid-std0.01",
    "sigmoid_xavier": "book-sigmoid-xavier",
    "tanh_xavier": "book-tanh-xavier",
    "relu_three": "book-relu",
}
DEPTH_PRESETS = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "linear_scale": "linear-scale"}


@st.cache_data(max_entries=64, show_spinner=False)
def quick(key: str, _spec: Spec) -> Result:
    """Experiments that take well under a second run right in the page, remembered by key."""
    return _spec.run()


def histograms_tab() -> None:
    st.markdown(t("initialization.hist_intro"))
    presets = {button: InitHistograms.presets()[name] for button, name in HIST_PRESETS.items()}
    defaults(spec_values(H, presets["sigmoid_std1"]))
    views.preset_buttons(H, presets, "preset")
    left, right = st.columns([1.2, 3])
    with left:
        activation = views.activation_input(H)
        inits = views.init_inputs(H)
        c1, c2 = st.columns(2)
        depth = c1.number_input(t("initialization.layers"), 1, InitHistograms.MAX_DEPTH, key=f"{H}.depth")
        width = c2.number_input(t("common.width"), 1, 1000, key=f"{H}.width")
        spec = guard(lambda: InitHistograms(activation=activation, depth=int(depth), width=int(width), **inits))
        st.caption(t("initialization.hist_setup", n=spec.n_samples, n_in=spec.n_in))
        float64_note()
    result = quick(spec.key(), spec)
    stats, hist = (labels.labelled(result.frames[f]) for f in ("stats", "histogram"))
    with right:
        views.histogram_rows(hist, stats)
    st.dataframe(views.stats_table(stats), hide_index=True, width="stretch")
    csv_download(result.frames["stats"], "init-histograms", key=f"{H}.csv")
    facts = init.spread_facts(spec, result.frames["stats"])
    lesson(views.spread_lesson(spec.activation, facts, labels.variant_names(stats)))


def symmetry_tab() -> None:
    st.markdown(t("initialization.sym_intro"))
    defaults(spec_values(S, Symmetry(), width=Symmetry().hidden[0]))
    left, right = st.columns([1.3, 2])
    with left:
        activation = views.activation_input(S)
        inits = st.multiselect(
            t("initialization.inits"), INITS, format_func=labels.namer("init"), **translated(f"{S}.inits")
        )
        c1, c2 = st.columns(2)
        value = c1.number_input(
            t("initialization.init_value"), -10.0, 10.0, key=f"{S}.init_value", format="%g", step=0.01
        )
        width = c2.number_input(t("common.width"), 1, 200, key=f"{S}.width")
        steps = c1.number_input(t("common.steps"), 1, 5000, key=f"{S}.steps")
        lr = c2.number_input(t("common.learning_rate"), 0.0001, 10.0, key=f"{S}.lr", format="%g")
        spec = guard(
            lambda: Symmetry(
                activation=activation,
                inits=tuple(inits),
                init_value=float(value),
                hidden=(int(width),) * 2,
                steps=int(steps),
                every=max(1, int(steps) // 15),
                lr=float(lr),
            )
        )
        st.caption(t("initialization.sym_setup", n=spec.n_train, batch=spec.batch_size))
    with right:
        result = runner.result_or_button(spec, t("initialization.train"), key=f"{S}.train")
        if result is None or "units" not in result.frames:
            return
        units, curves = labels.labelled(result.frames["units"]), labels.labelled(result.frames["curves"])
        axes = {"x_title": t("common.step"), "y_title": t("initialization.distinct_units")}
        for n in sorted(set(units.layer)):  # one under another: side by side, a narrow column squeezed them flat
            chart = charts.lines(units[units.layer == n], "step", "distinct", "label", height=300, **axes)
            st.altair_chart(chart.properties(title=t("initialization.layer_n", n=n)), width="stretch")
        acc = curves[curves.metric == "test_acc"]  # as wide as the column: a third of it cut its title short
        y_title = t("initialization.test_acc")
        chart = charts.lines(acc, "step", "value", "label", x_title=t("common.step"), y_title=y_title, height=220)
        st.altair_chart(chart, width="stretch")
        summary = labels.labelled(result.frames["summary"])
        last = units[units.step == units.step.max()].sort_values("layer").groupby("variant")["distinct"]
        of = " / ".join(map(str, spec.hidden))
        distinct = summary["variant"].map(lambda v: " / ".join(map(str, last.get_group(v))) + f" ({of})")
        table = {t("initialization.col_init"): summary["label"], t("initialization.distinct_final"): distinct}
        table[t("initialization.test_acc")] = views.accuracy(summary)
        st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    csv_download(result.frames["units"], "init-symmetry", key=f"{S}.csv")
    facts = init.symmetry_facts(spec.hidden, result.frames["units"], result.frames["summary"])
    lesson(views.symmetry_lesson(facts, labels.variant_names(summary), int(units.step.max())))


def depth_tab() -> None:
    st.markdown(t("initialization.depth_intro"))
    presets = {button: DepthProfile.presets()[name] for button, name in DEPTH_PRESETS.items()}
    defaults(spec_values(D, presets["tanh"]))
    views.preset_buttons(D, presets, "depth_preset")
    left, right = st.columns([1.3, 2])
    with left:
        activation = views.activation_input(D)
        inits = views.init_inputs(D)
        depth = st.slider(t("initialization.layers"), 1, DepthProfile.MAX_DEPTH, key=f"{D}.depth")
        c1, c2, c3 = st.columns(3)
        width = c1.number_input(t("common.width"), 1, 500, key=f"{D}.width")
        steps = c2.number_input(t("common.steps"), 1, 500, key=f"{D}.steps")
        lr = c3.number_input(t("common.learning_rate"), 0.0001, 10.0, key=f"{D}.lr", format="%g")
        at_init = guard(
            lambda: DepthProfile(activation=activation, depth=int(depth), width=int(width), steps=0, **inits)
        )
        trained = guard(lambda: dataclasses.replace(at_init, steps=int(steps), lr=float(lr)))
    with right:
        result = quick(at_init.key(), at_init)
        after = runner.result_or_button(trained, t("initialization.depth_train", steps=int(steps)), key=f"{D}.train")
        if after is not None and "profile" in after.frames:
            result = after
            diverged = labels.labelled(after.frames["summary"]).dropna(subset=["diverged_at"])
            for row in diverged.itertuples():
                st.warning(f"{row.label}: {t('common.diverged_at', step=int(row.diverged_at))}")
        views.profile_charts(result.frames["profile"])
        st.caption(t("initialization.profile_note"))
    csv_download(result.frames["profile"], "init-depth", key=f"{D}.csv")
    profile = result.frames["profile"]
    lesson(
        views.depth_lesson(
            at_init.activation, init.depth_facts(at_init.activation, profile), labels.variant_names(profile)
        )
    )


def mnist_tab() -> None:
    st.markdown(t("initialization.mnist_intro"))
    book = InitComparison()
    preset = spec_values(M, book, layers=len(book.hidden), width=book.hidden[0])
    defaults(preset)
    st.button(t("initialization.preset_mnist_book"), key=f"{M}.preset", on_click=apply_preset(preset))
    left, right = st.columns([1.3, 2])
    with left:
        dataset = dataset_select(f"{M}.dataset")
        activations = st.multiselect(
            t("initialization.activations"),
            ACTIVATIONS,
            format_func=labels.namer("activation"),
            **translated(f"{M}.activations"),
        )
        inits = views.init_inputs(M)
        c1, c2 = st.columns(2)
        layers = c1.number_input(t("common.hidden_layers"), 1, 10, key=f"{M}.layers")
        width = c2.number_input(t("common.width"), 1, 1000, key=f"{M}.width")
        batch = c1.number_input(t("common.batch_size"), 1, 4096, key=f"{M}.batch_size")
        iterations = c2.number_input(t("common.iterations"), 1, 20000, key=f"{M}.iterations")
        lr = c1.number_input(t("common.learning_rate"), 0.0001, 10.0, key=f"{M}.lr", format="%g")
        spec = guard(
            lambda: InitComparison(
                dataset=dataset,
                activations=tuple(activations),
                hidden=(int(width),) * int(layers),
                batch_size=int(batch),
                iterations=int(iterations),
                lr=float(lr),
                **inits,
            )
        )
    with right:
        sizes = " - ".join(map(str, (784, *spec.hidden, 10)))
        st.caption(t("initialization.mnist_setup", sizes=sizes, n=len(spec.variants())))
        result = runner.result_or_button(spec, t("initialization.train"), key=f"{M}.train")
        if result is not None and "curves" in result.frames:
            show_mnist(result, spec.book_settings())


def show_mnist(result: Result, book: bool) -> None:
    c1, c2 = st.columns(2)
    window = c1.slider(t("initialization.smooth_window"), 1, 200, 50, key=f"{M}.window")
    log_y = c2.toggle(t("common.log_scale"), key=f"{M}.log")
    loss = labels.labelled(smoothed_loss(result.frames["curves"], window))
    several = "activation" in loss.columns  # a key column only where several activations ran
    if several:
        loss["activation_name"] = loss["activation"].map(labels.namer("activation"))
    y_title = t("initialization.smoothed_loss")
    dash = "activation_name" if several else None
    chart = charts.lines(
        loss, "step", "smoothed", "label", x_title=t("common.iteration"), y_title=y_title, log_y=log_y, dash=dash
    )
    st.altair_chart(chart, width="stretch")
    s = labels.labelled(result.frames["summary"])
    table = {
        t("initialization.col_init"): s["label"],
        t("initialization.smoothed_loss"): s["final_loss"].map(number),
        t("initialization.test_acc"): views.accuracy(s, 2),
        t("initialization.col_note"): s["diverged_at"].map(
            lambda d: t("common.diverged_at", step=int(d)) if pd.notna(d) else ""
        ),
    }
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    csv_download(result.frames["curves"], "init-mnist", key=f"{M}.csv")
    lesson(views.mnist_lesson(init.mnist_facts(s, book), labels.variant_names(s), several))


st.title(t("initialization.title"))
st.markdown(t("initialization.intro"))
st.page_link("app_pages/activations.py", label=t("initialization.activations_link"), icon=":material/show_chart:")
with st.expander(t("initialization.theory_title"), expanded=False):
    views.theory()
tabs = page_tabs(
    "initialization.tab", {n: t(f"initialization.tab_{n}") for n in ("histograms", "symmetry", "depth", "mnist")}
)
for tab, show in zip(tabs, (histograms_tab, symmetry_tab, depth_tab, mnist_tab)):
    with tab:
        show()
