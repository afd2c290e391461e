"""'Compare all remedies' on the book's overfitting setting: 7 variants, 200 epochs on 300
images, one lockstep run (target: at most 20 s on a 2-core CPU)."""

from __future__ import annotations

import time

from core import data
from core.experiments.regularization import Overfitting


def run() -> dict:
    spec = Overfitting.presets()["compare_all"]
    data.load("mnist", "train"), data.load("mnist", "test")  # parse the files outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    result = spec.run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    n = len(spec.regularizer)
    print(f"overfit compare_all ({n} variants x {spec.epochs} epochs on {spec.n_train} images): {seconds:.2f} s")
    print(f"  CPU time of this process: {cpu:.2f} s (wall time above it means other processes took the cores)")
    s = result.frames["summary"]
    for row in s.itertuples():
        print(f"  {row.variant:<15} train {row.train_acc:.4f}  test {row.test_acc:.4f}  gap {row.gap:+.4f}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "variants": n,
        "epochs": spec.epochs,
        "gap": dict(zip(s.variant, s.gap.round(4))),
        "test_acc": dict(zip(s.variant, s.test_acc.round(4))),
    }
