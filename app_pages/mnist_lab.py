"""MNIST lab: build a classifier, train it with live curves, evaluate it, and draw a digit."""

import json

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import torch

from core import checkpoint, data
from core.experiments.mnist_lab import MnistLab, confidently_wrong, layer_table, live_epochs
from core.nets import INITS, BatchedMLP
from core.optimizers import METHODS, OptimizerSpec
from core.preprocess import MAX_BYTES, ImageRejected, from_array, preprocess, read_upload
from core.schedules import SCHEDULES
from core.spec import Result
from ui import charts, runner
from ui.colors import scale
from ui.i18n import number, t
from ui.widgets import (
    NET_ACTIVATIONS,
    apply_preset,
    dataset_select,
    defaults,
    guard,
    lesson,
    method_label,
    optimizer_inputs,
    translated,
)

P = "mnist_lab"
SPLITS = {"train": "train", "val": "validation"}
CANVAS = 280


def preset(spec: MnistLab) -> dict:
    """Widget values that rebuild `spec`."""
    values = {
        f"{P}.n_train": spec.n_train,
        f"{P}.val": spec.val_fraction,
        f"{P}.hidden": ", ".join(map(str, spec.hidden)),
        f"{P}.activation": spec.activation,
        f"{P}.init": spec.init,
        f"{P}.bn": spec.batchnorm,
        f"{P}.dropout": spec.dropout,
        f"{P}.method": spec.optimizer.method,
        f"{P}.schedule": spec.schedule,
        f"{P}.final": spec.final_lr_factor,
        f"{P}.l2": spec.l2,
        f"{P}.batch": spec.batch_size,
        f"{P}.epochs": spec.epochs,
        f"{P}.patience": spec.patience,
    }
    for name, value in spec.optimizer.hp.items():
        values[f"{P}.opt.{spec.optimizer.method}.{name}"] = value
    return values


def parse_widths(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); an empty text is a network without hidden layers."""
    try:
        return tuple(int(w) for w in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(t("mnist_lab.bad_widths")) from None


def build() -> MnistLab:
    """The Build section: every knob of the model and its training; returns the spec."""
    presets = MnistLab.presets()
    defaults(preset(presets["default"]))
    cols = st.columns(len(presets))
    for col, (name, spec) in zip(cols, presets.items()):
        col.button(t(f"mnist_lab.preset_{name}"), key=f"{P}.preset.{name}", on_click=apply_preset(preset(spec)))
    data_col, net_col, train_col = st.columns(3)
    with data_col:
        st.markdown(f"**{t('mnist_lab.data')}**")
        dataset = dataset_select(f"{P}.dataset")
        n_train = st.number_input(t("mnist_lab.n_train"), 0, 60000, step=1000, key=f"{P}.n_train")
        val = st.slider(t("mnist_lab.val_fraction"), 0.0, 0.5, step=0.05, key=f"{P}.val")
    with net_col:
        st.markdown(f"**{t('mnist_lab.network')}**")
        hidden = st.text_input(t("mnist_lab.hidden"), key=f"{P}.hidden", help=t("mnist_lab.hidden_help"))
        activation = st.selectbox(t("common.activation"), NET_ACTIVATIONS, key=f"{P}.activation")
        init = st.selectbox(t("common.init"), INITS, key=f"{P}.init")
        bn = st.checkbox(t("mnist_lab.batchnorm"), key=f"{P}.bn")
        dropout = st.slider(t("mnist_lab.dropout"), 0.0, 0.9, step=0.05, key=f"{P}.dropout")
    with train_col:
        st.markdown(f"**{t('mnist_lab.training')}**")
        method = st.selectbox(t("mnist_lab.optimizer"), list(METHODS), key=f"{P}.method", format_func=method_label)
        optimizer = optimizer_inputs([method], f"{P}.opt", skip=("decay",))[0]
        schedule = st.selectbox(
            t("mnist_lab.schedule"),
            list(SCHEDULES),
            format_func=lambda s: t(f"mnist_lab.sched_{s}"),
            **translated(f"{P}.schedule"),
        )
        final = st.number_input(
            t("mnist_lab.final_factor"), 0.001, 1.0, key=f"{P}.final", format="%g", disabled=schedule == "constant"
        )
        l2 = st.number_input(t("mnist_lab.l2"), 0.0, 1.0, step=1e-4, format="%g", key=f"{P}.l2")
        c1, c2 = st.columns(2)
        batch = c1.number_input(t("common.batch_size"), 1, 4096, key=f"{P}.batch")
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
            optimizer=OptimizerSpec.of(method, **optimizer.hp),
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


def model_summary(spec: MnistLab) -> None:
    net = spec.net()
    layers = layer_table(net).rename(
        columns={
            "layer": t("mnist_lab.col_layer"),
            "units": t("mnist_lab.col_units"),
            "params": t("mnist_lab.col_params"),
        }
    )
    with st.expander(t("mnist_lab.summary_title", n=f"{net.n_params():,}"), expanded=False):
        st.dataframe(layers, hide_index=True, width="stretch")


def epoch_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-epoch metrics, tidy: epoch, set (train/validation), kind (loss/acc), value."""
    if rows.empty:
        return pd.DataFrame(columns=["epoch", "set", "kind", "value"])
    long = rows.melt("epoch", var_name="metric", value_name="value")
    long[["split", "kind"]] = long["metric"].str.split("_", n=1, expand=True)
    long["set"] = long["split"].map(SPLITS)
    return long[long["split"].isin(list(SPLITS))]


