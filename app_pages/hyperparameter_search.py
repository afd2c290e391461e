"""Hyperparameter search: the course's random search in rounds that narrow the range, on Optuna,
with TPE, pruning, a final test and worker processes that join a shared study."""

from __future__ import annotations

import math

import altair as alt
import optuna
import pandas as pd
import sqlalchemy
import streamlit as st

from core import hpo
from core.hpo import CHOICES, LIMITS, SEARCHABLE, HyperSearch, Param
from core.store import clear_policy
from ui import runner
from ui.colors import scale
from ui.i18n import number, t
from ui.widgets import apply_preset, csv_download, defaults, guard, lesson, translated

P = "hps"
BOOK = HyperSearch()
PAGE_ASK_BATCH = 20  # the page trains a round in batches so that results appear as they finish


def param_label(name: str) -> str:
    return t(f"hyperparameter_search.p_{name}")


def range_keys(name: str) -> str:
    return f"{P}.range.{name}"


def range_value(p: Param):
    """A Param as its widget value: exponents for log ranges, the choices otherwise."""
    if p.choices:
        return list(p.choices)
    if p.log:
        return (round(math.log10(p.low), 2), round(math.log10(p.high), 2))
    return (int(p.low), int(p.high)) if p.integer else (round(p.low, 2), round(p.high, 2))


def preset_values(search: HyperSearch) -> dict:
    """The widget values that reproduce `search`."""
    values = {
        f"{P}.trials": search.n_trials,
        f"{P}.sampler": search.sampler,
        f"{P}.pruner": search.pruner,
        f"{P}.ask_batch": search.ask_batch or PAGE_ASK_BATCH,
        f"{P}.seed": search.seed,
        f"{P}.params": [p.name for p in search.space],
        f"{P}.n_train": search.n_train,
        f"{P}.val_pct": int(round(search.val_fraction * 100)),
        f"{P}.epochs": search.epochs,
    }
    values.update({f"{P}.fixed.{name}": value for name, value in search.fixed().items()})
    values.update({range_keys(name): range_value(p) for name, p in hpo.DEFAULT_RANGES.items()})
    values.update({range_keys(p.name): range_value(p) for p in search.space})
    return values


def range_input(name: str) -> Param:
    """A range slider (in powers of ten for log ranges) or a multiselect of choices."""
    key = range_keys(name)
    if name in CHOICES:
        fmt = lambda c: t(f"hyperparameter_search.opt_{c}") if name == "optimizer" else str(c)  # noqa: E731
        chosen = st.multiselect(param_label(name), list(CHOICES[name]), format_func=fmt, **translated(key))
        return Param(name, choices=tuple(chosen))
    low, high = LIMITS[name]
    default = hpo.DEFAULT_RANGES[name]
    if default.log:
        a, b = st.slider(
            param_label(name) + " · log₁₀",
            round(math.log10(low), 2),
            round(math.log10(high), 2),
            step=0.1,
            key=key,
            help=t("hyperparameter_search.log_help"),
        )
        st.caption(f"10^U({a:g}, {b:g}) = [{10**a:.2g}, {10**b:.2g}]")
        return Param(name, 10**a, 10**b, log=True)
    if default.integer:
        a, b = st.slider(param_label(name), int(low), int(high), key=key)
        return Param(name, a, b, integer=True)
    a, b = st.slider(param_label(name), float(low), float(high), step=0.05, key=key)
    return Param(name, a, b)


def fixed_inputs(searched: list[str]) -> dict:
    """The settings that stay fixed in this round (the searched ones are hidden)."""
    values = {}
    cols = st.columns(3)
    for i, name in enumerate(n for n in SEARCHABLE if n not in searched):
        col, key = cols[i % 3], f"{P}.fixed.{name}"
        if name in CHOICES:
            values[name] = col.selectbox(param_label(name), list(CHOICES[name]), key=key)
        elif name == "depth":
            values[name] = int(col.number_input(param_label(name), 1, 10, key=key))
        else:
            low, high = LIMITS[name]
            values[name] = col.number_input(param_label(name), 0.0, high, key=key, format="%g")
    return values


