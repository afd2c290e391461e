"""Views of the MNIST lab: the model summary, per-epoch curves, the confusion matrix, per-class
accuracy, the class probabilities of one image and image grids, all in the reader's language.
The lab's page (`app_pages/mnist_lab.py`) reads top-down; what it draws is built here."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.experiments.mnist_lab import ending
from core.models import SavedModel
from core.nets import NetSpec
from core.preprocess import MAX_BYTES, ImageRejected, from_array, read_upload
from core.spec import Result
from ui import charts, labels
from ui.i18n import number, t

P = "mnist_lab"
CANVAS = 280  # pixels on each side of the drawing canvas


def class_names(dataset: str, n: int) -> list[str]:
    """The `n` class names of `dataset` in the reader's language (digits need none)."""
    return [str(i) if dataset == "mnist" else t(f"{P}.class_{dataset}_{i}") for i in range(n)]


def layers(table: pd.DataFrame) -> pd.DataFrame:
    """`core.experiments.mnist_lab.layer_table` as the student reads it: translated layer names."""

    def layer(row) -> str:
        if row.layer == "activation":
            return labels.name("activation", row.activation)
        return t(f"{P}.layer_{row.layer}", rate=number(row.rate) if row.layer == "dropout" else "")

    return pd.DataFrame(
        {
            t(f"{P}.col_layer"): [layer(r) for r in table.itertuples()],
            t(f"{P}.col_units"): table["units"],
            t(f"{P}.col_params"): table["params"],
        }
    )


def model_summary(net: NetSpec, table: pd.DataFrame) -> None:
    """The network's layers and parameter count, folded away until asked for."""
    with st.expander(t(f"{P}.summary_title", n=f"{net.n_params():,}"), expanded=False):
        st.dataframe(layers(table), hide_index=True, width="stretch")


def epoch_charts(epochs: pd.DataFrame) -> None:
    """Loss and accuracy per epoch (`epochs_of` / `live_epochs`), training vs validation, side by
    side; each split keeps its colour in every language."""
    if epochs.empty:
        st.caption(t(f"{P}.waiting_epoch"))
        return
    named = epochs.assign(label=epochs["split"].map(lambda s: t(f"{P}.set_{s}")), hue=epochs["split"])
    x = alt.X("epoch:Q", title=t("common.epoch"), axis=alt.Axis(tickMinStep=1, format="~g"))
    for col, kind, title in zip(st.columns(2), ("loss", "acc"), (t("common.loss"), t("common.accuracy"))):
        part = named[named["kind"] == kind]
        chart = charts.lines(part, "epoch", "value", "label", x_title=t("common.epoch"), y_title=title, height=260)
        col.altair_chart(chart.mark_line(point=True, strokeWidth=2).encode(x=x), width="stretch")


def model_name(model: SavedModel) -> str:
    """'05-14 09:30 · 784-100-100-10 ReLU · Adam · 5 epochs · 97.1%', in the reader's language."""
    when = pd.to_datetime(model.created, unit="s").strftime("%m-%d %H:%M")
    s = model.spec
    if s is None:
        return f"{when} · {t(f'{P}.model_unreadable')}"
    sizes = "-".join(map(str, s.net().sizes))
    parts = [
        when,
        f"{sizes} {labels.name('activation', s.activation)}",
        labels.name("method", s.optimizer.method),
        t(f"{P}.n_epochs", n=s.epochs),
    ]
    if model.test_acc is not None:
        parts.append(f"{model.test_acc:.1%}")
    if not model.complete:
        parts.append(t(f"{P}.partial"))
    if model.imported:
        parts.append(t(f"{P}.imported"))
    return " · ".join(parts)


def image_grid(images: np.ndarray, captions: list[str], per_row: int = 8) -> None:
    """28 x 28 images in rows, each with its caption."""
    for start in range(0, len(images), per_row):
        cols = st.columns(per_row)
        for col, img, cap in zip(cols, images[start : start + per_row], captions[start : start + per_row]):
            col.image((img.reshape(28, 28) * 255).astype(np.uint8), caption=cap, width="stretch")