def epoch_charts(rows: pd.DataFrame) -> None:
    """Loss and accuracy per epoch, training vs validation, side by side."""
    long = epoch_frame(rows)
    labels = [f"datum.label == {json.dumps(s)} ? {json.dumps(t(f'mnist_lab.set_{s}'))}" for s in SPLITS.values()]
    names = " : ".join([*labels, "datum.label"])  # legend in the page's language, colours fixed
    if long.empty:
        st.caption(t("mnist_lab.waiting_epoch"))
        return
    for col, kind, title in zip(st.columns(2), ("loss", "acc"), (t("common.loss"), t("common.accuracy"))):
        part = long[long["kind"] == kind]
        chart = charts.lines(part, "epoch", "value", "set", x_title=t("common.epoch"), y_title=title, height=260)
        x = alt.X("epoch:Q", title=t("common.epoch"), axis=alt.Axis(tickMinStep=1, format="~g"))
        color = alt.Color("set:N", scale=scale(list(SPLITS.values())), title=None, legend=alt.Legend(labelExpr=names))
        col.altair_chart(chart.mark_line(point=True, strokeWidth=2).encode(x=x, color=color), width="stretch")


def curves_by_epoch(result: Result) -> pd.DataFrame:
    """The per-epoch rows of a finished run, in the same shape as the live ones."""
    c = result.frames["curves"]
    evals = c[c["metric"] != "loss"]
    return evals.pivot_table(index="epoch", columns="metric", values="value").reset_index()


def live(spec: MnistLab):
    return lambda: epoch_charts(live_epochs(spec))


def train_section(spec: MnistLab) -> Result | None:
    model_summary(spec)
    result = runner.result_or_button(spec, t("mnist_lab.train"), key=f"{P}.train", live=live(spec))
    if result is None or "model" not in result.extras:
        return None
    epoch_charts(curves_by_epoch(result))
    headline(result)
    return result


def headline(result: Result) -> None:
    e = result.extras
    c = st.columns(4)
    c[0].metric(t("mnist_lab.test_acc"), f"{e['test_acc']:.2%}")
    c[1].metric(t("mnist_lab.test_loss"), number(e["test_loss"]))
    c[2].metric(t("mnist_lab.train_acc"), f"{e.get('final_train_acc', np.nan):.2%}")
    c[3].metric(t("mnist_lab.epochs_run"), number(e["epochs_run"], 3))
    if e.get("diverged_at") is not None:
        st.error(t("mnist_lab.diverged", step=e["diverged_at"]))
    elif e.get("early_stopped"):
        st.info(t("mnist_lab.early_stopped", epoch=number(e["epochs_run"], 3), best=number(e["best_epoch"], 3)))


@st.cache_resource(max_entries=8, show_spinner=False)
def load_model(key: str, created: float, _spec: MnistLab) -> BatchedMLP:
    """The saved network of a stored lab run, after its spec's check (once per entry: a damaged
    or forged entry raises ValueError here, before any chart reads it)."""
    result = runner.load(key, created)
    if result is None or "model" not in result.extras:
        raise ValueError("no saved network")
    _spec.check(result)
    return checkpoint.unpack(result.extras["model"])


def saved_models() -> pd.DataFrame:
    entries = runner.store().entries()
    return entries[entries["kind"] == MnistLab.kind].reset_index(drop=True)


