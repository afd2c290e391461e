"""The book's 100-trial search round (figure 6-24 settings): all trials lockstep-batched, against
training the trials one by one (measured on a sample of trials and scaled to the round)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from core import data, hpo
from core.hpo import HyperSearch

ALONE_SAMPLE = 3  # trials trained one by one; the per-trial time is scaled to the whole round


def alone_seconds(spec: HyperSearch, configs: list[dict], split: data.Split, threads: int) -> float:
    """Seconds per trial, training the trials one after another on `threads` threads. A single
    small network often runs faster on one thread (no synchronisation between threads), so
    the baseline takes whichever thread count suits it best."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        start = time.perf_counter()
        for cfg in configs:
            hpo.evaluate(spec, [cfg], split)
        return (time.perf_counter() - start) / len(configs)
    finally:
        torch.set_num_threads(before)


def run() -> dict:
    data.load("mnist", "train"), data.load("mnist", "test")  # parse the files outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        spec = HyperSearch(storage=f"sqlite:///{Path(tmp) / 'bench.db'}")
        start = time.perf_counter()
        result = spec.run()
        batched = time.perf_counter() - start
    trials = result.frames["trials"]
    print(f"book round, {spec.n_trials} trials x {spec.epochs} epochs, lockstep batched: {batched:.1f} s")
    print(f"best validation accuracy {trials.val_acc.max():.3f} at lr {trials.loc[trials.val_acc.idxmax(), 'lr']:.2e}")

    split = data.make_split(spec.n_train, spec.val_fraction, 0, spec.dataset, spec.seed)
    sample = trials.head(ALONE_SAMPLE)
    configs = [hpo.config(spec, hpo.trial_params(row, spec.space)) for _, row in sample.iterrows()]
    per_trial = min(alone_seconds(spec, configs, split, n) for n in sorted({1, torch.get_num_threads()}))
    alone = per_trial * spec.n_trials
    print(f"one trial at a time: {per_trial:.2f} s per trial, {alone:.1f} s for the round (from {ALONE_SAMPLE} trials)")
    print(f"speed-up of batched trials: {alone / batched:.2f}x")
    return {"batched_s": batched, "alone_per_trial_s": per_trial, "alone_round_s": alone, "speedup": alone / batched}
