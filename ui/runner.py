"""Long experiments run in the server's job queue (`core.jobs`), so a page stays responsive, a
Stop button works, and leaving the page does not lose the run: the result lands in the store
either way.

The queue is process-wide: visitors asking for the same spec share one job, and at most
`LAB_WORKERS` runs train at once. A visitor is `owner()`, a random token kept in a cookie, so that
after a reload, in a new tab or from a deep link the same browser still owns its runs and still
waits for the ones it started.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import time
import traceback
from collections.abc import Callable

import streamlit as st

from core import device, presets
from core.jobs import Job, JobQueue, default_workers
from core.result_cache import ResultCache
from core.spec import Phase, Result, Spec
from core.store import Store, clear_policy
from ui.i18n import t

COOKIE = "lab_owner"
TOKEN = re.compile(r"[0-9a-f]{32}")


@st.cache_resource
def store() -> Store:
    """The result store, given the course presets that ship with the repository on first use, so
    the first visitor of a fresh deployment sees every course figure at once (`LAB_PRESETS=off`
    leaves them out)."""
    s = Store()
    if os.environ.get("LAB_PRESETS", "on") != "off":
        try:
            presets.load_shipped(s)
        except Exception:  # a damaged file (truncated, not gzip): the presets are computed when asked for
            traceback.print_exc()
    return s


def _run(job: Job) -> Result:
    def progress(fraction: float, message: Phase | str) -> None:
        job.fraction, job.message = fraction, message

    try:
        with device.using(job.device):
            return store().get_or_run(job.spec, progress, job.stopped, job.owner)
    except Exception:
        traceback.print_exc()  # the page shows the message; the server log keeps the traceback
        raise


def abandon_seconds() -> float | None:
    """On a shared deployment (`LAB_CLEAR` own or none), a run nobody watches for
    `$LAB_ABANDON_S` seconds (default 120) is stopped; on a laptop a run left alone finishes."""
    if clear_policy() == "all":
        return None
    env = os.environ.get("LAB_ABANDON_S", "")
    return float(env) if re.fullmatch(r"\d+(\.\d*)?", env.strip()) else 120.0


@st.cache_resource
def queue() -> JobQueue:
    q = JobQueue(_run, default_workers(), abandon_seconds())
    atexit.register(q.close)
    return q


@st.cache_resource
def cache() -> ResultCache:
    """Decoded results shared by every visitor, bounded by their size (`$LAB_CACHE_MB`, default 256)."""
    env = os.environ.get("LAB_CACHE_MB", "")
    return ResultCache(int(env) * 2**20 if env.isdigit() else 256 * 2**20)


def owner() -> str:
    """Whose runs these are: a token from this browser's cookie, or a new random one (32 hex
    digits, which no other visitor can guess) that `remember_owner` writes there."""
    if "owner" not in st.session_state:
        try:
            token = st.context.cookies.get(COOKIE, "")
        except Exception:  # no browser behind the script (bare mode, tests)
            token = ""
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            token = secrets.token_hex(16)
            st.session_state["owner_new"] = True
        st.session_state["owner"] = token
    return st.session_state["owner"]


def remember_owner() -> None:
    """Keep a new owner token in the browser for a year (the entry point calls this each run)."""
    token = owner()
    if st.session_state.pop("owner_new", False):
        cookie = f"{COOKIE}={token}; path=/; max-age=31536000; SameSite=Strict"
        st.sidebar.html(f"<script>document.cookie = '{cookie}';</script>", unsafe_allow_javascript=True)


def stored(spec: Spec) -> Result | None:
    """The stored complete result of `spec`, from memory after the first read of that entry (an
    entry replaced since, by a re-run or a verification, is read anew). A miss is not remembered
    and evicts nothing: the run may finish any moment."""
    return _complete(spec, store().stamp(spec.key()))


def _complete(spec: Spec, stamp: tuple[float, bool] | None) -> Result | None:
    """`stored` for an entry whose stamp was read already. An entry its spec refuses (damaged,
    or not what these settings make: `Store.get` checks it once, when it is first read) counts as
    missing, with a note, so that it is computed again."""
    if stamp is None or not stamp[1]:
        return None
    key = (spec.key(), ("checked", stamp[0]))
    result = cache().get(key)
    if result is None:
        result = store().get(spec)
        if result is None:
            st.warning(t("common.damaged"))
            return None
        cache().put(key, result)
    return result


def load(key: str, created: float) -> Result | None:
    """A stored result by key, complete or not (e.g. a saved model or a run to compare); `created`
    tells a re-run apart from the entry it replaced."""
    found = cache().get((key, created))
    if found is None:
        found = store().load(key)
        if found is not None:
            cache().put((key, created), found)
    return found


def forget(keys: list[str]) -> None:
    """Drop deleted results from memory (nobody else's cached results go with them)."""
    cache().drop(set(keys))


def expected_seconds(kind: str) -> float | None:
    """How long runs of this kind took on this server (the median of the stored ones)."""
    e = store().entries()
    s = e.loc[(e["kind"] == kind) & (e["complete"] == 1), "seconds"]
    return float(s.median()) if len(s) else None


def start(spec: Spec) -> Job:
    """Queue `spec` (or join its job) for this visitor, on this visitor's device."""
    return queue().submit(spec, owner(), device.choice(), expected_seconds(spec.kind))


def wait(spec: Spec, timeout: float = 600) -> Job | None:
    """Block until the job of `spec` is done (for tests and the command line)."""
    job = queue().get(spec.key())
    end = time.time() + timeout
    while job is not None and not job.done and time.time() < end:
        time.sleep(0.05)
    return job


def result_or_button(spec: Spec, label: str, key: str, live: Callable[[], None] | None = None) -> Result | None:
    """The result of `spec` if stored; otherwise a button to queue it, or the job's place in the
    queue or live progress (with a Stop button). A stopped run's partial result stays on the page,
    also after the job has left memory. `live`, if given, draws more of the run in progress (e.g.
    its curves so far) under the bar."""
    stamp = store().stamp(spec.key())
    result = _complete(spec, stamp)
    if result is not None:
        if result.imported:
            st.caption(t("common.imported_note"))
        return result
    job = queue().watch(spec.key(), owner())
    if job is not None and not job.done:
        _progress(spec, live)
        return None
    if job is not None and job.error:
        st.error(t("common.run_failed", error=job.error))
    if job is not None and job.result is not None:
        partial = job.result
    else:  # the stored partial result of a run stopped before its end, if any
        partial = None if stamp is None or stamp[1] else load(spec.key(), stamp[0])
    if partial is not None and not partial.complete:
        st.info(t("common.abandoned_partial" if job is not None and job.abandoned else "common.stopped_partial"))
        label = t("common.run_again")
    others = queue().get(spec.key())
    if others is not None and not others.done:
        st.caption(t("common.others_running"))
    if st.button(label, key=key, type="primary"):
        start(spec)
        st.rerun()
    return partial if partial is not None and not partial.complete else None


def progress_text(fraction: float, message: Phase | str, elapsed: float) -> str:
    """The progress line in the reader's language: the phase a run reports, with its count, beside
    the percentage. A plain string is the core's English, so it is left out."""
    percent, seconds = f"{100 * fraction:.0f}", f"{elapsed:.0f}"
    if not isinstance(message, Phase):
        return t("common.progress", percent=percent, seconds=seconds)
    phase = t(f"common.phase_{message.name}", done=f"{message.done:,}", total=f"{message.total:,}")
    return t("common.progress_phase", phase=phase, percent=percent, seconds=seconds)


@st.fragment(run_every=0.5)
def _progress(spec: Spec, live: Callable[[], None] | None = None) -> None:
    job = queue().watch(spec.key(), owner())
    if job is None or job.done:
        st.rerun(scope="app")
        return
    if job.started is None:
        ahead, seconds = queue().position(job)
        key = "common.queued" + ("_eta" if seconds is not None else "") + ("_one" if ahead == 1 else "")
        st.info(t("common.queued_next") if ahead == 0 else t(key, ahead=ahead, seconds=f"{seconds or 0:.0f}"))
        stop_label = t("common.cancel")
    else:
        fraction = min(job.fraction, 1.0)
        st.progress(fraction, text=progress_text(fraction, job.message, time.time() - job.started))
        stop_label = t("common.stop")
    if st.button(stop_label, key=f"stop-{spec.key()}"):
        if not queue().leave(spec.key(), owner()):
            st.toast(t("common.detached"))
        st.rerun(scope="app")
    if live is not None and job.started is not None:
        live()