def model_label(row) -> str:
    when = pd.to_datetime(row.created, unit="s").strftime("%m-%d %H:%M")
    try:
        s = MnistLab.from_dict(json.loads(row.spec))
    except ValueError:
        return f"{when} · {t('mnist_lab.model_unreadable')}"
    widths = "-".join(map(str, s.hidden)) or "0"
    result = runner.load(row.key, row.created)
    acc = result.extras.get("test_acc") if result is not None else None
    acc = f" · {acc:.1%}" if isinstance(acc, float) else ""
    partial = "" if row.complete else f" · {t('mnist_lab.partial')}"
    imported = f" · {t('mnist_lab.imported')}" if row.imported else ""
    return f"{when} · 784-{widths}-10 {s.activation} · {s.optimizer.method} · {s.epochs} ep{acc}{partial}{imported}"


def pick_model(current: MnistLab, key: str):
    """A saved model to evaluate or try (the one just trained by default)."""
    models = saved_models()
    if models.empty:
        st.info(t("mnist_lab.no_model"))
        return None
    keys = models["key"].tolist()
    labels = {row.key: model_label(row) for row in models.itertuples()}
    if current.key() in keys and st.session_state.get(f"{key}.followed") != current.key():
        st.session_state[key] = current.key()  # a model just trained (or set up again) comes first, once
        st.session_state[f"{key}.followed"] = current.key()
    chosen = st.selectbox(t("mnist_lab.model"), keys, format_func=labels.get, key=key)
    row = models.set_index("key").loc[chosen]
    result = runner.load(chosen, row["created"])
    try:
        spec = MnistLab.from_dict(json.loads(row["spec"]))
        model = load_model(chosen, row["created"], spec)
    except ValueError as err:
        st.warning(t("mnist_lab.model_unreadable") + f" ({err})")
        return None
    if result.imported:
        st.caption(t("common.imported_note"))
    return spec, result, model


def image_grid(images: np.ndarray, captions: list[str], per_row: int = 8) -> None:
    """28 x 28 images in rows, each with its caption."""
    for start in range(0, len(images), per_row):
        cols = st.columns(per_row)
        for col, img, cap in zip(cols, images[start : start + per_row], captions[start : start + per_row]):
            col.image((img.reshape(28, 28) * 255).astype(np.uint8), caption=cap, width="stretch")


def evaluate_section(picked) -> None:
    spec, result, _ = picked
    names = result.extras["class_names"]
    x_test, _ = data.subset(spec.n_test, spec.dataset, "test", spec.seed)
    headline(result)
    conf = result.frames["confusion"].copy()
    conf["true_name"] = conf["true"].map(lambda i: names[i])
    conf["pred_name"] = conf["pred"].map(lambda i: names[i])
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"#### {t('mnist_lab.confusion')}")
        st.caption(t("mnist_lab.confusion_help"))
        event = st.altair_chart(confusion_chart(conf), on_select="rerun", key=f"{P}.confusion", width="stretch")
    with right:
        st.markdown(f"#### {t('mnist_lab.per_class')}")
        st.altair_chart(per_class_chart(result.frames["per_class"], names), width="stretch")
    cell = selected_cell(event)
    preds = result.frames["predictions"]
    if cell is not None:
        true, pred = cell
        hits = preds[(preds["true"] == true) & (preds["pred"] == pred)].sort_values("p_pred", ascending=False)
        st.markdown(t("mnist_lab.cell_images", true=names[true], pred=names[pred], n=len(hits)))
        shown = hits.head(24)
        image_grid(x_test.numpy()[shown["index"].to_numpy()], [f"{p:.0%}" for p in shown["p_pred"]])
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
        image_grid(x_test.numpy()[wrong["index"].to_numpy()], captions)
    lesson(t("mnist_lab.lesson_evaluate"))


