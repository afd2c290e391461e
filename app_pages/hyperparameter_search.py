"""Hyperparameter search: the course's random search in rounds that narrow the range, on Optuna,
with TPE, pruning, a final test and worker processes that join a shared study."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import hpo
from core.hpo import SEARCHABLE, HyperSearch
from core.store import clear_policy
from ui import runner
from ui.addresses import search_preset
from ui.i18n import t
from ui.search_views import (
    best_curves,
    book_table,
    describe,
    describe_short,
    final_verdict,
    fixed_inputs,
    live,
    named,
    narrowing_notes,
    param_label,
    range_input,
    range_value,
    rounds_verdict,
    scatter,
    search_lesson,
    shared_domains,
    split_bar,
    storage,
    tr,
    trial_label,
    trials_table,
    watch,
    worker_steps,
)
from ui.widgets import apply_preset, csv_download, defaults, guard, lesson, translated
from ui.widgets import tabs as page_tabs

P = "hps"
PRESET = HyperSearch.presets()["book_in_batches"]  # the book's round, its results appearing 20 trials at a time


def settings() -> HyperSearch:
    defaults(search_preset(PRESET))
    st.button(tr("preset_book"), key=f"{P}.preset", on_click=apply_preset(search_preset(PRESET)))
    c1, c2 = st.columns(2)
    n_trials = c1.number_input(tr("trials"), 1, 1000, key=f"{P}.n_trials")
    sampler = c2.selectbox(
        tr("sampler"),
        hpo.SAMPLERS,
        format_func=lambda s: tr(f"sampler_{s}"),
        help=tr("sampler_help"),
        **translated(f"{P}.sampler"),
    )
    ask_batch = c1.number_input(tr("ask_batch"), 0, 1000, key=f"{P}.ask_batch", help=tr("ask_help"))
    seed = c2.number_input(t("common.seed"), 0, 10**6, key=f"{P}.seed")
    pruner = st.toggle(tr("pruner"), key=f"{P}.pruner", help=tr("pruner_help"))
    searched = st.multiselect(tr("params"), list(SEARCHABLE), format_func=param_label, **translated(f"{P}.params"))
    space = guard(lambda: tuple(range_input(P, name) for name in searched))
    with st.expander(tr("fixed"), expanded=False):
        c1, c2, c3 = st.columns(3)
        n_train = c1.number_input(tr("n_train"), 2, 60000, key=f"{P}.n_train")
        val_pct = c2.number_input(tr("val_pct"), 1, 99, key=f"{P}.val_pct")
        epochs = c3.number_input(t("common.epoch"), 1, 500, key=f"{P}.epochs")
        fixed = fixed_inputs(P, searched)
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
            **fixed,
        )
    )


def proposal(trials: pd.DataFrame, search: HyperSearch) -> None:
    """Offer narrower ranges around the top-k trials for the next round, saying where a range
    had to stay wider than the best trials alone would make it."""
    st.markdown(f"#### {tr('narrow_title')}")
    k = st.number_input(tr("top_k"), 1, max(1, len(trials)), hpo.good_count(len(trials)), key=f"{P}.k")
    new = hpo.narrow(trials, search.space, int(k))
    for note in narrowing_notes(new):
        st.warning(note)
    rows = [
        {tr("param"): param_label(old.name), tr("now"): describe(old), tr("proposed"): describe(p)}
        for old, p in zip(search.space, new.space)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    values = {f"{P}.range.{p.name}": range_value(p) for p in new.space}

    def accept() -> None:
        st.session_state.setdefault(f"{P}.history", []).append(search.to_dict())
        apply_preset(values)()

    st.button(tr("accept"), key=f"{P}.accept", on_click=accept, type="primary")
    st.caption(tr("accept_help"))


def round_trials(search: HyperSearch) -> pd.DataFrame | None:
    """A round's finished trials, also of a round stopped before its end; None if none finished."""
    stamp = runner.store().stamp(search.key())
    found = None if stamp is None else runner.stored(search) if stamp[1] else runner.load(search.key(), stamp[0])
    trials = None if found is None else found.frames.get("trials")
    return None if trials is None or trials.empty else trials


def rounds(current: HyperSearch, trials: pd.DataFrame) -> None:
    """Every earlier round of this session beside the current one, on shared axes."""
    history = [HyperSearch(**d) for d in st.session_state.get(f"{P}.history", [])]
    shown = [(i + 1, s, round_trials(s)) for i, s in enumerate(history)] + [(len(history) + 1, current, trials)]
    shown = [(i, s, found) for i, s, found in shown if found is not None]
    if len(shown) < 2:
        return
    st.markdown(f"#### {tr('rounds')}")
    domains = shared_domains([(s.space, found) for _, s, found in shown])
    for start in range(0, len(shown), 3):
        for col, (i, s, found) in zip(st.columns(3), shown[start : start + 3]):
            chart = scatter(found, s.space, 240, domains).properties(title=tr("round", n=i))
            col.altair_chart(chart, width="stretch")
            col.caption(tr("round_best", acc=f"{found.val_acc.max():.1%}", n=len(found)))
    st.caption(tr("rounds_axes"))
    facts = hpo.rounds_facts([found for _, _, found in shown])
    if facts is not None:
        st.markdown(rounds_verdict(facts))


