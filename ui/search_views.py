"""Inputs, charts and tables of the hyperparameter search page: searched ranges and fixed
settings, the data split, where the good trials are, the best trials' curves and the trials table. Values a search chose (optimizer ids, trial
outcomes) are shown by their names in the reader's language (`named`)."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from core import hpo
from core.hpo import CHOICES, LIMITS, SEARCHABLE, HyperSearch, Param
from ui import labels
from ui.colors import scale
from ui.i18n import number, t
from ui.widgets import translated


def tr(key: str, **values) -> str:
    return t(f"hyperparameter_search.{key}", **values)


def param_label(name: str) -> str:
    return tr(f"p_{name}")


def choice_name(name: str, value) -> str:
    """A searched choice as the reader reads it: an optimizer by its name, a number as is."""
    return labels.name("method", value) if name == "optimizer" else str(value)


def named(trials: pd.DataFrame) -> pd.DataFrame:
    """`trials` with the optimizer and the outcome of each trial in the reader's language."""
    out = trials.copy()
    if "optimizer" in out:
        out["optimizer"] = out["optimizer"].map(labels.namer("method"))
    out["state"] = [tr(f"state_{s}") for s in out["state"]]
    return out


def describe(p: Param) -> str:
    """A searched range (or set of choices) in a line."""
    if p.choices:
        return ", ".join(choice_name(p.name, c) for c in p.choices)
    if p.log:
        return f"10^[{math.log10(p.low):.2f}, {math.log10(p.high):.2f}]  ({p.low:.2g} – {p.high:.2g})"
    return f"[{number(p.low, 3)}, {number(p.high, 3)}]"


def describe_short(p: Param) -> str:
    return f"{param_label(p.name)} {describe(p)}"


def trial_label(row: pd.Series, space: tuple[Param, ...]) -> str:
    """'#12 · 0.93 · lr=0.0012, Adam' for a row of `named` trials."""

    def part(p: Param) -> str:
        value = row[p.name]
        if p.name == "optimizer":
            return value
        return f"{tr(f'short_{p.name}')}={value if p.choices else number(value, 2)}"

    return f"#{int(row.trial)} · {row.val_acc:.2f} · " + ", ".join(part(p) for p in space)


def range_value(p: Param):
    """A Param as its widget value: exponents for log ranges, the choices otherwise."""
    if p.choices:
        return list(p.choices)
    if p.log:
        return (round(math.log10(p.low), 2), round(math.log10(p.high), 2))
    return (int(p.low), int(p.high)) if p.integer else (round(p.low, 2), round(p.high, 2))


def range_input(prefix: str, name: str) -> Param:
    """A range slider (in powers of ten for log ranges) or a multiselect of choices, under
    `<prefix>.range.<name>`."""
    key = f"{prefix}.range.{name}"
    if name in CHOICES:
        fmt = labels.namer("method") if name == "optimizer" else str
        chosen = st.multiselect(param_label(name), list(CHOICES[name]), format_func=fmt, **translated(key))
        return Param(name, choices=tuple(chosen))
    low, high = LIMITS[name]
    default = hpo.DEFAULT_RANGES[name]
    if default.log:
        lo, hi = round(math.log10(low), 2), round(math.log10(high), 2)
        a, b = st.slider(param_label(name) + " · log₁₀", lo, hi, step=0.1, key=key, help=tr("log_help"))
        st.caption(f"10^U({a:g}, {b:g}) = [{10**a:.2g}, {10**b:.2g}]")
        return Param(name, 10**a, 10**b, log=True)
    if default.integer:
        a, b = st.slider(param_label(name), int(low), int(high), key=key)
        return Param(name, a, b, integer=True)
    a, b = st.slider(param_label(name), float(low), float(high), step=0.05, key=key)
    return Param(name, a, b)


def fixed_inputs(prefix: str, searched: list[str]) -> dict:
    """The settings that stay fixed in this round (the searched ones are hidden), each under
    `<prefix>.<field>`."""
    values = {}
    cols = st.columns(3)
    for i, name in enumerate(n for n in SEARCHABLE if n not in searched):
        col, key = cols[i % 3], f"{prefix}.{name}"
        if name == "optimizer":
            values[name] = col.selectbox(
                param_label(name), list(CHOICES[name]), format_func=labels.namer("method"), **translated(key)
            )
        elif name in CHOICES:
            values[name] = int(col.selectbox(param_label(name), list(CHOICES[name]), key=key))
        elif name == "depth":
            values[name] = int(col.number_input(param_label(name), 1, 10, key=key))
        else:
            values[name] = col.number_input(param_label(name), 0.0, LIMITS[name][1], key=key, format="%g")
    return values


