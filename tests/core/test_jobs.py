"""The job queue a class shares: order, limit, shared specs, detach versus stop, abandonment,
pruning, and estimates of the wait."""

import threading
import time
from dataclasses import dataclass

import pytest

from core.jobs import Job, JobQueue, default_workers
from core.spec import Result, Spec


@dataclass(frozen=True)
class Sleep(Spec):
    """A stand-in run: it waits until released (or stopped) and records that it ran."""

    n: int = 0


class Runs:
    """The queue's `run`: each job blocks until the test releases it or the job is stopped."""

    def __init__(self):
        self.release: dict[int, threading.Event] = {}
        self.order: list[int] = []
        self.active = 0
        self.most_active = 0
        self.guard = threading.Lock()

    def __call__(self, job: Job) -> Result:
        with self.guard:
            self.order.append(job.spec.n)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        gate = self.release.setdefault(job.spec.n, threading.Event())
        while not gate.wait(0.01):
            job.fraction = 0.5
            if job.stopped():
                break
        with self.guard:
            self.active -= 1
        if job.spec.n < 0:
            raise ValueError("no such run")
        return Result(extras={"n": job.spec.n}, complete=not job.stopped())

    def finish(self, n: int) -> None:
        self.release.setdefault(n, threading.Event()).set()


def until(condition, timeout=5.0):
    end = time.time() + timeout
    while not condition():
        assert time.time() < end, "timed out"
        time.sleep(0.01)


@pytest.fixture
def runs():
    return Runs()


def test_runs_start_in_order_and_never_more_than_the_workers(runs):
    q = JobQueue(runs, workers=2)
    jobs = [q.submit(Sleep(n), f"v{n}") for n in range(5)]
    until(lambda: len(runs.order) == 2)
    assert q.position(jobs[4])[0] == 4  # two running, two waiting before it
    for n in range(5):
        runs.finish(n)
    until(lambda: all(j.done for j in jobs))
    assert runs.order == [0, 1, 2, 3, 4] and runs.most_active == 2
    assert [j.result.extras["n"] for j in jobs] == [0, 1, 2, 3, 4]
    q.close()


def test_the_same_spec_is_one_job_for_every_visitor(runs):
    q = JobQueue(runs)
    a, b = q.submit(Sleep(1), "ann"), q.submit(Sleep(1), "bob")
    assert a is b and set(a.watchers) == {"ann", "bob"}
    runs.finish(1)
    until(lambda: a.done)
    assert runs.order == [1]
    q.close()


def test_stop_detaches_while_another_visitor_watches_and_stops_when_alone(runs):
    q = JobQueue(runs)
    job = q.submit(Sleep(1), "ann")
    q.submit(Sleep(1), "bob")
    until(lambda: job.started is not None)
    assert q.leave(job.key, "ann") is False and not job.stopped()
    assert q.watch(job.key, "ann") is None and q.watch(job.key, "bob") is job
    assert q.leave(job.key, "bob") is True
    until(lambda: job.done)
    assert job.result.complete is False  # stopped: what it trained is a partial result
    q.close()


def test_a_waiting_job_left_by_everyone_leaves_the_queue_without_running(runs):
    q = JobQueue(runs)
    first, second = q.submit(Sleep(1), "ann"), q.submit(Sleep(2), "bob")
    assert q.leave(second.key, "bob") is True and second.done
    runs.finish(1)
    until(lambda: first.done)
    time.sleep(0.05)
    assert runs.order == [1] and second.result is None
    q.close()


def test_a_job_nobody_watches_is_abandoned_on_a_shared_server(runs):
    now = [1000.0]
    q = JobQueue(runs, abandon_s=120, clock=lambda: now[0])
    job = q.submit(Sleep(1), "ann")
    until(lambda: job.started is not None)
    now[0] += 100
    assert q.watch(job.key, "ann") is job  # seen: the clock restarts
    now[0] += 100
    assert q.get(job.key) is job and not job.stopped()
    now[0] += 30  # 130 s without a look
    until(job.stopped)
    until(lambda: job.done)
    assert job.abandoned and job.result.complete is False
    q.close()


def test_on_a_laptop_a_run_left_alone_still_finishes(runs):
    now = [1000.0]
    q = JobQueue(runs, abandon_s=None, clock=lambda: now[0])
    job = q.submit(Sleep(1), "ann")
    now[0] += 10_000
    assert q.get(job.key) is job and not job.stopped()
    runs.finish(1)
    until(lambda: job.done)
    assert job.result.complete
    q.close()


def test_finished_jobs_leave_memory_after_keep_s(runs):
    now = [1000.0]
    q = JobQueue(runs, keep_s=60, clock=lambda: now[0])
    job = q.submit(Sleep(1), "ann")
    runs.finish(1)
    until(lambda: job.done)
    now[0] += 59
    assert q.jobs() == [job]
    now[0] += 2
    assert q.jobs() == [] and q.get(job.key) is None
    again = q.submit(Sleep(1), "ann")  # asked again: a new job
    assert again is not job
    q.close()


def test_a_failing_run_reports_its_error_and_the_queue_goes_on(runs):
    q = JobQueue(runs)
    bad, good = q.submit(Sleep(-1), "ann"), q.submit(Sleep(2), "bob")
    runs.finish(-1)
    runs.finish(2)
    until(lambda: good.done)
    assert bad.error == "no such run" and good.result.complete
    q.close()


def test_the_wait_estimate_adds_up_the_runs_ahead(runs):
    now = [1000.0]
    q = JobQueue(runs, workers=1, clock=lambda: now[0])
    first = q.submit(Sleep(1), "a", expected=30.0)
    until(lambda: first.started is not None)
    q.submit(Sleep(2), "b", expected=20.0)
    third = q.submit(Sleep(3), "c", expected=10.0)
    now[0] += 10  # the first has run 10 s of its usual 30 and reports half done
    until(lambda: first.fraction == 0.5)
    assert q.position(third) == (2, pytest.approx(10.0 + 20.0))  # its own pace: 10 s more
    unknown = q.submit(Sleep(4), "d")
    assert q.position(q.submit(Sleep(5), "e")) == (4, None)
    for n in range(1, 6):
        runs.finish(n)
    until(lambda: unknown.done)
    q.close()


def test_workers_default_to_one_per_two_cores(monkeypatch):
    monkeypatch.setenv("LAB_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("LAB_WORKERS", "zero")
    assert default_workers() >= 1


def test_asking_again_while_a_run_is_stopping_queues_a_new_run(runs):
    q = JobQueue(runs)
    job = q.submit(Sleep(1), "ann")
    until(lambda: job.started is not None)
    assert q.leave(job.key, "ann")  # stopping, not yet finished
    again = q.submit(Sleep(1), "ann")
    assert again is not job and not again.stopped()
    runs.finish(1)
    until(lambda: again.done)
    assert again.result.complete
    q.close()
