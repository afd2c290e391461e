"""Optimizer comparison on MNIST (book figure 6-9)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import data
from core.nets import NetSpec
from core.optimizers import OptimizerSpec
from core.spec import Progress, Result, Spec, Stop
from core.train import Variant, fit, result, unique

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
        r = fit(
            self.variants(),
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            batch_size=self.batch_size,
            steps=self.iterations,
            progress=progress,
            stop=stop,
        )
        return result(r)

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