def confusion_chart(conf: pd.DataFrame) -> alt.LayerChart:
    """Counts of (true, predicted) pairs; click a cell to see its images."""
    pick = alt.selection_point(name="cell", fields=["true", "pred"], on="click", clear="dblclick")
    base = alt.Chart(conf).encode(
        x=alt.X("pred_name:N", title=t("mnist_lab.predicted"), sort=None),
        y=alt.Y("true_name:N", title=t("mnist_lab.actual"), sort=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(type="symlog", scheme="blues"), legend=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=[
            alt.Tooltip("true_name:N", title=t("mnist_lab.actual")),
            alt.Tooltip("pred_name:N", title=t("mnist_lab.predicted")),
            alt.Tooltip("count:Q", title=t("mnist_lab.count")),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text="count:Q",
        color=alt.condition("datum.count > 100", alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells.add_params(pick), text).properties(height=380)


def selected_cell(event) -> tuple[int, int] | None:
    points = (event or {}).get("selection", {}).get("cell") or []
    if not points:
        return None
    p = points[0]
    return (int(p["true"]), int(p["pred"])) if "true" in p and "pred" in p else None


def per_class_chart(per_class: pd.DataFrame, names: list[str]) -> alt.Chart:
    df = per_class.assign(name=per_class["label"].map(lambda i: names[i]))
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("acc:Q", title=t("common.accuracy"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("name:N", title=None, sort=None),
            tooltip=[alt.Tooltip("name:N"), alt.Tooltip("acc:Q", format=".2%"), alt.Tooltip("n:Q")],
        )
        .properties(height=380)
    )


def try_section(picked) -> None:
    _, result, model = picked
    names = result.extras["class_names"]
    draw_col, show_col = st.columns([1, 2])
    with draw_col:
        source = st.radio(
            t("mnist_lab.source"),
            ["draw", "upload"],
            format_func=lambda s: t(f"mnist_lab.source_{s}"),
            **translated(f"{P}.source"),
            horizontal=True,
        )
        image = drawn_image() if source == "draw" else uploaded_image()
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
        labels = [t(f"mnist_lab.stage_{s}") for s in ("gray", "cropped", "boxed", "final")]
        if stages.inverted:
            labels[1] += " · " + t("mnist_lab.inverted")
        for col, img, label in zip(st.columns(4), steps, labels):
            col.image(square(img), caption=label, width="stretch")
        best = int(probs.argmax())
        st.markdown(t("mnist_lab.prediction", label=names[best], p=f"{probs[best]:.1%}"))
        st.altair_chart(probability_chart(probs, names), width="stretch")
        st.table(pd.DataFrame([[f"{p:.4f}" for p in probs]], columns=names, index=[t("mnist_lab.probability")]))
    lesson(t("mnist_lab.lesson_try"))


def square(img: np.ndarray) -> np.ndarray:
    """An image padded with background to a square, as uint8, so every stage shows at one size."""
    h, w = img.shape
    side = max(h, w)
    out = np.zeros((side, side))
    out[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = np.clip(img, 0, 1)
    return (out * 255).astype(np.uint8)


def drawn_image():
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:  # an optional component: uploading still works without it
        st.info(t("mnist_lab.no_canvas"))
        return None
    st.caption(t("mnist_lab.draw_help"))
    canvas = st_canvas(
        stroke_width=18,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS,
        width=CANVAS,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"{P}.canvas",
    )
    pixels = canvas.image_data
    if pixels is None or not (canvas.json_data or {}).get("objects"):
        st.caption(t("mnist_lab.draw_first"))
        return None
    return from_array(pixels)


def uploaded_image():
    upload = st.file_uploader(
        t("mnist_lab.upload"),
        type=["png", "jpg", "jpeg"],
        key=f"{P}.upload",
        max_upload_size=MAX_BYTES // (1024 * 1024),
    )
    if upload is None:
        return None
    try:
        return read_upload(upload.getvalue())
    except ImageRejected as err:
        st.warning(t(f"mnist_lab.reject_{err.reason}"))
        return None


def probability_chart(probs: np.ndarray, names: list[str]) -> alt.Chart:
    best = int(probs.argmax())
    df = pd.DataFrame({"class": names, "p": probs.astype(float), "top": [i == best for i in range(len(names))]})
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("class:N", sort=None, title=t("mnist_lab.class"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("p:Q", title=t("mnist_lab.probability"), scale=alt.Scale(domain=[0, 1])),
            color=alt.condition("datum.top", alt.value("#d62728"), alt.value("#4c78a8")),
            tooltip=["class:N", alt.Tooltip("p:Q", format=".4f")],
        )
        .properties(height=240)
    )


st.title(t("mnist_lab.title"))
st.markdown(t("mnist_lab.intro"))
tab_build, tab_eval, tab_try = st.tabs([t("mnist_lab.tab_build"), t("mnist_lab.tab_evaluate"), t("mnist_lab.tab_try")])
with tab_build:
    spec = build()
    train_section(spec)
    lesson(t("mnist_lab.lesson_train"))
with tab_eval:
    picked = pick_model(spec, f"{P}.eval_model")
    if picked is not None:
        evaluate_section(picked)
with tab_try:
    picked = pick_model(spec, f"{P}.try_model")
    if picked is not None:
        try_section(picked)
