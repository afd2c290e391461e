"""MNIST lab: build a classifier, train it with live curves, evaluate it, and draw a digit."""

import pandas as pd
import streamlit as st
import torch

from core import checkpoint, data, models
from core.experiments.mnist_lab import MnistLab, confidently_wrong, epochs_of, layer_table, live_epochs
from core.nets import INITS, BatchedMLP
from core.optimizers import METHODS
from core.preprocess import ImageRejected, preprocess
from core.schedules import SCHEDULES
from core.spec import Result
from ui import labels, mnist_views, runner
from ui.addresses import mnist_lab_values
from ui.i18n import t
from ui.widgets import (
    NET_ACTIVATIONS,
    dataset_select,
    defaults,
    guard,
    lesson,
    optimizer_inputs,
    preset_buttons,
    tabs,
    translated,
)

P = "mnist_lab"


def parse_widths(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); an empty text is a network without hidden layers."""
    try:
        return tuple(int(w) for w in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(t("mnist_lab.bad_widths")) from None


def choice(label: str, options, field: str, names: str | None = None) -> str:
    """A select of ids for `field`, shown by their names in the reader's language: the `ui.labels`
    names of key column `names` (the field's own name by default)."""
    namer = labels.namer(names or field)
    return st.selectbox(label, list(options), format_func=namer, **translated(f"{P}.{field}"))


def build() -> MnistLab:
    """The Build section: every knob of the model and its training; returns the spec."""
    presets = MnistLab.presets()
    defaults(mnist_lab_values(presets["default"]))
    preset_buttons(P, {n: (t(f"mnist_lab.preset_{n}"), mnist_lab_values(s)) for n, s in presets.items()}, per_row=2)
    data_col, net_col, train_col = st.columns(3)
    with data_col:
        st.markdown(f"**{t('mnist_lab.data')}**")
        dataset = dataset_select(f"{P}.dataset")
        n_train = st.number_input(t("mnist_lab.n_train"), 0, 60000, step=1000, key=f"{P}.n_train")
        val = st.slider(t("mnist_lab.val_fraction"), 0.0, 0.5, step=0.05, key=f"{P}.val_fraction")
    with net_col:
        st.markdown(f"**{t('mnist_lab.network')}**")
        hidden = st.text_input(t("mnist_lab.hidden"), key=f"{P}.hidden", help=t("mnist_lab.hidden_help"))
        activation = choice(t("common.activation"), NET_ACTIVATIONS, "activation")
        init = choice(t("common.init"), INITS, "init")
        bn = st.checkbox(t("mnist_lab.batchnorm"), key=f"{P}.batchnorm")
        dropout = st.slider(t("mnist_lab.dropout"), 0.0, 0.9, step=0.05, key=f"{P}.dropout")
    with train_col:
        st.markdown(f"**{t('mnist_lab.training')}**")
        method = choice(t("mnist_lab.optimizer"), METHODS, "optimizer", names="method")
        optimizer = optimizer_inputs([method], f"{P}.optimizer", skip=("decay",))[0]
        schedule = choice(t("mnist_lab.schedule"), SCHEDULES, "schedule")
        final = st.number_input(
            t("mnist_lab.final_factor"),
            0.001,
            1.0,
            key=f"{P}.final_lr_factor",
            format="%g",
            disabled=schedule == "constant",
        )
        l2 = st.number_input(t("mnist_lab.l2"), 0.0, 1.0, step=1e-4, format="%g", key=f"{P}.l2")
        c1, c2 = st.columns(2)
        batch = c1.number_input(t("common.batch_size"), 1, 4096, key=f"{P}.batch_size")
        epochs = c2.number_input(t("mnist_lab.epochs"), 1, 500, key=f"{P}.epochs")
        patience = st.number_input(
            t("mnist_lab.patience"), 0, 100, key=f"{P}.patience", help=t("mnist_lab.patience_help")
        )
    return guard(
        lambda: MnistLab(
            dataset=dataset,
            hidden=parse_widths(hidden),
            activation=activation,
            init=init,
            batchnorm=bn,
            dropout=float(dropout),
            optimizer=optimizer,
            schedule=schedule,
            final_lr_factor=float(final),
            l2=float(l2),
            batch_size=int(batch),
            epochs=int(epochs),
            val_fraction=float(val),
            patience=int(patience),
            n_train=int(n_train),
        )
    )


def train_section(spec: MnistLab) -> None:
    mnist_views.model_summary(spec.net(), layer_table(spec.net()))
    live = lambda: mnist_views.epoch_charts(live_epochs(spec))  # noqa: E731
    result = runner.result_or_button(spec, t("mnist_lab.train"), key=f"{P}.train", live=live)
    if result is not None and "model" in result.extras:
        mnist_views.epoch_charts(epochs_of(result))
        mnist_views.headline(result)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_model(key: str, created: float, _spec: MnistLab) -> BatchedMLP:
    """The saved network of a stored lab run, checked once per entry (`core.models.network`)."""
    return models.network(_spec, runner.load(key, created))


def pick_model(current: MnistLab, key: str):
    """A saved model to evaluate or try (the one just trained by default)."""
    saved = {m.key: m for m in models.saved(runner.store().entries(), runner.load)}
    if not saved:
        st.info(t("mnist_lab.no_model"))
        return None
    if current.key() in saved and st.session_state.get(f"{key}.followed") != current.key():
        st.session_state[key] = current.key()  # a model just trained (or set up again) comes first, once
        st.session_state[f"{key}.followed"] = current.key()
    name = lambda k: mnist_views.model_name(saved[k])  # noqa: E731
    chosen = saved[st.selectbox(t("mnist_lab.model"), list(saved), format_func=name, **translated(key))]
    if chosen.spec is None:
        st.warning(t("mnist_lab.model_unreadable"))
        return None
    result = runner.load(chosen.key, chosen.created)
    try:
        model = load_model(chosen.key, chosen.created, chosen.spec)
    except ValueError as err:
        st.warning(t("mnist_lab.model_unreadable") + f" ({err})")
        return None
    if result.imported:
        st.caption(t("common.imported_note"))
    return chosen.spec, result, model


def evaluate_section(spec: MnistLab, result: Result) -> None:
    names = mnist_views.class_names(spec.dataset, len(result.extras["class_names"]))
    x_test, _ = data.subset(spec.n_test, spec.dataset, "test", spec.seed)
    mnist_views.headline(result)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"#### {t('mnist_lab.confusion')}")
        st.caption(t("mnist_lab.confusion_help"))
        chart = mnist_views.confusion_chart(result.frames["confusion"], names)
        event = st.altair_chart(chart, on_select="rerun", key=f"{P}.confusion", width="stretch")
    with right:
        st.markdown(f"#### {t('mnist_lab.per_class')}")
        st.altair_chart(mnist_views.per_class_chart(result.frames["per_class"], names), width="stretch")
    cell = mnist_views.selected_cell(event)
    preds = result.frames["predictions"]
    if cell is not None:
        true, pred = cell
        hits = preds[(preds["true"] == true) & (preds["pred"] == pred)].sort_values("p_pred", ascending=False)
        st.markdown(t("mnist_lab.cell_images", true=names[true], pred=names[pred], n=len(hits)))
        shown = hits.head(24)
        mnist_views.image_grid(x_test.numpy()[shown["index"].to_numpy()], [f"{p:.0%}" for p in shown["p_pred"]])
    st.markdown(f"#### {t('mnist_lab.wrong_gallery')}")
    wrong = confidently_wrong(preds)
    if wrong.empty:
        st.caption(t("mnist_lab.no_wrong"))
    else:
        captions = [
            t(
                "mnist_lab.wrong_caption",
                pred=names[r.pred],
                p=f"{r.p_pred:.0%}",
                true=names[r.true],
                q=f"{r.p_true:.0%}",
            )
            for r in wrong.itertuples()
        ]
        mnist_views.image_grid(x_test.numpy()[wrong["index"].to_numpy()], captions)
    lesson(t("mnist_lab.lesson_evaluate"))


