"""Early stopping: watch a validation metric, stop when it has not improved for `patience`
evaluations, and optionally put back the weights of the best evaluation.

`Criterion` is the rule on a sequence of numbers (testable on a scripted sequence);
`EarlyStopping` applies it to chosen variants of a lockstep run through `train(on_eval=...)`,
snapshotting each watched variant's parameter row (and batch-norm statistics) when it improves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from core.train import Group

MONITORS = ("val_loss", "val_acc")


@dataclass
class Criterion:
    """Keras' rule: a value improves when it beats the best so far by more than `min_delta`
    (lower for a loss, higher for an accuracy); once `patience` evaluations in a row have not
    improved, stop. Patience 0 (like 1) stops at the first evaluation that does not improve."""

    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    best: float = math.nan
    best_at: int | None = None
    waited: int = 0

    def __post_init__(self):
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}")
        if self.patience < 0 or self.min_delta < 0:
            raise ValueError("patience and min delta cannot be negative")

    def improved(self, value: float) -> bool:
        if math.isnan(self.best):
            return not math.isnan(value)
        if self.monitor.endswith("loss"):
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def update(self, step: int, value: float) -> bool:
        """Record one evaluation; True when training should stop now."""
        if self.improved(value):
            self.best, self.best_at, self.waited = value, step, 0
            return False
        self.waited += 1
        return self.waited >= self.patience


@dataclass
class EarlyStopping:
    """An `on_eval` callback that early-stops the variants in `watch` (their indices).

    With `restore_best`, call `restore(groups)` after training: each watched variant gets back
    the parameters (and running statistics) it had at its best evaluation."""

    watch: Iterable[int]
    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True
    criteria: dict[int, Criterion] = field(init=False)
    stopped_at: dict[int, int] = field(init=False, default_factory=dict)
    _best: dict[int, dict[str, torch.Tensor]] = field(init=False, default_factory=dict)

    def __post_init__(self):
        self.criteria = {k: Criterion(self.monitor, self.patience, self.min_delta) for k in self.watch}

    def __call__(self, step: int, metrics: dict[str, np.ndarray], groups: list[Group]) -> list[int]:
        if self.monitor not in metrics:
            raise ValueError(f"early stopping needs a '{self.monitor.split('_')[0]}' evaluation set")
        stop = []
        for k, crit in self.criteria.items():
            if k in self.stopped_at:
                continue
            value = float(metrics[self.monitor][k])
            if math.isnan(value):
                continue  # diverged or already stopped by someone else
            if crit.update(step, value):
                self.stopped_at[k] = step
                stop.append(k)
            elif crit.best_at == step and self.restore_best:
                self._best[k] = snapshot(groups, k)
        return stop

    def best_step(self, k: int) -> int | None:
        return self.criteria[k].best_at

    def restore(self, groups: list[Group]) -> None:
        """Put the best weights back into every watched variant that has a snapshot."""
        for k, saved in self._best.items():
            load(groups, k, saved)


def _locate(groups: list[Group], k: int) -> tuple[Group, int]:
    for g in groups:
        if k in g.indices:
            return g, g.indices.index(k)
    raise KeyError(f"variant {k} is not in any group")


def snapshot(groups: list[Group], k: int) -> dict[str, torch.Tensor]:
    """A copy of variant k's parameters (its row of `flat`) and of its persistent buffers."""
    g, j = _locate(groups, k)
    saved = {"flat": g.model.flat[j].clone()}
    for name, buf in g.model.named_buffers():
        if name in g.model.state_dict():  # persistent only: BN running mean/var, not dropout rates
            saved[name] = buf[j].clone()
    return saved


@torch.no_grad()
def load(groups: list[Group], k: int, saved: dict[str, torch.Tensor]) -> None:
    g, j = _locate(groups, k)
    g.model.flat[j].copy_(saved["flat"])
    buffers = dict(g.model.named_buffers())
    for name, value in saved.items():
        if name != "flat":
            buffers[name][j].copy_(value)
