"""Optimizer comparison on MNIST (book figure 6-9), its curves while it trains, and the facts
of its lesson."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import data
from core.live import Board
from core.nets import NetSpec
from core.optimizers import OptimizerSpec
from core.spec import Progress, Result, Spec, Stop
from core.train import Run, Variant, evaluate, fit, result, unique

LIVE_POINTS = 50  # evaluations of the live curves over a run
LIVE_SAMPLE = 1000  # training images the live curves measure the loss on: cheap next to training
LIVE = Board()  # the sample loss of races in progress

BOOK_OPTIMIZERS = (
    OptimizerSpec.of("sgd", lr=0.01, book=True),
    OptimizerSpec.of("momentum", lr=0.01, book=True),
    OptimizerSpec.of("adagrad", lr=0.01, book=True),
    OptimizerSpec.of("adam", lr=0.001, book=True),
)


@dataclass(frozen=True)
class OptimizerComparison(Spec):
    """Several optimizers train the same network from the same initial weights on the same
    mini-batches; only the update rule differs."""

    kind = "optimizers-mnist"
    dataset: str = "mnist"
    hidden: tuple[int, ...] = (100, 100, 100, 100)
    activation: str = "relu"
    init: str = "he_normal"
    optimizers: tuple[OptimizerSpec, ...] = BOOK_OPTIMIZERS
    batch_size: int = 128
    iterations: int = 2000
    n_train: int = 0  # 0: all 60,000 training images
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.optimizers, list | tuple) and self.optimizers and isinstance(self.optimizers[0], dict):
            object.__setattr__(self, "optimizers", tuple(_opt_from_dict(o) for o in self.optimizers))
        if not self.optimizers:
            raise ValueError("choose at least one optimizer")
        if self.iterations < 1 or self.batch_size < 1:
            raise ValueError("iterations and batch size must be at least 1")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        self.net()  # validates sizes, activation and init

    def net(self) -> NetSpec:
        return NetSpec((784, *self.hidden, 10), self.activation, self.init)

    def variants(self) -> list[Variant]:
        """One per optimizer, keyed by its method and rate (id: the method, numbered if repeated)."""
        ids = unique([o.method for o in self.optimizers])
        return [
            Variant(i, self.net(), o, keys={"method": o.method, "lr": o.hp["lr"]}) for i, o in zip(ids, self.optimizers)
        ]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        """Train every optimizer; every `iterations / LIVE_POINTS` steps the loss on a fixed
        sample of training images is published for `live_loss` (until the result is ready), and
        the test set is measured once, at the end (as often as before)."""
        with LIVE.running(self.key()):
            return result(self._tested(self._train(progress, stop)))

    def _train(self, progress: Progress | None, stop: Stop | None) -> Run:
        variants = self.variants()
        sample = data.subset(min(LIVE_SAMPLE, self.n_train or LIVE_SAMPLE), self.dataset, "train", self.seed)
        r = fit(
            variants,
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            n_test=None,
            batch_size=self.batch_size,
            steps=self.iterations,
            eval_every=max(1, self.iterations // LIVE_POINTS),
            eval_sets={"sample": sample},
            on_eval=lambda step, metrics, groups: _publish(self.key(), variants, step, metrics),
            progress=progress,
            stop=stop,
        )
        r.curves = r.curves[~r.curves["metric"].str.startswith("sample_")].reset_index(drop=True)
        r.summary = r.summary.drop(columns=["sample_loss", "sample_acc"], errors="ignore")
        return r

    def _tested(self, r: Run) -> Run:
        """`r` with each variant's test loss and accuracy (NaN where it diverged) in its summary
        and, as `train` records an evaluation, in its curves at the last step trained."""
        summary = r.summary
        x, y = data.load(self.dataset, "test")
        for g in r.groups:
            dev = g.model.flat.device
            loss, acc = evaluate(g.model, x.to(dev, torch.float32), y.to(dev))
            for j, k in enumerate(g.indices):
                live = pd.isna(summary.loc[k, "diverged_at"])
                summary.loc[k, "test_loss"] = float(loss[j]) if live else np.nan
                summary.loc[k, "test_acc"] = float(acc[j]) if live else np.nan
        r.curves = pd.concat([r.curves, _test_rows(r.curves, summary)], ignore_index=True)
        return r

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"book": cls(), "quick": cls(iterations=300)}

    def summary(self, result: Result) -> dict:
        s = result.frames["summary"]
        return {
            row.variant: {
                "final_smoothed_loss": row.final_loss,
                "test_accuracy": row.test_acc,
                "seconds": row.seconds,
                "diverged_at": None if pd.isna(row.diverged_at) else int(row.diverged_at),
            }
            for row in s.itertuples()
        }


def _opt_from_dict(d: dict) -> OptimizerSpec:
    return OptimizerSpec.from_dict(d)


def _test_rows(curves: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The test-set evaluation as curve rows at the last step trained (as `train` records one)."""
    last = curves[curves["metric"] == "loss"][["step", "epoch"]].max()
    rows = summary.melt(id_vars=["variant"], value_vars=["test_loss", "test_acc"], var_name="metric").dropna()
    if rows.empty:  # every variant diverged: nothing was tested
        return curves.iloc[:0]
    keys = summary.drop(columns=[c for c in summary if c not in curves or c in ("step", "value")])
    return rows.assign(step=int(last["step"]), epoch=float(last["epoch"])).merge(keys, on="variant")[
        list(curves.columns)
    ]


