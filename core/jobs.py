"""A queue of training jobs for one server that a whole class shares.

At most `workers` runs train at once (on 2 cores, two trainings side by side are slower than one
after the other: PyTorch's threads spin); the others wait, first in, first out. Visitors who ask
for the same spec share one job. A visitor who stops a run only detaches from it while somebody
else still watches it. On a shared deployment (`abandon_s` set) a job nobody has looked at for that
long is stopped, and what it trained is kept by the store as a partial result. Finished jobs stay
`keep_s` seconds, so that their visitors see how they ended, then leave memory: the store holds
their results.

Nothing here knows Streamlit; `ui.runner` puts a page in front of it.
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from core.spec import Phase, Result, Spec

ESTIMATE_AFTER = 0.02  # a run's own progress predicts its remaining time from this fraction on


@dataclass(eq=False)
class Job:
    """One spec being computed (or waiting to be), and who is waiting for it."""

    key: str
    spec: Spec
    owner: str  # the visitor who asked first: the stored result is theirs
    device: str | None
    submitted: float
    expected: float | None  # how long a run of this kind took before, seconds; None: unknown
    watchers: dict[str, float] = field(default_factory=dict)  # visitor -> when last seen
    started: float | None = None
    finished: float | None = None
    fraction: float = 0.0
    message: Phase | str = ""  # what the run is doing (a plain string from older callers)
    result: Result | None = None
    error: str | None = None
    abandoned: bool = False
    stop_event: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self.finished is not None

    def stopped(self) -> bool:
        """What the run polls between steps."""
        return self.stop_event.is_set()

    def remaining(self, now: float) -> float | None:
        """Seconds until it finishes: from its own pace once it has some, else from `expected`."""
        if self.started is None:
            return self.expected
        elapsed = now - self.started
        if self.fraction >= ESTIMATE_AFTER:
            return elapsed / self.fraction * (1.0 - self.fraction)
        return None if self.expected is None else max(self.expected - elapsed, 0.0)


def default_workers() -> int:
    """`$LAB_WORKERS`, else one run per two cores, at least one."""
    env = os.environ.get("LAB_WORKERS", "")
    if env.strip().isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 1) // 2)


class JobQueue:
    """`run(job)` computes a job's result (polling `job.stopped()` and setting `job.fraction`);
    `workers` threads call it for the jobs in submission order."""

    def __init__(
        self,
        run: Callable[[Job], Result],
        workers: int = 1,
        abandon_s: float | None = None,
        keep_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ):
        if workers < 1:
            raise ValueError("a queue needs at least one worker")
        self._run, self.workers, self.abandon_s, self.keep_s, self.clock = run, workers, abandon_s, keep_s, clock
        self._cv = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._jobs: dict[str, Job] = {}
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, daemon=True, name=f"lab-worker-{i}") for i in range(workers)
        ]
        self._threads.append(threading.Thread(target=self._janitor, daemon=True, name="lab-janitor"))
        for th in self._threads:
            th.start()

    def submit(self, spec: Spec, visitor: str, device: str | None = None, expected: float | None = None) -> Job:
        """The unfinished job of `spec`, joined by `visitor`, or a new one at the end of the queue
        that `visitor` owns."""
        key = spec.key()
        with self._cv:
            self._prune()
            now = self.clock()
            job = self._jobs.get(key)
            if job is None or job.done or job.stop_event.is_set():  # a stopping job is not joined
                job = self._jobs[key] = Job(key, spec, visitor, device, now, expected)
                self._waiting.append(job)
                self._cv.notify_all()  # the janitor waits on the same condition
            job.watchers[visitor] = now
            return job

    def get(self, key: str) -> Job | None:
        with self._cv:
            self._prune()
            return self._jobs.get(key)

    def jobs(self) -> list[Job]:
        """Every job in memory: running, waiting, or finished less than `keep_s` ago."""
        with self._cv:
            self._prune()
            return list(self._jobs.values())

    def watch(self, key: str, visitor: str) -> Job | None:
        """The job of `key` if `visitor` waits for it, noting that the visitor is still there."""
        with self._cv:
            self._prune()
            job = self._jobs.get(key)
            if job is None or visitor not in job.watchers:
                return None
            job.watchers[visitor] = self.clock()
            return job

    def leave(self, key: str, visitor: str) -> bool:
        """`visitor` stops waiting for the job of `key`. The job stops (or leaves the queue) only
        when nobody else waits for it; returns whether it did."""
        with self._cv:
            job = self._jobs.get(key)
            if job is None or job.watchers.pop(visitor, None) is None or job.done or job.watchers:
                return False
            self._stop(job)
            return True

    def position(self, job: Job) -> tuple[int, float | None]:
        """How many runs are ahead of `job` (running or waiting before it) and about how many
        seconds until it starts; None when a run ahead has no estimate yet."""
        with self._cv:
            now = self.clock()
            if job.started is not None or job.done:
                return 0, 0.0
            running = [j for j in self._jobs.values() if j.started is not None and not j.done]
            before = list(self._waiting)[: list(self._waiting).index(job)] if job in self._waiting else []
            ahead = len(running) + len(before)
            free = [j.remaining(now) for j in running] + [0.0] * (self.workers - len(running))
            if any(f is None for f in free) or any(j.expected is None for j in before):
                return ahead, None
            heapq.heapify(free)
            for j in before:  # each waiting run takes the first worker to come free
                heapq.heappush(free, heapq.heappop(free) + j.expected)
            return ahead, heapq.heappop(free)

    def close(self, timeout: float = 60.0) -> None:
        """Stop every job and wait for the workers (a thread inside PyTorch when the interpreter
        exits aborts the process); what the running jobs trained is stored as partial runs."""
        with self._cv:
            self._closed = True
            for job in list(self._jobs.values()):
                if not job.done:
                    self._stop(job)
            self._cv.notify_all()
        for th in self._threads:
            th.join(timeout)

    def _stop(self, job: Job) -> None:
        job.stop_event.set()
        if job in self._waiting:  # never started: it simply leaves the queue
            self._waiting.remove(job)
            job.finished = self.clock()

    def _prune(self) -> None:
        """Forget jobs finished more than `keep_s` ago; stop the ones nobody watches any more."""
        now = self.clock()
        for key, job in list(self._jobs.items()):
            if job.done and now - job.finished > self.keep_s:
                del self._jobs[key]
            elif not job.done and self.abandon_s is not None and not job.stop_event.is_set():
                last = max(job.watchers.values(), default=job.submitted)
                if now - last > self.abandon_s:
                    job.abandoned = True
                    self._stop(job)

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._waiting and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                job = self._waiting.popleft()
                job.started = self.clock()
            try:
                job.result = self._run(job)
            except Exception as err:  # shown to the job's visitors; the runner logs the traceback
                job.error = str(err) or type(err).__name__
            with self._cv:
                job.finished = self.clock()

    def _janitor(self) -> None:
        """Stops abandoned jobs and forgets old ones even while no page asks anything."""
        with self._cv:
            while not self._closed:
                self._prune()
                self._cv.wait(timeout=1.0)
