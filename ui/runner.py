"""Long experiments run in a background thread, so a page stays responsive, a Stop button
works, and leaving the page does not lose the run: the result lands in the store either way.

Jobs are process-wide and keyed by the spec: two browser sessions asking for the same spec
watch one job.
"""

from __future__ import annotations

import atexit
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from core import device
from core.spec import Result, Spec
from core.store import Store
from ui.i18n import t


@dataclass
class Job:
    spec: Spec
    fraction: float = 0.0
    started: float = field(default_factory=time.time)
    stop_event: threading.Event = field(default_factory=threading.Event)
    result: Result | None = None
    error: str | None = None
    done: bool = False
    thread: threading.Thread | None = None


_jobs: dict[str, Job] = {}
_guard = threading.Lock()


@atexit.register
def _stop_all() -> None:
    """Ask unfinished jobs to stop and wait for them: a thread still inside PyTorch when the
    interpreter exits aborts the process. What they trained so far is stored as a partial run."""
    for job in list(_jobs.values()):
        job.stop_event.set()
    for job in list(_jobs.values()):
        if job.thread is not None:
            job.thread.join(timeout=60)


@st.cache_resource
def store() -> Store:
    return Store()


def owner() -> str:
    """An id for this browser session: on a shared deployment it may delete only its own runs."""
    if "owner" not in st.session_state:
        st.session_state["owner"] = uuid.uuid4().hex
    return st.session_state["owner"]


@st.cache_data(max_entries=64, show_spinner=False)
def _cached(key: str, _spec: Spec) -> Result | None:
    return store().get(_spec)


def stored(spec: Spec) -> Result | None:
    """The stored result of `spec`, from memory after the first read."""
    result = _cached(spec.key(), spec)
    if result is None:
        _cached.clear()  # don't remember a miss: the run may finish any moment
    return result


@st.cache_data(max_entries=64, show_spinner=False)
def load(key: str, created: float) -> Result | None:
    """A stored result by key, complete or not (e.g. a saved model or a run to compare); `created`
    tells a re-run apart from the entry it replaced."""
    return store().load(key)


def start(spec: Spec) -> Job:
    """Start (or join) the background job computing `spec`."""
    key = spec.key()
    with _guard:
        job = _jobs.get(key)
        if job is not None and not job.done:
            return job
        job = _jobs[key] = Job(spec)
    who = owner()
    chosen = device.choice()  # the visitor's device (`core.device.using` around the page)

    def work() -> None:
        def progress(fraction: float, message: str) -> None:
            job.fraction = fraction

        try:
            with device.using(chosen):
                job.result = store().get_or_run(spec, progress, job.stop_event.is_set, who)
        except Exception as err:  # shown on the page; the traceback goes to the server log
            traceback.print_exc()
            job.error = str(err) or type(err).__name__
        job.done = True

    job.thread = threading.Thread(target=work, daemon=True, name=f"job-{key[:8]}")
    job.thread.start()
    return job


def running(spec: Spec) -> Job | None:
    return _jobs.get(spec.key())


def wait(spec: Spec, timeout: float = 600) -> Job | None:
    """Block until the job of `spec` is done (for tests and the command line)."""
    job = running(spec)
    end = time.time() + timeout
    while job is not None and not job.done and time.time() < end:
        time.sleep(0.05)
    return job


def result_or_button(spec: Spec, label: str, key: str, live: Callable[[], None] | None = None) -> Result | None:
    """The result of `spec` if stored; otherwise a button to start it, or the live progress of
    the job (with a Stop button). Stopping keeps what was trained so far on the page.
    `live`, if given, draws more of the run in progress (e.g. its curves so far) under the bar."""
    result = stored(spec)
    if result is not None:
        return result
    job = running(spec)
    if job is None or (job.done and job.result is None and job.error is None):
        if st.button(label, key=key, type="primary"):
            start(spec)
            st.rerun()
        return None
    if job.done:
        if job.error:
            st.error(t("common.run_failed", error=job.error))
            return None
        if not job.result.complete:
            st.info(t("common.stopped_partial"))
            if st.button(t("common.run_again"), key=f"{key}-again"):
                start(spec)
                st.rerun()
        return job.result
    _progress(spec, live)
    return None


@st.fragment(run_every=0.5)
def _progress(spec: Spec, live: Callable[[], None] | None = None) -> None:
    job = running(spec)
    if job is None or job.done:
        st.rerun(scope="app")
        return
    elapsed = time.time() - job.started
    fraction = min(job.fraction, 1.0)  # the core's own message is English: the bar shows a percentage
    st.progress(fraction, text=t("common.progress", percent=f"{100 * fraction:.0f}", seconds=f"{elapsed:.0f}"))
    if st.button(t("common.stop"), key=f"stop-{spec.key()}"):
        job.stop_event.set()
    if live is not None:
        live()