def settings() -> HyperSearch:
    defaults(preset_values(BOOK))
    st.button(t("hyperparameter_search.preset_book"), key=f"{P}.preset", on_click=apply_preset(preset_values(BOOK)))
    c1, c2 = st.columns(2)
    n_trials = c1.number_input(t("hyperparameter_search.trials"), 1, 1000, key=f"{P}.trials")
    sampler = c2.selectbox(
        t("hyperparameter_search.sampler"),
        hpo.SAMPLERS,
        key=f"{P}.sampler",
        format_func=lambda s: t(f"hyperparameter_search.sampler_{s}"),
        help=t("hyperparameter_search.sampler_help"),
    )
    ask_batch = c1.number_input(
        t("hyperparameter_search.ask_batch"), 0, 1000, key=f"{P}.ask_batch", help=t("hyperparameter_search.ask_help")
    )
    seed = c2.number_input(t("common.seed"), 0, 10**6, key=f"{P}.seed")
    pruner = st.toggle(
        t("hyperparameter_search.pruner"), key=f"{P}.pruner", help=t("hyperparameter_search.pruner_help")
    )
    searched = st.multiselect(
        t("hyperparameter_search.params"), list(SEARCHABLE), format_func=param_label, **translated(f"{P}.params")
    )
    space = guard(lambda: tuple(range_input(name) for name in searched))
    with st.expander(t("hyperparameter_search.fixed"), expanded=False):
        c1, c2, c3 = st.columns(3)
        n_train = c1.number_input(t("hyperparameter_search.n_train"), 2, 60000, key=f"{P}.n_train")
        val_pct = c2.number_input(t("hyperparameter_search.val_pct"), 1, 99, key=f"{P}.val_pct")
        epochs = c3.number_input(t("common.epoch"), 1, 500, key=f"{P}.epochs")
        fixed = fixed_inputs(searched)
    storage = st.session_state.get(f"{P}.storage", "") if clear_policy() == "all" else ""  # see workers_tab
    return guard(
        lambda: HyperSearch(
            n_train=int(n_train),
            val_fraction=val_pct / 100,
            epochs=int(epochs),
            space=space,
            n_trials=int(n_trials),
            sampler=sampler,
            pruner=pruner,
            ask_batch=int(ask_batch),
            seed=int(seed),
            storage=storage,
            **{k: int(v) if k in ("depth", "batch_size", "width") else v for k, v in fixed.items()},
        )
    )


def split_bar(search: HyperSearch) -> None:
    """The search's images split into training and validation, and the test set apart from
    them, locked until the final step. Each row is drawn to its own full width."""
    n_val = round(search.n_train * search.val_fraction)
    n_test = 10000  # the whole MNIST test set
    search_row = t("hyperparameter_search.split_search", n=f"{search.n_train:,}")
    test_row = t("hyperparameter_search.split_locked", n=f"{n_test:,}")
    df = pd.DataFrame(
        [
            (search_row, "train", search.n_train - n_val, t("hyperparameter_search.split_train")),
            (search_row, "validation", n_val, t("hyperparameter_search.split_val")),
            (test_row, "test", n_test, t("hyperparameter_search.split_test")),
        ],
        columns=["row", "set", "images", "role"],
    )
    df["label"] = [f"{t(f'hyperparameter_search.set_{s}')} {n:,}" for s, n in zip(df.set, df.images)]
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
    st.caption(t("hyperparameter_search.split_why"))


def axes(trials: pd.DataFrame, space: tuple[Param, ...]) -> tuple[str, str]:
    """Which two columns the scatter shows: the first two numeric searched parameters, or one
    of them against the validation accuracy."""
    numeric = [p.name for p in space if not p.choices and p.name in trials]
    if len(numeric) >= 2:
        return numeric[0], numeric[1]
    return (numeric[0] if numeric else "trial"), "val_acc"


