"""The learning rate on MNIST: a sweep over fixed rates, the learning-rate finder (one short
run with an exponentially growing rate), and decay schedules side by side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import schedules
from core.landscapes import LR_GRID
from core.nets import NetSpec
from core.optimizers import METHODS, OptimizerSpec
from core.spec import Progress, Result, Spec, Stop
from core.train import Run, Variant, fit, result

SWEEP_LRS = (0.0001, 0.001, 0.01, 0.1, 1.0, 10.0)  # the rates a sweep offers, a decade apart
FINDER_STARTS = (1e-5, *(lr for lr in LR_GRID if lr <= 1.0))  # where a finder's sweep may start
FINDER_ENDS = tuple(lr for lr in LR_GRID if lr >= 1e-3)  # and where it may end
BLOWUP = 4.0  # the finder's curve ends where its smoothed loss exceeds this many times its minimum


@dataclass(frozen=True)
class MnistRun(Spec):
    """What every learning-rate experiment shares: a small MNIST subset and an MLP."""

    optimizer: str = "sgd"
    hidden: tuple[int, ...] = (100, 100)
    activation: str = "relu"
    init: str = "he_normal"
    batch_size: int = 100
    iterations: int = 300
    n_train: int = 2000
    seed: int = 0

    def __post_init__(self):
        if self.optimizer not in METHODS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(METHODS)}")
        if self.iterations < 1 or self.batch_size < 1:
            raise ValueError("iterations and batch size must be at least 1")
        if self.n_train < 0:
            raise ValueError("the number of training images cannot be negative")
        self.net()

    def net(self) -> NetSpec:
        return NetSpec((784, *self.hidden, 10), self.activation, self.init)

    def opt(self, lr: float) -> OptimizerSpec:
        return OptimizerSpec.of(self.optimizer, lr=lr)

    def train(
        self, variants: list[Variant], progress: Progress | None, stop: Stop | None, n_test: int | None = None, **kw
    ) -> Run:
        """`variants` on the subset, evaluated on the whole test set (`n_test=0`) or not at all
        (None); `kw` go to `core.train.train`."""
        return fit(
            variants,
            dataset="mnist",
            n_train=self.n_train,
            seed=self.seed,
            n_test=n_test,
            batch_size=self.batch_size,
            steps=self.iterations,
            progress=progress,
            stop=stop,
            **kw,
        )


def summary_rows(result: Result) -> dict:
    return {
        row.variant: {
            "final_smoothed_loss": row.final_loss,
            "test_accuracy": getattr(row, "test_acc", None),
            "diverged_at": None if pd.isna(row.diverged_at) else int(row.diverged_at),
        }
        for row in result.frames["summary"].itertuples()
    }


@dataclass(frozen=True)
class LRSweep(MnistRun):
    """The same network trained at several fixed learning rates, in lockstep from the same
    initial weights: too small crawls, too large diverges, in between learns."""

    kind = "lr-sweep"
    lrs: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0)

    def __post_init__(self):
        super().__post_init__()
        if not self.lrs:
            raise ValueError("choose at least one learning rate")
        if len(set(self.lrs)) != len(self.lrs):
            raise ValueError("each learning rate may appear only once")
        for lr in self.lrs:
            self.opt(lr)  # validates the range

    def variants(self) -> list[Variant]:
        """One per rate, keyed by it (id: `lr=<rate>`)."""
        return [Variant(f"lr={lr:g}", self.net(), self.opt(lr), keys={"lr": lr}) for lr in self.lrs]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        return result(self.train(self.variants(), progress, stop, n_test=0))

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"lecture": cls(), "quick": cls(iterations=100, n_train=1000)}

    def summary(self, result: Result) -> dict:
        return summary_rows(result)


def finder_suggestion(lr: np.ndarray, loss: np.ndarray, beta: float = 0.9, blowup: float = BLOWUP) -> dict:
    """Read a learning-rate finder's curve: smooth the loss (bias-corrected moving average),
    cut it where it exceeds `blowup` times its minimum, and suggest the rate where it falls
    fastest per decade of rate, and a tenth of the rate at its minimum (a common rule of
    thumb). Returns the smoothed curve and where it was cut, too."""
    loss = np.asarray(loss, dtype=np.float64)
    avg, smoothed = 0.0, np.full(len(loss), np.nan)
    for i, v in enumerate(loss):
        if not np.isfinite(v):
            break
        avg = beta * avg + (1 - beta) * v
        smoothed[i] = avg / (1 - beta ** (i + 1))
    ok = np.isfinite(smoothed)
    if ok.sum() < 3:
        return {"smoothed": smoothed.tolist(), "steepest": None, "min_over_10": None, "cut": int(ok.sum())}
    best = int(np.nanargmin(smoothed))
    over = np.where(ok & (np.arange(len(loss)) > best) & (smoothed > blowup * smoothed[best]))[0]
    cut = int(over[0]) if len(over) else int(ok.sum())
    slope = np.gradient(smoothed[: best + 1], np.log10(lr[: best + 1])) if best >= 2 else np.array([0.0])
    steepest = float(lr[int(np.argmin(slope))]) if best >= 2 else None
    return {"smoothed": smoothed.tolist(), "steepest": steepest, "min_over_10": float(lr[best]) / 10, "cut": cut}


@dataclass(frozen=True)
class LRFinder(MnistRun):
    """One short run whose rate grows exponentially from `lr_min` to `lr_max`: the loss first
    hardly moves, then falls, then blows up. Good rates sit on the falling stretch."""

    kind = "lr-finder"
    lr_min: float = 1e-5
    lr_max: float = 10.0
    iterations: int = 200
    batch_size: int = 64
    n_train: int = 5000

    def __post_init__(self):
        super().__post_init__()
        if not self.lr_min < self.lr_max:
            raise ValueError("the sweep must start below where it ends (lr_min < lr_max)")
        self.opt(self.lr_min), self.opt(self.lr_max)
        if self.iterations < 10:
            raise ValueError("the finder needs at least 10 iterations")

    def schedule(self) -> schedules.ExponentialRange:
        return schedules.ExponentialRange(self.lr_max / self.lr_min)

    def rates(self) -> np.ndarray:
        return self.lr_min * schedules.curve(self.schedule(), self.iterations)

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        v = Variant("finder", self.net(), self.opt(self.lr_min), schedule=self.schedule(), keys={"schedule": "finder"})
        r = self.train([v], progress, stop)
        loss = r.curves[r.curves.metric == "loss"][["step", "value"]].rename(columns={"value": "loss"})
        frame = pd.DataFrame({"step": np.arange(1, self.iterations + 1), "lr": self.rates()})
        frame = frame.merge(loss, on="step", how="left")
        found = finder_suggestion(frame["lr"].to_numpy(), frame["loss"].to_numpy())
        frame["smoothed"] = found.pop("smoothed")
        return Result({"curve": frame}, extras=found, complete=not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"sgd": cls(), "adam": cls(optimizer="adam", lr_min=1e-5, lr_max=1.0)}

    def summary(self, result: Result) -> dict:
        return dict(result.extras)


@dataclass(frozen=True)
class ScheduleComparison(MnistRun):
    """Decay schedules from the same base rate, each tuned to end at `final` times it, in
    lockstep from the same initial weights."""

    kind = "lr-schedules"
    lr: float = 0.5
    names: tuple[str, ...] = ("constant", "step", "exponential", "inverse_time", "cosine", "warmup")
    final: float = 0.1
    warmup: int = 0  # warm-up steps; 0: a tenth of the run
    iterations: int = 400
    n_train: int = 5000

    def __post_init__(self):
        super().__post_init__()
        if not self.names:
            raise ValueError("choose at least one schedule")
        self.opt(self.lr)
        for name in self.names:
            schedules.decaying(name, self.iterations, self.final, self.warmup)

    def schedule(self, name: str):
        return schedules.decaying(name, self.iterations, self.final, self.warmup)

    def variants(self) -> list[Variant]:
        """One per schedule, keyed by its name (also the id)."""
        net, opt = self.net(), self.opt(self.lr)
        return [Variant(n, net, opt, schedule=self.schedule(n), keys={"schedule": n}) for n in self.names]

    def rates(self) -> pd.DataFrame:
        """The rate each schedule gives at every step (variant, schedule, step, lr): known before
        training, so a page can draw it at once."""
        steps = np.arange(1, self.iterations + 1)
        return pd.concat(
            [
                pd.DataFrame(
                    {
                        "variant": n,
                        "schedule": n,
                        "step": steps,
                        "lr": self.lr * schedules.curve(self.schedule(n), len(steps)),
                    }
                )
                for n in self.names
            ],
            ignore_index=True,
        )

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        return result(self.train(self.variants(), progress, stop, n_test=0))

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"default": cls(), "quick": cls(iterations=150, n_train=2000)}

    def summary(self, result: Result) -> dict:
        return summary_rows(result)


FINDER_MARKS = ("steepest", "min_over_10")  # the finder's suggestions, in the order a page shows them


def finder_view(result: Result) -> tuple[pd.DataFrame, float | None]:
    """What of a finder's curve is worth drawing: the rows up to its cut (at least three), and
    the rate where the cut fell (None when the whole sweep stayed below the blow-up)."""
    curve = result.frames["curve"]
    shown = curve.iloc[: max(int(result.extras.get("cut") or len(curve)), 3)]
    cut_at = float(curve["lr"].iloc[len(shown)]) if len(curve) > len(shown) else None
    return shown, cut_at


def finder_marks(result: Result) -> dict[str, float]:
    """The finder's suggested rates that it could make, by name (`FINDER_MARKS`)."""
    return {name: float(result.extras[name]) for name in FINDER_MARKS if result.extras.get(name)}
