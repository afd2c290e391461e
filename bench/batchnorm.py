"""Book BN grid (figures 6-18, 6-19: 16 init scales x BN on/off = 32 networks, 20 epochs of 1000
MNIST images): all 32 in lockstep (two batched groups) vs the same 32 trained one after another."""

from __future__ import annotations

import dataclasses
import time

import torch

from core import data
from core.experiments.batchnorm import BatchNormGrid


def one_by_one(spec: BatchNormGrid) -> float:
    """Each network alone, through the same trainer and the same per-epoch evaluation."""
    start = time.perf_counter()
    for scale in spec.scales:
        dataclasses.replace(spec, scales=(scale,)).run()  # BN on and off: one network each
    return time.perf_counter() - start


def run() -> dict:
    spec = BatchNormGrid()
    data.subset(spec.n_train, spec.dataset, "train", spec.seed)  # parse MNIST outside the timings
    start = time.perf_counter()
    spec.run()
    grid = time.perf_counter() - start
    threads = torch.get_num_threads()
    print(f"batchnorm-grid book preset (32 networks x {spec.epochs} epochs, {threads} torch threads)")
    print(f"lockstep batched: {grid:.2f} s")
    alone = one_by_one(spec)
    print(f"same 32 networks one after another: {alone:.2f} s")
    print(f"speed-up of lockstep batched training: {alone / grid:.2f}x")
    return {"threads": threads, "grid_s": grid, "one_by_one_s": alone, "speedup": alone / grid}