def _publish(key: str, variants: list[Variant], step: int, metrics: dict[str, np.ndarray]) -> list[int]:
    """`on_eval` of the run: one live row per variant still training (none diverged)."""
    rows = [
        {"variant": v.name, "step": step, "value": float(loss), **v.keys}
        for v, loss in zip(variants, metrics["sample_loss"])
        if np.isfinite(loss)
    ]
    LIVE.add(key, rows)
    return []


def live_loss(spec: OptimizerComparison) -> pd.DataFrame:
    """The sample loss of a run still in progress so far: variant, step, value and the key
    columns (empty when none is running)."""
    return pd.DataFrame(LIVE.rows(spec.key()), columns=["variant", "step", "value", "method", "lr"])


LOWER = 0.9  # a method whose smoothed loss is below this share of SGD's has clearly beaten it


@dataclass(frozen=True)
class RaceOutcome:
    """The facts of the MNIST race's lesson, from its summary: the variants that finished, lowest
    final smoothed loss first, with their losses and test accuracies; those that diverged (id ->
    step); and the book's expectation that plain SGD is the slowest: `sgd_slowest` True or False,
    None where SGD is absent or alone. `beaten` are the variants below `LOWER` x SGD's loss."""

    order: tuple[str, ...]
    losses: dict[str, float]
    accuracy: dict[str, float]
    diverged: dict[str, int]
    sgd: str | None
    sgd_slowest: bool | None
    beaten: tuple[str, ...]


def outcome(summary: pd.DataFrame) -> RaceOutcome:
    """The facts of a finished (or stopped) race from its summary frame."""
    s = summary.set_index("variant")
    done = s[s["diverged_at"].isna() & s["final_loss"].notna()].sort_values("final_loss")
    acc = done["test_acc"] if "test_acc" in done else pd.Series(np.nan, index=done.index)
    sgd = next((v for v in done.index if s.loc[v, "method"] == "sgd"), None)
    slowest, beaten = None, ()
    if sgd is not None and len(done) > 1:
        slowest = done.index[-1] == sgd
        beaten = tuple(v for v in done.index if done.loc[v, "final_loss"] < LOWER * done.loc[sgd, "final_loss"])
    return RaceOutcome(
        order=tuple(done.index),
        losses={v: float(x) for v, x in done["final_loss"].items()},
        accuracy={v: float(x) for v, x in acc.items()},
        diverged={v: int(s.loc[v, "diverged_at"]) for v in s.index if pd.notna(s.loc[v, "diverged_at"])},
        sgd=sgd,
        sgd_slowest=slowest,
        beaten=beaten,
    )
