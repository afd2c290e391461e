"""Overfitting and regularization: the book's over-sized network on 300 images (figures 6-20 to
6-23), weight decay / L2 / L1, dropout, early stopping (the lecture's Keras example), ensembles,
and all remedies side by side."""

import streamlit as st

from core.experiments import regularization as reg
from core.experiments.regularization import DecayVsL2, EarlyStoppingRun, Ensemble, Overfitting
from core.nets import DROPOUT_SCALINGS
from ui import labels, runner
from ui import reg_views as views
from ui.i18n import t
from ui.reg_views import pct, tr
from ui.widgets import apply_preset, csv_download, defaults, guard, lesson, preset_buttons, spec_values, translated
from ui.widgets import tabs as page_tabs

P = "regularization"
BOOK = Overfitting.presets()


def epochs_input(prefix: str, container=st) -> int:
    return int(container.number_input(tr("epochs"), 1, 1000, key=f"{prefix}.epochs"))


def lambda_input(label: str, key: str, container=st) -> float:
    return container.select_slider(label, reg.LAMBDAS, key=key, format_func=lambda v: f"{v:g}")


def seeing_overfitting() -> None:
    k = f"{P}.see"
    st.markdown(tr("see_intro"))
    book = BOOK["book"]
    defaults(spec_values(k, book, depth=len(book.hidden), width=book.hidden[0]))
    c1, c2, c3, c4 = st.columns(4)
    n = c1.select_slider(tr("n_train"), reg.TRAIN_SIZES, key=f"{k}.n_train", format_func=lambda v: f"{v:,}")
    depth = c2.number_input(t("common.hidden_layers"), 1, 10, key=f"{k}.depth")
    width = c3.number_input(t("common.width"), 1, 1000, key=f"{k}.width")
    epochs = epochs_input(k, c4)
    spec = guard(lambda: Overfitting(n_train=int(n), hidden=(int(width),) * int(depth), epochs=epochs))
    views.setting_caption(spec)
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    views.gap_metrics(result.frames["summary"].iloc[0])
    st.altair_chart(views.gap_chart(result.frames["curves"]), width="stretch")
    st.caption(tr("gap_caption", n=spec.n_eval))
    csv_download(result.frames["curves"], "overfitting", key=f"{k}.csv")
    lesson(views.see_lesson(spec, result))


def weight_decay() -> None:
    k = f"{P}.decay"
    st.markdown(tr("decay_intro"))
    st.latex(r"\tilde L = L + \tfrac{\lambda}{2}\sum W^2 \qquad \tilde L = L + \lambda\sum |W|")
    st.latex(r"w \leftarrow (1-\eta\lambda)\,w - \eta\,\frac{\partial L}{\partial w}")
    st.latex(r"\text{L1:}\quad w \leftarrow \operatorname{sign}(w)\,\max\left(|w| - \eta\lambda,\ 0\right)")
    defaults(spec_values(k, BOOK["book_l1"]))
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    remedy = labels.namer("remedy")
    remedies = c1.multiselect(tr("remedies"), reg.DECAY_REMEDIES, format_func=remedy, **translated(f"{k}.regularizer"))
    l2 = lambda_input(tr("lambda_l2"), f"{k}.l2", c2)
    l1 = lambda_input(tr("lambda_l1"), f"{k}.l1", c3)
    method = labels.namer("method")
    opt = c4.radio(
        tr("optimizer"), list(reg.BOOK_LR), format_func=method, horizontal=True, **translated(f"{k}.optimizer")
    )
    epochs = epochs_input(k, c4)
    if not remedies:
        st.info(tr("pick_one"))
        return
    spec = guard(
        lambda: Overfitting(
            regularizer=tuple(remedies), l2=l2, l1=l1, optimizer=opt, lr=reg.BOOK_LR[opt], epochs=epochs
        )
    )
    st.caption(tr("decay_which", lr=spec.lr))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is not None:
        views.show_run(result, k, spec.n_eval)
        views.weight_histograms(result)
        lesson(views.remedies_lesson(spec, result, weights_shown=True))
    st.markdown(f"#### {tr('demo_title')}")
    decay_vs_l2_demo(l2)


def decay_vs_l2_demo(lam: float) -> None:
    st.markdown(tr("demo_intro"))
    spec = guard(lambda: DecayVsL2(lam=lam))
    result = runner.result_or_button(spec, tr("demo_run"), key=f"{P}.demo.run")
    if result is None:
        return
    norms, distance = views.decay_charts(result.frames["paths"])
    c1, c2 = st.columns(2)
    c1.altair_chart(norms, width="stretch")
    c2.altair_chart(distance, width="stretch")
    st.caption(tr("demo_caption"))
    facts = reg.decay_demo_facts(spec, result)
    st.dataframe(views.decay_table(result.frames["paths"], facts), hide_index=True, width="stretch")
    lesson(views.demo_lesson(spec, result.frames["paths"], facts))


