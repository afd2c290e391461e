"""Gradient clipping: an exploding deep network trained without clipping, clipped by norm and
clipped by value, from the same initial weights on the same mini-batches (course section 7)."""

import streamlit as st

from core.experiments.clipping import ClippingComparison
from ui import charts, labels, lr_views, runner
from ui.i18n import t
from ui.widgets import defaults, guard, lesson, spec_values

P = "clipping"  # widget-key prefix


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def settings() -> ClippingComparison:
    """The knobs of the exploding setup; the depth stands for `hidden` (that many layers of 100)."""
    d = ClippingComparison()
    defaults(spec_values(P, d, depth=len(d.hidden)))
    c1, c2, c3 = st.columns(3)
    depth = c1.number_input(t("common.hidden_layers"), 1, 16, key=f"{P}.depth")
    init_scale = c2.number_input(tr("init_scale"), 0.1, 5.0, key=f"{P}.init_scale", help=tr("init_scale_help"))
    lr = c3.number_input(t("common.learning_rate"), 1e-5, 10.0, key=f"{P}.lr", format="%g")
    clip_norm = c1.number_input(tr("clip_norm"), 1e-4, 1e4, key=f"{P}.clip_norm", format="%g")
    clip_value = c2.number_input(tr("clip_value"), 1e-5, 1e3, key=f"{P}.clip_value", format="%g")
    iterations = c3.number_input(t("common.iterations"), 10, 3000, key=f"{P}.iterations")
    return guard(
        lambda: ClippingComparison(
            hidden=(100,) * int(depth),
            init_scale=init_scale,
            lr=lr,
            clip_norm=clip_norm,
            clip_value=clip_value,
            iterations=int(iterations),
        )
    )


st.title(tr("title"))
st.markdown(tr("clip_intro"))
st.latex(tr("clip_latex"))
spec = settings()
result = runner.result_or_button(spec, tr("train"), key=f"{P}.train")
if result is not None:
    curves = labels.labelled(result.frames["curves"])
    left, right = st.columns(2)
    for col, metric, title in ((left, "grad_norm", tr("grad_norm")), (right, "loss", t("common.loss"))):
        col.altair_chart(
            charts.lines(
                curves[curves.metric == metric],
                "step",
                "value",
                "label",
                x_title=t("common.step"),
                y_title=title,
                log_y=True,
            ),
            width="stretch",
        )
    st.caption(tr("grad_norm_note"))
    st.dataframe(lr_views.result_table(result.frames["summary"]), hide_index=True, width="stretch")
    lesson(lr_views.clipping_lesson(result, spec.iterations))
