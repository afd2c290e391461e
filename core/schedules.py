"""Learning-rate schedules: the factor a variant's base rate is multiplied by at step t.

Each schedule is a small frozen dataclass with `factor(step, total)` (the `core.train.Schedule`
protocol, step counted from 1), so a spec can hold it and its key stays stable. Step t uses the
rate PyTorch's matching `lr_scheduler` gives after t - 1 calls of `scheduler.step()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Constant:
    """No schedule: the base rate at every step."""

    def factor(self, step: int, total: int) -> float:
        return 1.0


@dataclass(frozen=True)
class StepDecay:
    """Multiply the rate by `gamma` every `step_size` steps (torch StepLR)."""

    step_size: int = 100
    gamma: float = 0.5

    def __post_init__(self):
        if self.step_size < 1:
            raise ValueError("the step size of step decay must be at least 1")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError("the decay factor gamma must be in (0, 1]")

    def factor(self, step: int, total: int) -> float:
        return self.gamma ** ((step - 1) // self.step_size)


@dataclass(frozen=True)
class Exponential:
    """Multiply the rate by `gamma` after every step (torch ExponentialLR)."""

    gamma: float = 0.99

    def __post_init__(self):
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError("the decay factor gamma must be in (0, 1]")

    def factor(self, step: int, total: int) -> float:
        return self.gamma ** (step - 1)


@dataclass(frozen=True)
class InverseTime:
    """Keras' `decay`: lr / (1 + decay * t), the same as `core.optimizers`' built-in decay."""

    decay: float = 0.01

    def __post_init__(self):
        if self.decay < 0:
            raise ValueError("the decay cannot be negative")

    def factor(self, step: int, total: int) -> float:
        return 1.0 / (1.0 + self.decay * (step - 1))


@dataclass(frozen=True)
class Cosine:
    """Half a cosine from the base rate down to `min_factor` times it over the whole run
    (torch CosineAnnealingLR with T_max = total steps)."""

    min_factor: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.min_factor <= 1.0:
            raise ValueError("the final factor of the cosine schedule must be in [0, 1]")

    def factor(self, step: int, total: int) -> float:
        return self.min_factor + (1.0 - self.min_factor) * (1.0 + math.cos(math.pi * (step - 1) / total)) / 2.0


@dataclass(frozen=True)
class Warmup:
    """Grow the rate linearly from `start_factor` times the base to the base over `steps`
    steps, then keep it (torch LinearLR): large early steps from random weights can blow up."""

    steps: int = 100
    start_factor: float = 0.1

    def __post_init__(self):
        if self.steps < 1:
            raise ValueError("the warm-up needs at least 1 step")
        if not 0.0 < self.start_factor <= 1.0:
            raise ValueError("the warm-up start factor must be in (0, 1]")

    def factor(self, step: int, total: int) -> float:
        return self.start_factor + (1.0 - self.start_factor) * min(step - 1, self.steps) / self.steps


@dataclass(frozen=True)
class ExponentialRange:
    """The learning-rate finder's sweep: from the base rate up to `ratio` times it, growing by
    the same factor every step, so the rates are evenly spaced on a log axis."""

    ratio: float = 1e5

    def __post_init__(self):
        if self.ratio < 1.0:
            raise ValueError("the range of the learning-rate sweep must grow (ratio >= 1)")

    def factor(self, step: int, total: int) -> float:
        return self.ratio ** ((step - 1) / max(total - 1, 1))


SCHEDULES = {
    "constant": Constant,
    "step": StepDecay,
    "exponential": Exponential,
    "inverse_time": InverseTime,
    "cosine": Cosine,
    "warmup": Warmup,
}


def decaying(name: str, total: int, final: float = 0.1, warmup: int = 0):
    """The schedule `name` tuned so that a run of `total` steps ends at `final` times the base
    rate (three drops for step decay); `warmup` steps for the warm-up. One knob makes the
    schedules comparable side by side."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    if total < 1:
        raise ValueError("a run needs at least 1 step")
    if not 0.0 < final <= 1.0:
        raise ValueError("the final factor must be in (0, 1]")
    if name == "step":
        return StepDecay(max(1, math.ceil(total / 4)), final ** (1 / 3))
    if name == "exponential":
        return Exponential(final ** (1 / max(total - 1, 1)))
    if name == "inverse_time":
        return InverseTime((1 / final - 1) / max(total - 1, 1))
    if name == "cosine":
        return Cosine(final)
    if name == "warmup":
        return Warmup(max(1, warmup or total // 10))
    return Constant()


def curve(schedule, total: int) -> np.ndarray:
    """The factor at steps 1..total."""
    return np.array([schedule.factor(t, total) for t in range(1, total + 1)])
