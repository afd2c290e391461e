"""A class on one server: visitors start small runs in the same second, four more ask for one
shared setting (the book preset with another seed, so that it trains rather than comes from the
shipped presets), one imports a damaged export, one keeps loading the home page (every half second).

The visitors submit through the app's own job queue (`ui.runner`, what the Train button calls)
and keep watching their runs as their pages do, twice a second; the home page is rendered by
Streamlit's AppTest in this process, beside the trainings, as the server would render it. The
store is a fresh one, so every run is computed. Prints runs completed, each visitor's wait, the
home page's p50/p95 and the process's peak memory; fails when a run is lost, a page raises, the
home page's p95 exceeds 2 s or the peak RSS 1.5 GB.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

VISITORS = 12
SHARED = 4
P95_LIMIT_S = 2.0
RSS_LIMIT_MB = 1536
THINK_S = 0.5  # the home visitor reads for half a second between loads, as a busy student might
ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def damaged_export() -> bytes:
    """A real export of a tiny lab run whose saved network was replaced by text."""
    from core import exchange
    from core.experiments.mnist_lab import MnistLab
    from core.store import Store

    home = Store(Path(tempfile.mkdtemp(prefix="lab-bench-src-")) / "src.sqlite")
    spec = MnistLab(n_train=100, n_test=20, epochs=1, batch_size=50, hidden=(8,))
    home.get_or_run(spec)
    doc = json.loads(exchange.export_json(home, [spec.key()]))
    doc["runs"][0]["extras"]["model"] = "weights.bin"
    return json.dumps(doc).encode()


def run(visitors: int = VISITORS) -> dict:
    os.environ["LAB_STORE"] = str(Path(tempfile.mkdtemp(prefix="lab-bench-")) / "results.sqlite")
    os.environ["LAB_CLEAR"] = "own"  # a shared deployment: abandonment on, no server paths
    from streamlit.testing.v1 import AppTest

    from core import exchange
    from core.experiments.optimizers import OptimizerComparison
    from core.optimizers import OptimizerSpec
    from ui import runner

    # this process is no page: every call of a page helper from here warns that it has no session
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(lambda record: False)
    failures: list[str] = []
    broken = damaged_export()
    queue = runner.queue()
    small = [
        OptimizerComparison(
            hidden=(100, 100), optimizers=(OptimizerSpec.of("sgd", lr=0.05 + 0.01 * i),), iterations=300, seed=i
        )
        for i in range(visitors)
    ]
    shared = dataclasses.replace(OptimizerComparison.presets()["book"], seed=1)  # not shipped: it trains
    asked = [(f"visitor-{i}", s) for i, s in enumerate(small)] + [(f"shared-{i}", shared) for i in range(SHARED)]
    start = time.time()
    jobs = {who: queue.submit(spec, who) for who, spec in asked}
    print(f"{len(asked)} visitors asked for {len({j.key for j in jobs.values()})} runs; {queue.workers} run(s) at once")

    done = threading.Event()

    def watch() -> None:  # each visitor's progress fragment, twice a second
        while not done.is_set():
            for who, job in jobs.items():
                queue.watch(job.key, who)
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        exchange.import_json(runner.store(), broken, "importer")
        failures.append("the damaged export was accepted")
    except exchange.ImportRejected as err:
        print(f"damaged import refused: {err}")

    loads = []
    while not all(j.done for j in jobs.values()):
        t0 = time.perf_counter()
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
        at.run()
        loads.append(time.perf_counter() - t0)
        if at.exception:
            failures.append(f"the home page raised: {at.exception[0].message}")
        time.sleep(THINK_S)
    done.set()
    total = time.time() - start

    lost = [who for who, j in jobs.items() if j.error or j.result is None or not j.result.complete]
    if lost:
        failures.append(f"runs lost: {', '.join(lost)}")
    waits = {who: j.started - j.submitted for who, j in jobs.items() if j.started is not None}
    ends = {who: j.finished - j.submitted for who, j in jobs.items() if j.finished is not None}
    p50, p95 = (float(np.percentile(loads, q)) for q in (50, 95)) if loads else (float("nan"),) * 2
    rss = peak_rss_mb()
    print(f"runs completed: {len(asked) - len(lost)} of {len(asked)} visitors' runs in {total:.1f} s")
    print(
        f"wait for a worker: median {np.median(list(waits.values())):.1f} s, longest {max(waits.values()):.1f} s; "
        f"until the result: median {np.median(list(ends.values())):.1f} s, longest {max(ends.values()):.1f} s"
    )
    for who in jobs:
        print(f"  {who}: waited {waits.get(who, float('nan')):.1f} s, result after {ends.get(who, float('nan')):.1f} s")
    print(f"home page while they trained: {len(loads)} loads, p50 {p50:.2f} s, p95 {p95:.2f} s")
    print(f"peak RSS: {rss:.0f} MB")
    if p95 > P95_LIMIT_S:
        failures.append(f"home page p95 {p95:.2f} s > {P95_LIMIT_S} s")
    if rss > RSS_LIMIT_MB:
        failures.append(f"peak RSS {rss:.0f} MB > {RSS_LIMIT_MB} MB")
    for f in failures:
        print(f"FAILED: {f}")
    queue.close()
    return {
        "visitors": len(asked),
        "runs": len({j.key for j in jobs.values()}),
        "workers": queue.workers,
        "seconds": total,
        "median_wait_s": float(np.median(list(waits.values()))),
        "longest_wait_s": float(max(waits.values())),
        "home_p50_s": p50,
        "home_p95_s": p95,
        "home_loads": len(loads),
        "peak_rss_mb": rss,
        "failures": failures,
    }
