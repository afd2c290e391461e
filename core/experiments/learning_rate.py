"""The learning rate on MNIST: a sweep over fixed rates, the learning-rate finder (one short
run with an exponentially growing rate), and decay schedules side by side."""

from __future__ import annotations

import math
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
CHANCE_LOSS = math.log(10)  # the cross-entropy of a uniform guess over MNIST's ten classes
LEARNED = 0.75  # a variant learned when its final smoothed loss is below this share of CHANCE_LOSS
TIE = 0.02  # final losses within this relative difference count as a tie


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
class Outcome:
    """How one variant of a run ended: its final smoothed loss (None when it has none), the step
    it diverged at, and whether it learned (`LEARNED`)."""

    variant: str
    final_loss: float | None
    diverged_at: int | None
    learned: bool


def outcomes(summary: pd.DataFrame) -> dict[str, Outcome]:
    """Each variant's outcome, by id, in the summary's order."""
    out = {}
    for row in summary.itertuples():
        loss = None if pd.isna(row.final_loss) else float(row.final_loss)
        diverged = None if pd.isna(row.diverged_at) else int(row.diverged_at)
        learned = diverged is None and loss is not None and loss < LEARNED * CHANCE_LOSS
        out[row.variant] = Outcome(row.variant, loss, diverged, learned)
    return out


def best_of(found: dict[str, Outcome]) -> Outcome | None:
    """The variant that learned with the lowest final loss, or None when none learned."""
    learned = [o for o in found.values() if o.learned]
    return min(learned, key=lambda o: o.final_loss) if learned else None


@dataclass(frozen=True)
class SweepFacts:
    """What a sweep of fixed rates shows. `case`: "valley" (the best rate lies inside the range
    tried, as the textbook expects), "edge_high" / "edge_low" (the largest / smallest rate tried
    did best: the valley lies beyond), "single" (one rate: nothing to compare), "none" (no rate
    learned)."""

    case: str
    best: float | None
    best_loss: float | None
    best_acc: float | None
    crawled: tuple[float, ...]  # rates that neither learned nor diverged, below the best (all when none learned)
    unstable: tuple[float, ...]  # rates above the best that neither learned nor diverged
    diverged: tuple[tuple[float, int], ...]  # (rate, step) of those that diverged


def sweep_facts(result: Result) -> SweepFacts:
    summary = result.frames["summary"]
    found = outcomes(summary)
    rate = dict(zip(summary["variant"], summary["lr"].astype(float)))
    best = best_of(found)
    acc = summary.set_index("variant")["test_acc"] if "test_acc" in summary else None
    stalled = [rate[v] for v, o in found.items() if not o.learned and o.diverged_at is None]
    above = math.inf if best is None else rate[best.variant]
    crawled = tuple(lr for lr in stalled if lr < above)
    unstable = tuple(lr for lr in stalled if lr > above)
    diverged = tuple((rate[v], o.diverged_at) for v, o in found.items() if o.diverged_at is not None)
    if best is None:
        case = "none"
    elif len(rate) == 1:
        case = "single"
    elif rate[best.variant] == max(rate.values()):
        case = "edge_high"
    elif rate[best.variant] == min(rate.values()):
        case = "edge_low"
    else:
        case = "valley"
    return SweepFacts(
        case,
        None if best is None else rate[best.variant],
        None if best is None else best.final_loss,
        None if best is None or acc is None or pd.isna(acc[best.variant]) else float(acc[best.variant]),
        crawled,
        unstable,
        diverged,
    )


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


@dataclass(frozen=True)
class ScheduleFacts:
    """What a comparison of schedules shows. `case`: "constant_best" (the constant rate ended
    lowest: usual in a short run), "tie" (another schedule ended lowest, but within `TIE` of the
    constant), "decay_best" (a changing rate beat the constant by more than `TIE`, as the textbook
    expects), "constant_failed" (the constant rate did not learn, another did), "no_constant" (no
    constant rate to compare with), "none" (no schedule learned)."""

    case: str
    best: str | None  # the schedule that learned with the lowest final loss
    best_loss: float | None
    constant_loss: float | None  # the constant rate's final loss, where it learned


def schedule_facts(result: Result) -> ScheduleFacts:
    found = outcomes(result.frames["summary"])
    best = best_of(found)
    constant = found.get("constant")
    constant_loss = constant.final_loss if constant is not None and constant.learned else None
    if best is None:
        case = "none"
    elif constant is None:
        case = "no_constant"
    elif constant_loss is None:
        case = "constant_failed"
    elif best.variant == "constant":
        case = "constant_best"
    elif best.final_loss >= constant_loss * (1 - TIE):
        case = "tie"
    else:
        case = "decay_best"
    return ScheduleFacts(case, best and best.variant, best and best.final_loss, constant_loss)


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


@dataclass(frozen=True)
class FinderFacts:
    """What a finder's run suggests. `case`: "suggested" (the loss fell, then blew up from
    `blew_up_at`), "no_blowup" (it fell but never blew up: the end rate could go higher),
    "no_fall" (the loss did not fall before its minimum, so there is no steepest stretch)."""

    case: str
    steepest: float | None
    min_over_10: float | None
    blew_up_at: float | None


def finder_facts(result: Result) -> FinderFacts:
    _, cut_at = finder_view(result)
    marks = finder_marks(result)
    if "steepest" not in marks:  # the minimum came within the first steps: no fall to read
        case = "no_fall"
    else:
        case = "suggested" if cut_at is not None else "no_blowup"
    return FinderFacts(case, marks.get("steepest"), marks.get("min_over_10"), cut_at)