def final_step(trials: pd.DataFrame, search: HyperSearch) -> None:
    st.markdown(f"#### {tr('final_title')}")
    st.markdown(tr("final_intro"))
    trials = hpo.ranked(trials).set_index("trial", drop=False)
    shown = named(trials)
    pick = st.selectbox(
        tr("final_pick"),
        trials.trial.tolist(),
        key=f"{P}.final_pick",
        format_func=lambda n: trial_label(shown.loc[n], search.space),
    )
    row = trials.loc[pick]
    done = runner.result_or_button(search.final(hpo.trial_params(row, search.space)), tr("final_run"), key=f"{P}.final")
    if done is None:
        return
    if done.extras["diverged"]:
        st.error(tr("final_diverged"))
        return
    c1, c2 = st.columns(2)
    c1.metric(tr("test_acc"), f"{done.extras['test_acc']:.1%}")
    c2.metric(tr("val_acc_short"), f"{row.val_acc:.1%}")
    st.caption(tr("final_note", n=done.extras["n_train"], m=done.extras["n_test"]))
    st.markdown(final_verdict(hpo.final_facts(row.val_acc, done, search), len(trials), done.extras["n_train"]))


def search_tab() -> None:
    st.markdown(tr("intro"))
    left, right = st.columns([1, 2])
    with left:
        search = settings()
    with right:
        split_bar(search)
        st.caption(tr("setup", n=search.n_trials, space=", ".join(map(describe_short, search.space)) or "—"))
        if not search.space:
            st.info(tr("pick_one"))
            return
        result = runner.result_or_button(search, tr("run"), key=f"{P}.run", live=live(search))
        trials = None if result is None else result.frames.get("trials")  # none if stopped before it began
        if result is not None and not result.complete:  # stopped: only whole batches of trials finish
            n = 0 if trials is None else len(trials)
            st.caption(tr("stopped_some", n=n, total=search.n_trials) if n else tr("stopped_none"))
    if trials is None or trials.empty:
        return
    st.markdown(f"#### {tr('scatter_title')}")
    st.altair_chart(scatter(trials, search.space), width="stretch")
    st.markdown(f"#### {tr('curves_title')}")
    best_curves(result.frames, search.space)
    st.markdown(f"#### {tr('table_title')}")
    trials_table(trials, search.space)
    csv_download(trials, "hyperparameter-search", key=f"{P}.csv")
    here = result.extras["storage"] == hpo.shown_url(search.storage)  # not a shipped preset's study elsewhere
    if here and clear_policy() == "all":  # a shared server keeps its paths to itself
        st.caption(tr("study_note", study=result.extras["study"], storage=result.extras["storage"]))
    facts = hpo.search_facts(trials, search)
    lesson(search_lesson(facts, search))
    book = book_table(facts)
    if book is not None:
        st.markdown(f"#### {tr('book_title')}")
        st.dataframe(book, hide_index=True, width="stretch")
        st.caption(tr("book_note", good=facts.good))
    proposal(trials, search)
    rounds(search, trials)
    final_step(trials, search)


def workers_tab() -> None:
    st.markdown(tr("workers_intro"))
    shared = clear_policy() != "all"  # a visitor of a shared server may not point it at files or hosts
    url = st.text_input(
        tr("storage"),
        key=f"{P}.storage",
        placeholder="" if shared else hpo.shown_url(""),
        help=tr("storage_help", env=hpo.STORAGE_ENV),
        disabled=shared,
    )
    url = "" if shared else url
    st.caption(tr("storage_shared" if shared else "storage_changes"))
    try:
        names = hpo.study_names(storage(url))
    except ValueError as err:
        st.error(tr("storage_error", error=str(err)))
        return
    st.caption(tr("storage_now", url="—" if shared else hpo.shown_url(url), n=len(names)))
    if not names:
        st.info(tr("no_studies"))
    name = st.selectbox(tr("study"), names, key=f"{P}.watch") if names else "my-study"
    shown = hpo.shown_url(url)
    if shared and not shown.startswith("postgresql"):  # a file on the server: its path stays private
        shown = "URL"
    worker_steps(name, shown, create=not names)
    if names and st.toggle(tr("watch"), key=f"{P}.watching"):
        watch(name, url)


st.title(tr("title"))
tab_search, tab_workers = page_tabs(f"{P}.tab", {n: tr(f"tab_{n}") for n in ("search", "workers")})
with tab_search:
    search_tab()
with tab_workers:
    workers_tab()