def square(img: np.ndarray) -> np.ndarray:
    """An image padded with background to a square, as uint8, so every stage shows at one size."""
    h, w = img.shape
    side = max(h, w)
    out = np.zeros((side, side))
    out[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = np.clip(img, 0, 1)
    return (out * 255).astype(np.uint8)


def confusion_chart(confusion: pd.DataFrame, names: list[str]) -> alt.LayerChart:
    """Counts of (true, predicted) pairs; click a cell to see its images."""
    conf = confusion.assign(true_name=confusion["true"].map(names.__getitem__))
    conf["pred_name"] = conf["pred"].map(names.__getitem__)
    pick = alt.selection_point(name="cell", fields=["true", "pred"], on="click", clear="dblclick")
    base = alt.Chart(conf).encode(
        x=alt.X("pred_name:N", title=t(f"{P}.predicted"), sort=None),
        y=alt.Y("true_name:N", title=t(f"{P}.actual"), sort=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(type="symlog", scheme="blues"), legend=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=[
            alt.Tooltip("true_name:N", title=t(f"{P}.actual")),
            alt.Tooltip("pred_name:N", title=t(f"{P}.predicted")),
            alt.Tooltip("count:Q", title=t(f"{P}.count")),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text="count:Q",
        color=alt.condition("datum.count > 100", alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells.add_params(pick), text).properties(height=380)


def selected_cell(event) -> tuple[int, int] | None:
    """The (true, predicted) cell clicked in the confusion chart, if any."""
    points = (event or {}).get("selection", {}).get("cell") or []
    if not points:
        return None
    p = points[0]
    return (int(p["true"]), int(p["pred"])) if "true" in p and "pred" in p else None


def per_class_chart(per_class: pd.DataFrame, names: list[str]) -> alt.Chart:
    """Test accuracy of each class, one bar per class name."""
    df = per_class.assign(name=per_class["label"].map(names.__getitem__))
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


def probability_chart(probs: np.ndarray, names: list[str]) -> alt.Chart:
    """The model's probability for each class; the most likely one in red."""
    best = int(probs.argmax())
    df = pd.DataFrame({"class": names, "p": probs.astype(float), "top": [i == best for i in range(len(names))]})
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("class:N", sort=None, title=t(f"{P}.class"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("p:Q", title=t(f"{P}.probability"), scale=alt.Scale(domain=[0, 1])),
            color=alt.condition("datum.top", alt.value("#d62728"), alt.value("#4c78a8")),
            tooltip=["class:N", alt.Tooltip("p:Q", format=".4f")],
        )
        .properties(height=240)
    )


def headline(result: Result) -> None:
    """The run's test scores, and how it ended when that was not its last epoch."""
    e = result.extras
    c = st.columns(4)
    c[0].metric(t(f"{P}.test_acc"), f"{e['test_acc']:.2%}")
    c[1].metric(t(f"{P}.test_loss"), number(e["test_loss"]))
    c[2].metric(t(f"{P}.train_acc"), f"{e.get('final_train_acc', float('nan')):.2%}")
    c[3].metric(t(f"{P}.epochs_run"), number(e["epochs_run"], 3))
    end = ending(e)
    if end == "diverged":
        st.error(t(f"{P}.diverged", step=e["diverged_at"]))
    elif end == "early_stopped":
        st.info(t(f"{P}.early_stopped", epoch=number(e["epochs_run"], 3), best=number(e["best_epoch"], 3)))


def drawn_image() -> np.ndarray | None:
    """A digit drawn with the mouse (white on black, as MNIST), or None before anything is drawn."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:  # an optional component: uploading still works without it
        st.info(t(f"{P}.no_canvas"))
        return None
    st.caption(t(f"{P}.draw_help"))
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
    if canvas.image_data is None or not (canvas.json_data or {}).get("objects"):
        st.caption(t(f"{P}.draw_first"))
        return None
    return from_array(canvas.image_data)


def uploaded_image() -> np.ndarray | None:
    """An uploaded PNG or JPEG as an array, or None (with the reason when it is refused)."""
    upload = st.file_uploader(
        t(f"{P}.upload"), type=["png", "jpg", "jpeg"], key=f"{P}.upload", max_upload_size=MAX_BYTES // 2**20
    )
    if upload is None:
        return None
    try:
        return read_upload(upload.getvalue())
    except ImageRejected as err:
        st.warning(t(f"mnist_lab.reject_{err.reason}"))
        return None