def split_bar(search: HyperSearch) -> None:
    """The search's images split into training and validation, and the test set apart from
    them, locked until the final step. Each row is drawn to its own full width."""
    n_val = round(search.n_train * search.val_fraction)
    search_row = tr("split_search", n=f"{search.n_train:,}")
    test_row = tr("split_locked", n=f"{hpo.TEST_IMAGES:,}")
    df = pd.DataFrame(
        [
            (search_row, "train", search.n_train - n_val, tr("split_train")),
            (search_row, "validation", n_val, tr("split_val")),
            (test_row, "test", hpo.TEST_IMAGES, tr("split_test")),
        ],
        columns=["row", "set", "images", "role"],
    )
    df["label"] = [f"{tr(f'set_{s}')} {n:,}" for s, n in zip(df.set, df.images)]
    base = alt.Chart(df).encode(
        y=alt.Y("row:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("sum(images):Q", stack="normalize", axis=None),
        order=alt.Order("images:Q", sort="descending"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("set:N", scale=scale(df.set.tolist()), legend=None),
        tooltip=["label:N", "role:N"],
    )
    text = base.mark_text(dx=-6, align="right", color="white", fontWeight="bold").encode(text="label:N")
    st.altair_chart((bars + text).properties(height=90), width="stretch")
    st.caption(tr("split_why"))


def axes(trials: pd.DataFrame, space: tuple[Param, ...]) -> tuple[str, str]:
    """Which two columns the scatter shows: the first two numeric searched parameters, or one
    of them against the validation accuracy."""
    numeric = [p.name for p in space if not p.choices and p.name in trials]
    if len(numeric) >= 2:
        return numeric[0], numeric[1]
    return (numeric[0] if numeric else "trial"), "val_acc"


def scatter(trials: pd.DataFrame, space: tuple[Param, ...], height: int = 340) -> alt.Chart:
    """Each trial at its searched values, coloured by its validation accuracy."""
    x, y = axes(trials, space)
    logs = {p.name for p in space if p.log}
    titles = {"val_acc": tr("val_acc"), "trial": tr("trial")}

    def enc(name, cls):
        log = name in logs
        return cls(
            f"{name}:Q",
            title=titles.get(name) or param_label(name),
            scale=alt.Scale(type="log" if log else "linear", zero=False),
            axis=alt.Axis(format=".0e" if log else "~g"),
        )

    tips = ["trial:Q", *[alt.Tooltip(f"{p.name}", format=".3~g") if not p.choices else p.name for p in space]]
    return (
        alt.Chart(named(trials))
        .mark_point(filled=True, size=70)
        .encode(
            x=enc(x, alt.X),
            y=enc(y, alt.Y),
            color=alt.Color("val_acc:Q", scale=alt.Scale(scheme="viridis"), title=tr("val_acc_short")),
            shape=alt.Shape("state:N", title=None),
            tooltip=[*tips, alt.Tooltip("val_acc:Q", format=".3f"), "state:N"],
        )
        .properties(height=height)
    )


def best_curves(frames: dict[str, pd.DataFrame], space: tuple[Param, ...], k: int = 20) -> None:
    """The best k trials' accuracy per epoch, one small panel each (validation solid, train dashed)."""
    trials = named(frames["trials"]).sort_values(["val_acc", "trial"], ascending=[False, True]).head(k)
    order = [trial_label(r, space) for _, r in trials.iterrows()]
    curves = frames["curves"].merge(trials.assign(label=order)[["trial", "label"]], on="trial")
    curves["set_label"] = [tr(f"set_{s}") for s in curves.set]
    chart = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=alt.X("epoch:Q", title=t("common.epoch")),
            y=alt.Y("acc:Q", title=t("common.accuracy"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("set:N", scale=scale(["validation", "train"]), legend=None),
            strokeDash=alt.StrokeDash("set_label:N", title=None, sort=[tr("set_validation"), tr("set_train")]),
            tooltip=["label:N", "set_label:N", "epoch:Q", alt.Tooltip("acc:Q", format=".3f")],
        )
        .properties(width=150, height=110)
        .facet(facet=alt.Facet("label:N", sort=order, title=None, header=alt.Header(labelFontSize=9)), columns=4)
    )
    st.altair_chart(chart)


def trials_table(trials: pd.DataFrame, space: tuple[Param, ...]) -> None:
    """Every trial, best first, with the searched values and the outcome in words."""
    cols = ["trial", *[p.name for p in space], "val_acc", "train_acc", "state", "epochs"]
    table = named(trials)[cols].sort_values("val_acc", ascending=False)
    names = {
        "trial": tr("trial"),
        "val_acc": tr("val_acc_short"),
        "train_acc": tr("train_acc_short"),
        "state": tr("state"),
        "epochs": t("common.epoch"),
        **{p.name: param_label(p.name) for p in space},
    }
    config = {names[p.name]: st.column_config.NumberColumn(format="%.3e") for p in space if p.log}
    st.dataframe(table.rename(columns=names), hide_index=True, width="stretch", column_config=config, height=300)