def try_section(spec: MnistLab, result: Result, model: BatchedMLP) -> None:
    names = mnist_views.class_names(spec.dataset, len(result.extras["class_names"]))
    draw_col, show_col = st.columns([1, 2])
    with draw_col:
        source = st.radio(
            t("mnist_lab.source"),
            ["draw", "upload"],
            format_func=lambda s: t(f"mnist_lab.source_{s}"),
            **translated(f"{P}.source"),
            horizontal=True,
        )
        image = mnist_views.drawn_image() if source == "draw" else mnist_views.uploaded_image()
    if image is None:
        return
    try:
        stages = preprocess(image)
    except ImageRejected as err:
        show_col.warning(t(f"mnist_lab.reject_{err.reason}"))
        return
    probs = checkpoint.probabilities(model, torch.from_numpy(stages.x[None]))[0]
    with show_col:
        st.markdown(f"#### {t('mnist_lab.preprocessing')}")
        steps = [stages.gray, stages.cropped, stages.boxed, stages.image]
        captions = [t(f"mnist_lab.stage_{s}") for s in ("gray", "cropped", "boxed", "final")]
        if stages.inverted:
            captions[1] += " · " + t("mnist_lab.inverted")
        for col, img, caption in zip(st.columns(4), steps, captions):
            col.image(mnist_views.square(img), caption=caption, width="stretch")
        best = int(probs.argmax())
        st.markdown(t("mnist_lab.prediction", label=names[best], p=f"{probs[best]:.1%}"))
        st.altair_chart(mnist_views.probability_chart(probs, names), width="stretch")
        table = [[f"{p:.4f}" for p in probs]]
        st.table(pd.DataFrame(table, columns=names, index=[t("mnist_lab.probability")]))
    lesson(t("mnist_lab.lesson_try"))


st.title(t("mnist_lab.title"))
st.markdown(t("mnist_lab.intro"))
tab_build, tab_eval, tab_try = tabs(f"{P}.tab", {n: t(f"mnist_lab.tab_{n}") for n in ("build", "evaluate", "try")})
with tab_build:
    spec = build()
    train_section(spec)
    lesson(t("mnist_lab.lesson_train"))
with tab_eval:
    picked = pick_model(spec, f"{P}.eval_model")
    if picked is not None:
        evaluate_section(*picked[:2])
with tab_try:
    picked = pick_model(spec, f"{P}.try_model")
    if picked is not None:
        try_section(*picked)
