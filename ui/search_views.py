"""Inputs, charts, tables and words of the hyperparameter search page: searched ranges and fixed
settings, the data split, where the good trials are (rounds on shared axes), the best trials'
curves and the trials table; the lesson and verdicts worded from `core.hpo`'s facts about the
round on screen; a round in progress and the Workers tab's steps. Values a search chose
(optimizer ids, trial outcomes) are shown by their names in the reader's language (`named`)."""

from __future__ import annotations

import math

import altair as alt
import optuna
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


Domains = dict[str, tuple[float, float]]  # column -> the axis's [low, high], shared by charts set side by side


def shared_domains(rounds: list[tuple[tuple[Param, ...], pd.DataFrame]]) -> Domains:
    """One axis range per column over every round's searched ranges and trials, so rounds drawn
    side by side show the narrowing: later rounds' points gather in part of the first's axes."""
    found: dict[str, list[float]] = {"val_acc": [0.0, 1.0]}
    for space, trials in rounds:
        for p in space:
            if not p.choices:
                found.setdefault(p.name, []).extend([p.low, p.high, *trials.get(p.name, [])])
        found.setdefault("trial", []).extend(trials.trial)
    return {name: (min(v), max(v)) for name, v in found.items() if v}


def scatter(
    trials: pd.DataFrame, space: tuple[Param, ...], height: int = 340, domains: Domains | None = None
) -> alt.Chart:
    """Each trial at its searched values, coloured by its validation accuracy; `domains` fixes
    the axes (and the colours span 0 to 1) so that several charts compare."""
    x, y = axes(trials, space)
    logs = {p.name for p in space if p.log}
    titles = {"val_acc": tr("val_acc"), "trial": tr("trial")}

    def enc(name, cls):
        log = name in logs
        fixed = {"domain": list(domains[name])} if domains and name in domains else {}
        return cls(
            f"{name}:Q",
            title=titles.get(name) or param_label(name),
            scale=alt.Scale(type="log" if log else "linear", zero=False, **fixed),
            axis=alt.Axis(format=".0e" if log else "~g"),
        )

    colours = alt.Scale(scheme="viridis", **({"domain": [0, 1]} if domains else {}))
    tips = ["trial:Q", *[alt.Tooltip(f"{p.name}", format=".3~g") if not p.choices else p.name for p in space]]
    return (
        alt.Chart(named(trials))
        .mark_point(filled=True, size=70)
        .encode(
            x=enc(x, alt.X),
            y=enc(y, alt.Y),
            color=alt.Color("val_acc:Q", scale=colours, title=tr("val_acc_short")),
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


# ---- what the round shows, in words ------------------------------------------------------


def pct(x: float) -> str:
    return f"{x:.1%}"


def points(x: float) -> str:
    """A difference of two accuracies in percentage points."""
    return f"{100 * x:+.1f}"


def decades(x: float, ref: float) -> str:
    """How many powers of ten `x` lies above (+) or below (−) `ref`, to a tenth (never "−0.0")."""
    return f"{round(math.log10(x / ref), 1) + 0.0:+.1f}"


def band_value(x: float) -> str:
    return number(x, 2)


def search_lesson(facts: hpo.SearchFacts, search: HyperSearch) -> str:
    """The round's lesson from its facts: the best trial, where the good trials lie, what
    matters most, which trials learned nothing, each against the textbook's expectation."""
    chance = pct(hpo.CHANCE)
    parts = [tr("lesson_partial", n=facts.finished, planned=facts.planned)] if facts.finished < facts.planned else []
    if not facts.learned:
        return " ".join([*parts, tr("lesson_none", trial=facts.best_trial, best=pct(facts.best_acc), chance=chance)])
    parts.append(tr("lesson_best", trial=facts.best_trial, best=pct(facts.best_acc)))
    if facts.good < 2:
        parts.append(tr("lesson_one_good"))
    else:
        parts += [tr("lesson_good", good=facts.good, share=pct(hpo.GOOD_SHARE)), *(_band(b) for b in facts.bands)]
        lr = facts.band("lr")
        if lr is not None:
            parts.append(tr("lesson_lr_narrow" if lr.narrow else "lesson_lr_wide", limit=pct(hpo.NARROW_BAND)))
    if len(facts.bands) > 1:
        shares = ", ".join(f"{param_label(b.name)} {pct(b.influence)}" for b in facts.bands)
        parts.append(tr("lesson_influence", shares=shares, groups=hpo.INFLUENCE_BINS))
    if facts.lr_leads is not None:
        per_group = facts.finished // hpo.INFLUENCE_BINS
        parts.append(tr("lesson_lr_leads") if facts.lr_leads else tr("lesson_wd_leads", n=facts.finished, m=per_group))
    if facts.dead:
        parts.append(tr("lesson_dead", dead=facts.dead, n=facts.finished, limit=pct(hpo.DEAD_ACC), chance=chance))
        if facts.dead_in_band is not None and facts.learned and facts.good >= 2:
            key = "lesson_dead_mixed" if facts.dead_in_band else "lesson_dead_low"
            parts.append(tr(key, k=facts.dead_in_band, epochs=search.epochs))
    if facts.diverged:
        parts.append(tr("lesson_diverged", n=facts.diverged))
    return " ".join([*parts, tr("lesson_method")])


def _band(b: hpo.Band) -> str:
    return tr(
        "lesson_band", param=param_label(b.name), low=band_value(b.low), high=band_value(b.high), share=pct(b.share)
    )


def book_table(facts: hpo.SearchFacts) -> pd.DataFrame | None:
    """The book's printed bands beside this run's good trials', and how many decades each end
    differs; None off the book's settings."""
    rows = [
        {
            tr("param"): param_label(b.name),
            tr("book_band"): f"{band_value(b.book[0])} – {band_value(b.book[1])}",
            tr("run_band"): f"{band_value(b.low)} – {band_value(b.high)}",
            tr("book_diff"): f"{decades(b.low, b.book[0])} / {decades(b.high, b.book[1])}",
        }
        for b in facts.bands
        if b.book is not None
    ]
    return pd.DataFrame(rows) if rows and facts.learned and facts.good >= 2 else None


def narrowing_notes(n: hpo.Narrowing) -> list[str]:
    """Warnings for a proposal that had to stay wider than the best trials asked for."""
    notes = [tr("narrow_min_k", asked=n.asked_k, k=n.k)] if n.asked_k < n.k else []
    if n.widened:
        names = ", ".join(param_label(name) for name in n.widened)
        notes.append(
            tr(
                "narrow_widened",
                params=names,
                decades=number(hpo.MIN_DECADES),
                span=pct(hpo.MIN_SPAN),
                choices=hpo.MIN_CHOICES,
            )
        )
    return notes


def rounds_verdict(f: hpo.RoundsFacts) -> str:
    key = "rounds_better" if f.expected else "rounds_worse"
    return tr(key, n=f.rounds, m1=pct(f.first_median), m2=pct(f.last_median), b1=pct(f.first_best), b2=pct(f.last_best))


def final_verdict(f: hpo.FinalFacts, trials: int, n_all: int) -> str:
    case = "within" if f.within_noise else "below" if f.gap < 0 else "above"
    return tr(
        f"final_{case}",
        test=pct(f.test_acc),
        val=pct(f.val_acc),
        gap=points(f.gap),
        n=f.n_val,
        noise=f"{100 * f.noise:.1f}",
        trials=trials,
        n_all=n_all,
    )


# ---- a round in progress, and the Workers tab ---------------------------------------------


def live(search: HyperSearch):
    """Draw the trials the running round has finished so far, read from its study."""

    def draw() -> None:
        found = hpo.read_study(search.study_name(), storage(search.storage))
        if found is None or found[0]["trials"].empty:
            return
        st.caption(tr("live", n=len(found[0]["trials"]), total=search.n_trials))
        st.altair_chart(scatter(found[0]["trials"], search.space, 280), width="stretch")

    return draw


@st.cache_resource(show_spinner=False)
def storage(url: str) -> optuna.storages.BaseStorage:
    """One connection pool per storage URL for the whole server (errors are not cached)."""
    return hpo.open_storage(url)


@st.fragment(run_every=2.0)
def watch(name: str, url: str) -> None:
    """The attached study, re-read every two seconds while workers fill it in."""
    found = hpo.read_study(name, storage(url))
    if found is None:
        st.warning(tr("gone", study=name))
        return
    frames, space = found
    st.caption(tr("watch_count", n=len(frames["trials"])))
    if frames["trials"].empty:
        return
    st.altair_chart(scatter(frames["trials"], space, 300), width="stretch")
    trials_table(frames["trials"], space)


WORKER_EXAMPLE_URL = "postgresql://lab:password@192.168.0.10:5432/lab"  # a server the workers reach


def worker_steps(study: str, url: str, create: bool) -> None:
    """What a teacher does to run workers, in order, each command in a box that copies with one
    click and wraps to the column: install the driver, name the database, start, stop."""
    st.markdown(tr("workers_step_install"))
    st.code('pip install -r requirements.txt "psycopg[binary]"', language="bash", wrap_lines=True)
    st.markdown(tr("workers_step_db"))
    st.code(WORKER_EXAMPLE_URL, language="text", wrap_lines=True)
    st.markdown(tr("workers_step_run"))
    command = f"python -m core search-worker --study {study} --storage '{url}' --trials 25"
    st.code(command + (" --preset book" if create else ""), language="bash", wrap_lines=True)
    st.caption(tr("workers_howto"))
    st.markdown(tr("workers_step_stop"))
