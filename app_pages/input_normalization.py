"""Input normalization: the lecture's table under two scalers, what feature scales do to the loss
surface, statistics from the training set only, the zig-zag of all-positive inputs, and one-hot
codes for nominal features (course section 7)."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core import input_normalization as norm
from ui import charts, labels
from ui.i18n import number, t
from ui.widgets import defaults, lesson

P = "input_normalization"  # widget-key prefix


def tr(key: str, **values) -> str:
    return t(f"{P}.{key}", **values)


def lecture_table() -> pd.DataFrame:
    """The lecture's rows, raw and under each scaler, with their classes."""
    scaled = norm.lecture_table()
    table = pd.DataFrame({"x₁": scaled["none"][:, 0], "x₂": scaled["none"][:, 1]})
    for how in norm.SCALINGS[1:]:
        name = labels.name("normalization", how)
        table[f"x₁ ({name})"] = scaled[how][:, 0].round(3)
        table[f"x₂ ({name})"] = scaled[how][:, 1].round(3)
    table[tr("class")] = norm.LECTURE_CLASSES
    return table


def axes(x_title: str, y_title: str) -> alt.Chart:
    """An empty first layer that only names the axes of a layered chart of x, y columns."""
    return (
        alt.Chart(pd.DataFrame({"x": [0.0], "y": [0.0]}))
        .mark_point(opacity=0)
        .encode(x=alt.X("x:Q", title=x_title), y=alt.Y("y:Q", title=y_title))
    )


def steps_text(p: norm.Panel) -> str:
    steps = p.steps_to_converge
    return f"{steps}" if steps is not None else tr("not_within", n=p.steps)


def contour_panel(how: str, p: norm.Panel, col) -> None:
    name = labels.name("normalization", how)
    path = pd.DataFrame({"step": p.path[:, 0], "x": p.path[:, 1], "y": p.path[:, 2], "label": name})
    target = pd.DataFrame([{"x": p.optimum[0], "y": p.optimum[1], "label": tr("optimum")}])
    chart = alt.layer(
        charts.filled_contours(*p.grid, x_title="w₁", y_title="w₂"),
        charts.markers(target),
        charts.paths(path.assign(hue=how), "label", toggle=False),
    ).resolve_scale(color="independent")
    col.markdown(f"**{name}**")
    col.altair_chart(chart.properties(width=280, height=280), width="content")  # square: true shapes
    col.metric(tr("condition"), number(p.condition, 3))
    col.metric(tr("steps_to_converge"), steps_text(p))


def contours() -> None:
    st.subheader(tr("contours_title"))
    st.markdown(tr("contours_intro"))
    defaults({f"{P}.ratio": norm.FIRST_RATIO})
    ratio = st.select_slider(tr("ratio"), norm.RATIOS, key=f"{P}.ratio", format_func=number)
    x, y = norm.two_feature_problem(ratio=ratio)
    panels = {how: norm.panel(how, x, y) for how in norm.SCALINGS}
    for (how, p), col in zip(panels.items(), st.columns(3)):
        contour_panel(how, p, col)
    f = norm.contour_facts(panels, ratio)
    figures = "; ".join(
        tr("contour_figure", name=labels.name("normalization", h), cond=number(p.condition, 3), steps=steps_text(p))
        for h, p in panels.items()
    )
    lesson(tr(f"lesson_contours_{f.case}", figures=figures))


def leak() -> None:
    st.subheader(tr("leak_title"))
    st.markdown(tr("leak_intro"))
    defaults({f"{P}.test_positive_share": norm.LEAK_SHARE})
    share = st.slider(tr("test_share"), 0.0, 1.0, key=f"{P}.test_positive_share", step=0.05)
    scores = norm.leak_demo(test_positive_share=share)
    c1, c2 = st.columns(2)
    c1.metric(tr("acc_train_stats"), f"{scores.train_stats:.0%}")
    c2.metric(tr("acc_test_stats"), f"{scores.test_stats:.0%}", f"{scores.test_stats - scores.train_stats:+.0%}")
    f = norm.leak_facts(scores)
    lesson(tr(f"lesson_leak_{f.case}", right=f"{f.train_stats:.0%}", leak=f"{f.test_stats:.0%}"))


