"""Compare runs: every stored result in one table; overlay, delete, export and import runs."""

import pandas as pd
import streamlit as st

from core import exchange, runs
from core.store import clear_policy
from core.verify import Verification
from ui import addresses, charts, labels, links, nav, runner
from ui.i18n import t
from ui.run_views import metric_name, named
from ui.widgets import lesson, translated

P = "compare_runs"
METRIC_COLUMNS = {m: f"compare_runs.m_{m}" for m in runs.METRICS}


def page_title(topic: str) -> str:
    """The translated title of the page that shows a run's topic (the topic when it has none)."""
    title = t(f"{nav.page_of(topic)}.title")
    return topic if title.endswith(".title") else title


def all_runs() -> pd.DataFrame:
    entries = runner.store().entries()
    results = {e.key: runner.load(e.key, e.created) for e in entries.itertuples()}
    return runs.table(entries, results)


def may_delete(df: pd.DataFrame) -> pd.Series:
    store, me = runner.store(), runner.owner()
    return df["owner"].map(lambda owner: store.may_delete(me, owner))


def filters(df: pd.DataFrame) -> pd.DataFrame:
    left, right = st.columns([1, 2])
    pages = sorted(df["page"].unique(), key=page_title)
    chosen = left.multiselect(
        t("compare_runs.pages"),
        pages,
        format_func=page_title,
        **translated(f"{P}.pages"),
        placeholder=t("compare_runs.all_pages"),
    )
    text = right.text_input(t("compare_runs.search"), key=f"{P}.search", placeholder=t("compare_runs.search_hint"))
    shown = df[df["page"].isin(chosen)] if chosen else df
    return runs.search(shown, text)


def shown_table(df: pd.DataFrame) -> pd.DataFrame:
    """The table as the student reads it: translated headers, page titles, short keys."""
    out = pd.DataFrame(
        {
            t("compare_runs.col_page"): df["page"].map(page_title),
            t("compare_runs.col_kind"): df["kind"].map(labels.kind),
            t("compare_runs.col_date"): df["created"],
            t("compare_runs.col_seconds"): df["seconds"].round(1),
            t("compare_runs.col_complete"): df["complete"],
            t("compare_runs.col_imported"): df["imported"],
        }
    )
    for metric, key in METRIC_COLUMNS.items():
        if metric in df.columns:
            out[t(key)] = df[metric].round(4)
    out[t("compare_runs.col_curves")] = df["curves"]
    out[t("compare_runs.col_settings")] = df["settings"]
    out[t("compare_runs.col_key")] = df["key"].str[:8]
    return out


def pick(df: pd.DataFrame) -> pd.DataFrame:
    """The table with row selection; returns the picked runs."""
    version = st.session_state.setdefault(f"{P}.version", 0)
    event = st.dataframe(
        shown_table(df),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key=f"{P}.table.{version}",
        column_config={
            t("compare_runs.col_date"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            t("compare_runs.col_settings"): st.column_config.TextColumn(width="large"),
        },
    )
    rows = event.selection.rows if event is not None else []
    return df.iloc[[r for r in rows if r < len(df)]]


def overlay(picked: pd.DataFrame) -> None:
    """The picked runs' curves of one metric on one set of axes, each series named
    "<page> <key> · <variant>" in the reader's language."""
    results = {k: runner.load(k, c) for k, c in zip(picked["key"], picked["created"])}
    curves = runs.overlay({k: r for k, r in results.items() if r is not None})
    if curves.empty:
        st.info(t("compare_runs.no_curves"))
        return
    metrics = sorted(curves["metric"].unique())
    if st.session_state.get(f"{P}.metric") not in metrics:  # the picked runs may lack the last metric
        st.session_state.pop(f"{P}.metric", None)
    c1, c2, c3 = st.columns(3)
    metric = c1.selectbox(
        t("compare_runs.metric"),
        metrics,
        format_func=metric_name,
        **translated(f"{P}.metric", "loss" if "loss" in metrics else metrics[0]),
    )
    x = c2.radio(
        t("compare_runs.x_axis"),
        ["step", "epoch"],
        format_func=lambda a: t(f"common.{a}"),
        **translated(f"{P}.x"),
        horizontal=True,
    )
    log_y = c3.toggle(t("common.log_scale"), key=f"{P}.log")
    part = curves[curves["metric"] == metric]
    if log_y:
        part = part[part["value"] > 0]
    run_labels = {row.key: f"{page_title(row.page)} {row.key[:6]}" for row in picked.itertuples()}
    chart = charts.lines(
        named(part, run_labels),
        x,
        "value",
        "series",
        x_title=t(f"common.{x}"),
        y_title=metric_name(metric),
        log_y=log_y,
    )
    st.altair_chart(chart, width="stretch")


def actions(picked: pd.DataFrame) -> None:
    keys = picked["key"].tolist()
    store = runner.store()
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        t("compare_runs.export_json"),
        exchange.export_json(store, keys),
        "runs.json",
        "application/json",
        key=f"{P}.json",
        disabled=not keys,
    )
    c2.download_button(
        t("compare_runs.export_csv"),
        exchange.export_csv(store, keys),
        "runs.csv",
        "text/csv",
        key=f"{P}.csv",
        disabled=not keys,
    )
    allowed = picked[may_delete(picked)]["key"].tolist()
    if c3.button(t("compare_runs.delete", n=len(allowed)), key=f"{P}.delete", disabled=not allowed):
        n = store.delete(allowed, runner.owner())
        runner.forget(allowed)
        refresh()
        st.toast(t("compare_runs.deleted", n=n))
        st.rerun()
    if len(allowed) < len(keys):
        st.caption(t("compare_runs.not_yours", n=len(keys) - len(allowed)))