def scatter(trials: pd.DataFrame, space: tuple[Param, ...], height: int = 340) -> alt.Chart:
    x, y = axes(trials, space)
    logs = {p.name for p in space if p.log}

    def enc(name, cls):
        title = t("hyperparameter_search.val_acc") if name == "val_acc" else param_label(name)
        if name == "trial":
            title = t("hyperparameter_search.trial")
        log = name in logs
        axis = alt.Axis(format=".0e" if log else "~g")
        return cls(f"{name}:Q", title=title, scale=alt.Scale(type="log" if log else "linear", zero=False), axis=axis)

    tips = ["trial:Q", *[alt.Tooltip(f"{p.name}", format=".3~g") if not p.choices else p.name for p in space]]
    return (
        alt.Chart(trials)
        .mark_point(filled=True, size=70)
        .encode(
            x=enc(x, alt.X),
            y=enc(y, alt.Y),
            color=alt.Color(
                "val_acc:Q", scale=alt.Scale(scheme="viridis"), title=t("hyperparameter_search.val_acc_short")
            ),
            shape=alt.Shape("state:N", title=None),
            tooltip=[*tips, alt.Tooltip("val_acc:Q", format=".3f"), "state:N"],
        )
        .properties(height=height)
    )


def trial_label(row, space: tuple[Param, ...]) -> str:
    parts = [f"{p.name}={number(row[p.name], 2) if not p.choices else row[p.name]}" for p in space]
    return f"#{int(row.trial)} · {row.val_acc:.2f} · " + ", ".join(parts)


def best_curves(result, space: tuple[Param, ...], k: int = 20) -> None:
    """The best k trials' accuracy per epoch, one small panel each (validation solid, train dashed)."""
    trials = result.frames["trials"].sort_values(["val_acc", "trial"], ascending=[False, True]).head(k)
    curves = result.frames["curves"].merge(trials, on="trial")
    curves["label"] = [trial_label(r, space) for _, r in curves.iterrows()]
    curves["set_label"] = [t(f"hyperparameter_search.set_{s}") for s in curves.set]
    order = [trial_label(r, space) for _, r in trials.iterrows()]
    chart = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=alt.X("epoch:Q", title=t("common.epoch")),
            y=alt.Y("acc:Q", title=t("common.accuracy"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("set:N", scale=scale(["validation", "train"]), legend=None),
            strokeDash=alt.StrokeDash(
                "set_label:N",
                title=None,
                sort=[t("hyperparameter_search.set_validation"), t("hyperparameter_search.set_train")],
            ),
            tooltip=["label:N", "set_label:N", "epoch:Q", alt.Tooltip("acc:Q", format=".3f")],
        )
        .properties(width=150, height=110)
        .facet(facet=alt.Facet("label:N", sort=order, title=None, header=alt.Header(labelFontSize=9)), columns=4)
    )
    st.altair_chart(chart)


def trials_table(trials: pd.DataFrame, space: tuple[Param, ...]) -> None:
    cols = ["trial", *[p.name for p in space], "val_acc", "train_acc", "state", "epochs"]
    table = trials[cols].sort_values("val_acc", ascending=False)
    table["state"] = [t(f"hyperparameter_search.state_{s}") for s in table.state]
    names = {
        "trial": t("hyperparameter_search.trial"),
        "val_acc": t("hyperparameter_search.val_acc_short"),
        "train_acc": t("hyperparameter_search.train_acc_short"),
        "state": t("hyperparameter_search.state"),
        "epochs": t("common.epoch"),
        **{p.name: param_label(p.name) for p in space},
    }
    config = {names[p.name]: st.column_config.NumberColumn(format="%.3e") for p in space if p.log}
    st.dataframe(table.rename(columns=names), hide_index=True, width="stretch", column_config=config, height=300)