def dropout_section() -> None:
    k = f"{P}.dropout"
    st.markdown(tr("dropout_intro"))
    st.latex(
        r"\text{inverted: } \tilde h = \frac{m \odot h}{1-p},\ \ h_{\text{test}} = h"
        r"\qquad \text{book: } \tilde h = m \odot h,\ \ h_{\text{test}} = (1-p)\,h"
        r"\qquad m_i \sim \text{Bernoulli}(1-p)"
    )
    defaults(spec_values(k, BOOK["book_dropout"], mask_seed=0))
    c1, c2, c3, c4 = st.columns(4)
    p = c1.slider(tr("dropout_p"), 0.0, 0.9, step=0.05, key=f"{k}.dropout")
    p_in = c2.slider(tr("input_dropout"), 0.0, 0.9, step=0.05, key=f"{k}.input_dropout")
    scaling = views.scaling
    rule = c3.radio(tr("scaling"), DROPOUT_SCALINGS, format_func=scaling, **translated(f"{k}.dropout_scaling"))
    epochs = epochs_input(k, c4)
    spec = guard(
        lambda: Overfitting(
            regularizer=("none", "dropout"), dropout=p, input_dropout=p_in, dropout_scaling=rule, epochs=epochs
        )
    )
    left, right = st.columns(2)
    with left:
        st.markdown(f"##### {tr('mask_title')}")
        seed = st.session_state[f"{k}.mask_seed"]
        st.altair_chart(views.mask_chart(float(p), seed), width="stretch")
        st.button(tr("new_mask"), key=f"{k}.new_mask", on_click=apply_preset({f"{k}.mask_seed": seed + 1}))
    with right:
        st.markdown(f"##### {tr('expectation_title')}")
        st.dataframe(views.expectation_table(float(p)), hide_index=True, width="stretch")
        st.caption(tr("expectation_caption"))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is not None:
        views.show_run(result, k, spec.n_eval)
        lesson(views.dropout_lesson(spec, result))


def early_stopping() -> None:
    k = f"{P}.es"
    st.markdown(tr("es_intro"))
    presets = EarlyStoppingRun.presets()
    defaults(spec_values(k, presets["quick"]))
    preset_buttons(k, {n: (tr(f"preset_es_{n}"), spec_values(k, presets[n])) for n in ("quick", "lecture")}, per_row=2)
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    n = c1.selectbox(tr("n_train"), reg.ES_SIZES, format_func=views.images, **translated(f"{k}.n_train"))
    epochs = int(c2.number_input(tr("epochs"), 1, 200, key=f"{k}.epochs"))
    monitor = c3.radio(tr("monitor"), ["val_loss", "val_acc"], format_func=tr, **translated(f"{k}.monitor"))
    patience = int(c4.number_input(tr("patience"), 0, 100, key=f"{k}.patience"))
    delta = c5.number_input(tr("min_delta"), 0.0, 1.0, key=f"{k}.min_delta", format="%g", step=0.001)
    restore = c6.checkbox(tr("restore"), key=f"{k}.restore_best")
    spec = guard(
        lambda: EarlyStoppingRun(
            n_train=int(n),
            epochs=epochs,
            monitor=monitor,
            patience=patience,
            min_delta=float(delta),
            restore_best=restore,
        )
    )
    st.caption(tr("es_setting"))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    st.altair_chart(views.es_chart(result, reg.monitored_measure(spec.monitor)), width="stretch")
    st.caption(tr("es_caption", n=spec.n_eval))
    facts = reg.early_stopping_facts(spec, result)
    st.dataframe(views.es_table(result.frames["summary"], facts), hide_index=True, width="stretch")
    csv_download(result.frames["curves"], "early-stopping", key=f"{k}.csv")
    lesson(views.es_lesson(facts))


def ensembles() -> None:
    k = f"{P}.ens"
    st.markdown(tr("ens_intro"))
    st.latex(r"p(y \mid x) = \frac{1}{N}\sum_{i=1}^{N} p_i(y \mid x)")
    defaults(spec_values(k, Ensemble.presets()["book"]))
    c1, c2, c3 = st.columns(3)
    members = c1.slider(tr("members"), 1, 10, key=f"{k}.members")
    p = c2.slider(tr("dropout_p"), 0.0, 0.9, step=0.05, key=f"{k}.dropout")
    epochs = epochs_input(k, c3)
    spec = guard(lambda: Ensemble(members=members, dropout=p, epochs=epochs))
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    facts = reg.ensemble_facts(result)
    bars, growth = views.ensemble_charts(reg.ensemble_bars(result), result.frames["ensemble"], facts.mean_single)
    c1, c2 = st.columns(2)
    c1.altair_chart(bars, width="stretch")
    c2.altair_chart(growth, width="stretch")
    st.caption(tr("ens_caption", mean=pct(facts.mean_single), ens=pct(facts.ensemble)))
    lesson(views.ensemble_lesson(facts, spec.epochs))


def compare_all() -> None:
    k = f"{P}.all"
    st.markdown(tr("all_intro"))
    defaults(spec_values(k, BOOK["compare_all"]))
    c1, c2, c3, c4, c5 = st.columns(5)
    l2 = lambda_input(tr("lambda_l2"), f"{k}.l2", c1)
    l1 = lambda_input(tr("lambda_l1"), f"{k}.l1", c2)
    p = c3.slider(tr("dropout_p"), 0.0, 0.9, step=0.05, key=f"{k}.dropout")
    patience = int(c4.number_input(tr("patience"), 0, 100, key=f"{k}.patience"))
    epochs = epochs_input(k, c5)
    regularizer = BOOK["compare_all"].regularizer
    spec = guard(
        lambda: Overfitting(regularizer=regularizer, l2=l2, l1=l1, dropout=p, patience=patience, epochs=epochs)
    )
    views.setting_caption(spec)
    result = runner.result_or_button(spec, tr("train"), key=f"{k}.train")
    if result is None:
        return
    views.show_run(result, k, spec.n_eval)
    st.caption(tr("all_caption", n=spec.n_val))
    lesson(views.remedies_lesson(spec, result))


st.title(tr("title"))
st.markdown(tr("intro"))
tabs = page_tabs(f"{P}.tab", {n: tr(f"tab_{n}") for n in ("see", "decay", "dropout", "es", "ens", "all")})
for tab, section in zip(
    tabs, (seeing_overfitting, weight_decay, dropout_section, early_stopping, ensembles, compare_all)
):
    with tab:
        section()