def verify(picked: pd.DataFrame) -> None:
    """Recompute one picked run here and compare its numbers: the way to tell whether an
    imported run (or any other) is what it claims to be."""
    if len(picked) != 1:
        return
    row = picked.iloc[0]
    st.markdown(f"#### {t('compare_runs.verify_title')}")
    st.caption(t("compare_runs.verify_help_imported" if row["imported"] else "compare_runs.verify_help"))
    last = st.session_state.get(f"{P}.verifying")  # its verdict stays after the run it checked was replaced
    spec = (
        last if last is not None and last.run_key == row["key"] else Verification.of_stored(runner.store(), row["key"])
    )
    st.session_state[f"{P}.verifying"] = spec
    verdict = runner.result_or_button(spec, t("compare_runs.verify"), key=f"{P}.verify")
    if verdict is None or not verdict.complete:
        return
    if verdict.extras["matches"]:
        st.success(t("compare_runs.verified"))
    else:
        st.error(t("compare_runs.not_verified", n=verdict.extras["n_differences"]))
        diff = verdict.frames["differences"]
        st.dataframe(
            diff.set_axis([t(f"compare_runs.col_{c}") for c in diff.columns], axis=1), hide_index=True, width="stretch"
        )


def share(picked: pd.DataFrame) -> None:
    """A link that opens the page that made the one picked run, with its settings: what a
    teacher sends the class. Copied in the browser, without a rerun."""
    if len(picked) != 1:
        return
    link = addresses.stored_link(runner.store(), picked.iloc[0]["key"])
    st.markdown(f"#### {t('compare_runs.link_title')}")
    if link is None:
        st.caption(t("compare_runs.no_link"))
        return
    st.caption(t("compare_runs.link_help"))
    left, right = st.columns([4, 1])
    left.code(link, language=None, wrap_lines=True)
    links.copy_button(link=link, key=f"{P}.copy", container=right)


def refresh() -> None:
    """Forget the table's selection after the store changed."""
    st.session_state[f"{P}.version"] = st.session_state.get(f"{P}.version", 0) + 1


def import_section() -> None:
    st.markdown(f"#### {t('compare_runs.import_title')}")
    st.caption(t("compare_runs.import_help", mb=exchange.MAX_BYTES // (1024 * 1024)))
    upload = st.file_uploader(
        t("compare_runs.import_file"),
        type=["json"],
        key=f"{P}.upload",
        max_upload_size=exchange.MAX_BYTES // (1024 * 1024),
    )
    if upload is None or not st.button(t("compare_runs.import"), key=f"{P}.import"):
        return
    try:
        done = exchange.import_json(runner.store(), upload.getvalue(), runner.owner())
    except exchange.ImportRejected as err:
        st.error(t("compare_runs.import_rejected", error=str(err)))
        return
    refresh()
    st.session_state[f"{P}.notice"] = t("compare_runs.imported", added=len(done.added), skipped=len(done.skipped))
    st.rerun()


st.title(t("compare_runs.title"))
st.markdown(t("compare_runs.intro"))
notice = st.session_state.pop(f"{P}.notice", None)
if notice:
    st.success(notice)
table = all_runs()
if table.empty:
    st.info(t("compare_runs.empty"))
else:
    found = filters(table)
    st.caption(t("compare_runs.count", shown=len(found), total=len(table)))
    picked = pick(found)
    policy = clear_policy()
    if policy != "all":
        st.caption(t(f"compare_runs.policy_{policy}"))
    if picked.empty:
        st.info(t("compare_runs.pick"))
    else:
        overlay(picked)
        actions(picked)
        share(picked)
        verify(picked)
    lesson(t("compare_runs.lesson"))
import_section()
