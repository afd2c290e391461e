"""Gradient checking: backpropagation against two-sided numerical differences, per parameter
tensor in float64, with a bug to plant (course section 7)."""

import altair as alt
import pandas as pd
import streamlit as st

from core import gradcheck
from ui import labels
from ui.i18n import t
from ui.widgets import defaults, float64_note, guard, lesson, spec_values, translated

P = "gradient_checking"  # widget-key prefix
COLOURS = dict(zip(gradcheck.READINGS, ("#54a24b", "#eeca3b", "#e45756", "#bab0ac")))


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


@st.cache_data(max_entries=32, show_spinner=False)
def run_check(spec: gradcheck.GradCheckSpec) -> list[gradcheck.TensorCheck]:
    return gradcheck.check(spec)


def settings() -> gradcheck.GradCheckSpec:
    """The network and the check; the bug's layer is shown counted from 1."""
    d = gradcheck.GradCheckSpec()
    defaults(spec_values(P, d, bug_layer=d.bug_layer + 1))
    c1, c2, c3, c4 = st.columns(4)
    depth = c1.slider(t("common.hidden_layers"), 1, 10, key=f"{P}.depth")
    width = c2.slider(t("common.width"), 2, 16, key=f"{P}.width")
    activation = c3.selectbox(
        t("common.activation"),
        gradcheck.ACTIVATIONS,
        format_func=labels.namer("activation"),
        **translated(f"{P}.activation"),
    )
    batch = c4.number_input(t("common.batch_size"), 1, 64, key=f"{P}.batch")
    c1, c2, c3, c4 = st.columns(4)
    batchnorm = c1.toggle(tr("batchnorm"), key=f"{P}.batchnorm")
    eps = c2.select_slider("ε", gradcheck.EPS_GRID, key=f"{P}.eps", format_func=lambda v: f"{v:.0e}")
    bug = c3.selectbox(tr("bug"), gradcheck.BUGS, format_func=lambda b: tr(f"bug_{b}"), **translated(f"{P}.bug"))
    layer = c4.number_input(tr("bug_layer"), 1, 10, key=f"{P}.bug_layer", disabled=bug == "none")
    return guard(
        lambda: gradcheck.GradCheckSpec(
            depth=depth,
            width=width,
            activation=activation,
            batchnorm=batchnorm,
            batch=int(batch),
            eps=eps,
            bug=bug,
            bug_layer=int(layer) - 1 if bug != "none" else 0,
        )
    )


def check_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Relative error per tensor on a log axis over the course's bands."""
    floor = 1e-16
    bars = frame.assign(shown=frame["rel_error"].clip(lower=floor), base=floor)  # log axis: no 0 baseline
    names = [tr(f"band_{r}") for r in gradcheck.READINGS]
    colors = alt.Scale(domain=names, range=list(COLOURS.values()))
    bands = pd.DataFrame(
        {"lo": [floor, gradcheck.GREAT, gradcheck.BUG], "hi": [gradcheck.GREAT, gradcheck.BUG, 1.0], "band": names[:3]}
    )
    log = alt.Scale(type="log", domain=[floor, 1.0])
    back = (
        alt.Chart(bands)
        .mark_rect(opacity=0.15)
        .encode(
            y=alt.Y("lo:Q", scale=log, title=tr("rel_error"), axis=alt.Axis(format=".0e")),
            y2="hi:Q",
            color=alt.Color("band:N", scale=colors, legend=None),
        )
    )
    front = (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("name:N", sort=list(frame["name"]), title=tr("tensor")),
            y=alt.Y("shown:Q", scale=log, title=tr("rel_error"), axis=alt.Axis(format=".0e")),
            y2="base:Q",
            color=alt.Color("band:N", scale=colors, title=None),
            tooltip=["name:N", alt.Tooltip("rel_error:Q", format=".2e"), "band:N"],
        )
    )
    return alt.layer(back, front).properties(height=320)


def check_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            tr("tensor"): frame["name"],
            tr("shape"): ["×".join(map(str, s)) for s in frame["shape"]],
            tr("rel_error"): frame["rel_error"].map(lambda v: f"{v:.2e}"),
            tr("norm_num"): frame["norm_numeric"].map(lambda v: f"{v:.4g}"),
            tr("norm_bp"): frame["norm_backprop"].map(lambda v: f"{v:.4g}"),
            tr("reading"): frame["band"],
        }
    )


def check_lesson(spec: gradcheck.GradCheckSpec, f: gradcheck.CheckFacts) -> str:
    """The check's lesson from its own readings: which tensors it flags, its largest error, and
    what in the settings explains a reading the textbook does not expect."""
    why = tr(f"why_{f.reason or 'unknown'}", eps=f"{spec.eps:.0e}")
    return tr(
        f"lesson_gc_{f.case}",
        worst=f.worst or "—",
        error=f"{f.worst_error:.2e}" if f.worst_error is not None else "—",
        flagged=", ".join(f.flagged),
        n=len(f.flagged) + len(f.looked),
        why=why,
    )


NOTES = {"batch_one": st.warning, "no_signal": st.info, "tiny_eps": st.info}  # how loud each note is

st.title(tr("title"))
st.markdown(tr("gc_intro"))
st.latex(tr("gc_latex"))
spec = settings()
with st.spinner(tr("gc_running")):
    checks = run_check(spec)
float64_note()
frame = pd.DataFrame([vars(c) for c in checks])
frame["band"] = [tr(f"band_{gradcheck.reading(c)}") for c in checks]
st.altair_chart(check_chart(frame), width="stretch")
st.dataframe(check_table(frame), hide_index=True, width="stretch")
for note in gradcheck.notes(spec, checks):
    NOTES[note](tr(f"gc_{note}"))
lesson(check_lesson(spec, gradcheck.facts(spec, checks)))