def proposal(result, search: HyperSearch) -> None:
    """Offer narrower ranges around the top-k trials for the next round."""
    st.markdown(f"#### {t('hyperparameter_search.narrow_title')}")
    trials = result.frames["trials"]
    k = st.number_input(
        t("hyperparameter_search.top_k"), 1, max(1, len(trials)), max(1, round(len(trials) / 10)), key=f"{P}.k"
    )
    new = hpo.narrow(trials, search.space, int(k))
    rows = [
        {
            t("hyperparameter_search.param"): param_label(old.name),
            t("hyperparameter_search.now"): describe(old),
            t("hyperparameter_search.proposed"): describe(p),
        }
        for old, p in zip(search.space, new)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    values = {range_keys(p.name): range_value(p) for p in new}

    def accept() -> None:
        st.session_state.setdefault(f"{P}.history", []).append(search.to_dict())
        apply_preset(values)()

    st.button(t("hyperparameter_search.accept"), key=f"{P}.accept", on_click=accept, type="primary")
    st.caption(t("hyperparameter_search.accept_help"))


def describe(p: Param) -> str:
    if p.choices:
        return ", ".join(map(str, p.choices))
    if p.log:
        return f"10^[{math.log10(p.low):.2f}, {math.log10(p.high):.2f}]  ({p.low:.2g} – {p.high:.2g})"
    return f"[{number(p.low, 3)}, {number(p.high, 3)}]"


def rounds(current: HyperSearch) -> None:
    """Every earlier round of this session beside the current one, on the same axes."""
    history = [HyperSearch(**d) for d in st.session_state.get(f"{P}.history", [])]
    shown = [(i + 1, s, runner.stored(s)) for i, s in enumerate([*history, current])]
    shown = [(i, s, r) for i, s, r in shown if r is not None and not r.frames["trials"].empty]
    if len(shown) < 2:
        return
    st.markdown(f"#### {t('hyperparameter_search.rounds')}")
    for start in range(0, len(shown), 3):
        for col, (i, s, r) in zip(st.columns(3), shown[start : start + 3]):
            best = r.frames["trials"].val_acc.max()
            col.altair_chart(
                scatter(r.frames["trials"], s.space, 240).properties(title=t("hyperparameter_search.round", n=i)),
                width="stretch",
            )
            col.caption(t("hyperparameter_search.round_best", acc=f"{best:.3f}", n=len(r.frames["trials"])))


def final_step(result, search: HyperSearch) -> None:
    st.markdown(f"#### {t('hyperparameter_search.final_title')}")
    st.markdown(t("hyperparameter_search.final_intro"))
    trials = result.frames["trials"].sort_values(["val_acc", "trial"], ascending=[False, True])
    pick = st.selectbox(
        t("hyperparameter_search.final_pick"),
        trials.trial.tolist(),
        key=f"{P}.final_pick",
        format_func=lambda n: trial_label(trials[trials.trial == n].iloc[0], search.space),
    )
    row = trials[trials.trial == pick].iloc[0]
    final = search.final({p.name: _plain(row[p.name]) for p in search.space})
    done = runner.result_or_button(final, t("hyperparameter_search.final_run"), key=f"{P}.final")
    if done is None:
        return
    if done.extras["diverged"]:
        st.error(t("hyperparameter_search.final_diverged"))
        return
    c1, c2 = st.columns(2)
    c1.metric(t("hyperparameter_search.test_acc"), f"{done.extras['test_acc']:.2%}")
    c2.metric(t("hyperparameter_search.val_acc_short"), f"{row.val_acc:.2%}")
    st.caption(t("hyperparameter_search.final_note", n=done.extras["n_train"], m=done.extras["n_test"]))


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def live(search: HyperSearch):
    """Draw the trials the running round has finished so far, read from its study."""

    def draw() -> None:
        found = read_study(search.study_name(), search.storage)
        if found is None or found[0]["trials"].empty:
            return
        st.caption(t("hyperparameter_search.live", n=len(found[0]["trials"]), total=search.n_trials))
        st.altair_chart(scatter(found[0]["trials"], search.space, 280), width="stretch")

    return draw


@st.cache_resource(show_spinner=False)
def storage(url: str) -> optuna.storages.BaseStorage:
    """One connection pool per storage URL for the whole server (errors are not cached)."""
    return hpo.open_storage(url)


def read_study(name: str, url: str) -> tuple[dict, tuple[Param, ...]] | None:
    """A study's finished trials and its searched ranges; None if it does not exist (yet)."""
    try:
        study = optuna.load_study(study_name=name, storage=storage(url))
        settings = study.user_attrs.get(hpo.ATTR)
        space = HyperSearch(**settings).space if settings else ()
        return hpo.study_frames(study), space
    except (KeyError, ValueError, TypeError, sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError):
        return None  # gone, unreadable, or its database is away: the caller says so


def search_tab() -> None:
    st.markdown(t("hyperparameter_search.intro"))
    left, right = st.columns([1, 2])
    with left:
        search = settings()
    with right:
        split_bar(search)
        st.caption(
            t(
                "hyperparameter_search.setup",
                n=search.n_trials,
                space=", ".join(describe_short(p) for p in search.space) or "—",
            )
        )
        if not search.space:
            st.info(t("hyperparameter_search.pick_one"))
            return
        result = runner.result_or_button(search, t("hyperparameter_search.run"), key=f"{P}.run", live=live(search))
    if result is None or result.frames["trials"].empty:
        return
    trials = result.frames["trials"]
    st.markdown(f"#### {t('hyperparameter_search.scatter_title')}")
    st.altair_chart(scatter(trials, search.space), width="stretch")
    st.markdown(f"#### {t('hyperparameter_search.curves_title')}")
    best_curves(result, search.space)
    st.markdown(f"#### {t('hyperparameter_search.table_title')}")
    trials_table(trials, search.space)
    csv_download(trials, "hyperparameter-search", key=f"{P}.csv")
    here = result.extras["storage"] == hpo.shown_url(search.storage)  # not a shipped preset's study elsewhere
    if here and clear_policy() == "all":  # a shared server keeps its paths to itself
        st.caption(
            t("hyperparameter_search.study_note", study=result.extras["study"], storage=result.extras["storage"])
        )
    proposal(result, search)
    rounds(search)
    final_step(result, search)
    lesson(t("hyperparameter_search.lesson"))


def describe_short(p: Param) -> str:
    return f"{param_label(p.name)} {describe(p)}"


def workers_tab() -> None:
    st.markdown(t("hyperparameter_search.workers_intro"))
    default = hpo.shown_url("")
    shared = clear_policy() != "all"  # a visitor of a shared server may not point it at files or hosts
    url = st.text_input(
        t("hyperparameter_search.storage"),
        key=f"{P}.storage",
        placeholder="" if shared else default,
        help=t("hyperparameter_search.storage_help", env=hpo.STORAGE_ENV),
        disabled=shared,
    )
    url = "" if shared else url
    try:
        names = [x.study_name for x in optuna.get_all_study_summaries(storage(url))]
    except ValueError as err:
        st.error(t("hyperparameter_search.storage_error", error=str(err)))
        return
    st.caption(t("hyperparameter_search.storage_now", url="—" if shared else hpo.shown_url(url), n=len(names)))
    if not names:
        st.info(t("hyperparameter_search.no_studies"))
    name = st.selectbox(t("hyperparameter_search.study"), names, key=f"{P}.watch") if names else "my-study"
    shown = hpo.shown_url(url)
    if shared and not shown.startswith("postgresql"):  # a file on the server: its path stays private
        shown = "URL"
    st.code(
        f"python -m core search-worker --study {name} --storage '{shown}' --trials 25"
        + ("" if names else " --preset book"),
        language="bash",
    )
    st.caption(t("hyperparameter_search.workers_howto"))
    if names and st.toggle(t("hyperparameter_search.watch"), key=f"{P}.watching"):
        watch(name, url)


@st.fragment(run_every=2.0)
def watch(name: str, url: str) -> None:
    """The attached study, re-read every two seconds while workers fill it in."""
    found = read_study(name, url)
    if found is None:
        st.warning(t("hyperparameter_search.gone", study=name))
        return
    (frames, space) = found
    trials = frames["trials"]
    st.caption(t("hyperparameter_search.watch_count", n=len(trials)))
    if trials.empty:
        return
    st.altair_chart(scatter(trials, space, 300), width="stretch")
    trials_table(trials, space)


st.title(t("hyperparameter_search.title"))
tab_search, tab_workers = st.tabs([t("hyperparameter_search.tab_search"), t("hyperparameter_search.tab_workers")])
with tab_search:
    search_tab()
with tab_workers:
    workers_tab()