def zigzag() -> None:
    st.subheader(tr("zigzag_title"))
    st.markdown(tr("zigzag_intro"))
    target = pd.DataFrame([{"x": 1.0, "y": -1.0, "label": "w*"}])
    shares = []
    for positive, col in zip((True, False), st.columns(2)):
        path, same = norm.zigzag(positive)
        name = tr("all_positive") if positive else tr("centered")
        frame = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "step": np.arange(len(path)), "label": name})
        col.markdown(f"**{name}**")
        col.altair_chart(
            alt.layer(axes("w₁", "w₂"), charts.paths(frame, "label", toggle=False), charts.markers(target)).properties(
                height=280
            ),
            width="stretch",
        )
        col.metric(tr("same_sign"), f"{same:.0%}")
        shares.append(same)
    f = norm.zigzag_facts(*shares)
    lesson(
        tr("lesson_zigzag" if f.expected else "lesson_zigzag_other", pos=f"{f.positive:.0%}", cen=f"{f.centered:.0%}")
    )


def one_hot() -> None:
    st.subheader(tr("onehot_title"))
    st.markdown(tr("onehot_intro"))
    sexes, bodies = [p[0] for p in norm.PEOPLE], [p[1] for p in norm.PEOPLE]
    table = pd.DataFrame(
        {
            tr("sex"): [tr(s) for s in sexes],
            tr("body"): [tr(b) for b in bodies],
            tr("integer_code"): norm.integer_codes(bodies, norm.BODIES)[:, 0].astype(int),
        }
    )
    for codes, categories in (
        (norm.one_hot(sexes, norm.SEXES), norm.SEXES),
        (norm.one_hot(bodies, norm.BODIES), norm.BODIES),
    ):
        for i, c in enumerate(categories):
            table[tr(c)] = codes[:, i].astype(int)
    st.dataframe(table, hide_index=True, width="stretch")
    st.markdown(tr("category_fit_intro"))
    defaults({f"{P}.target.{b}": v for b, v in zip(norm.BODIES, norm.BODY_TARGETS)})
    targets = [c.number_input(tr(b), -100.0, 100.0, key=f"{P}.target.{b}") for b, c in zip(norm.BODIES, st.columns(4))]
    st.altair_chart(category_chart(targets), width="stretch")
    f = norm.category_facts(tuple(targets))
    cat = tr(norm.BODIES[f.worst])
    lesson(tr(f"lesson_onehot_{f.case}", cat=cat, miss=number(f.miss, 3), onehot=number(f.onehot_miss, 3)))


def category_chart(targets: list[float]) -> alt.Chart:
    """Each body type's target and what a linear model fits to it from either code."""
    integer, onehot = norm.category_fit(tuple(targets))
    names = [tr(b) for b in norm.BODIES]
    fit = pd.DataFrame({"category": names})
    data = pd.concat(
        [
            fit.assign(value=targets, series=tr("target")),
            fit.assign(value=integer, series=tr("integer_code")),
            fit.assign(value=onehot, series=tr("one_hot")),
        ]
    )
    return (
        alt.Chart(data)
        .mark_point(filled=True, size=110)
        .encode(
            x=alt.X("category:N", sort=names, title=tr("body"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=tr("target")),
            color=alt.Color("series:N", scale=charts.colour_scale(data, "series"), title=None),
            shape=alt.Shape("series:N", title=None),
            tooltip=["series:N", "category:N", alt.Tooltip("value:Q", format=".3~g")],
        )
        .properties(height=260)
    )


st.title(tr("title"))
st.markdown(tr("norm_intro"))
st.latex(tr("norm_latex"))
st.dataframe(lecture_table(), hide_index=True, width="stretch")
contours()
leak()
zigzag()
one_hot()
