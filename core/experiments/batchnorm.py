"""Batch normalization experiments: the book's init-scale grid (figures 6-18, 6-19), BN against
learning rate, activation and placement, and what tiny batches do at inference."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import data, device
from core.batchnorm import accuracy_by_batch, histograms, preactivations
from core.nets import NetSpec
from core.optimizers import OptimizerSpec
from core.spec import Progress, Result, Spec, Stop
from core.train import Group, Variant, evaluate, make_groups, train

BOOK_SCALES = tuple(float(s) for s in np.logspace(0, -4, 16))
PLACEMENTS = ("none", "before", "after")
PLACEMENT_NAMES = {"none": "no BN", "before": "BN before activation", "after": "BN after activation"}


def _check_training(n_train: int, batch_size: int, epochs: int, lrs: tuple[float, ...]) -> None:
    if n_train < 2:
        raise ValueError("use at least 2 training images")
    if batch_size < 1 or epochs < 1:
        raise ValueError("batch size and epochs must be at least 1")
    if not lrs:
        raise ValueError("choose at least one learning rate")
    if min(lrs) <= 0:
        raise ValueError("learning rates must be positive")


def _initial(variants: list[Variant], seed: int, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """Training accuracy of every variant before its first step (the epoch-0 point): the same
    weights `train` starts from, since both draw them from the run's seed."""
    out = [math.nan] * len(variants)
    for g in make_groups(variants, seed, x.device):
        _, acc = evaluate(g.model, x, y)
        for k, a in zip(g.indices, acc):
            out[k] = float(a)
    return out


def _epochs(curves: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of one evaluation metric with the epoch as a whole number."""
    df = curves[curves.metric == metric].copy()
    df["epoch"] = df["epoch"].round().astype(int)
    return df


@dataclass(frozen=True)
class BatchNormGrid(Spec):
    """Book figures 6-18/6-19: the same ReLU net with and without BN for each initial weight
    standard deviation in `scales`, all trained in lockstep on the same mini-batches; training
    accuracy after every epoch."""

    kind = "batchnorm-grid"
    scales: tuple[float, ...] = BOOK_SCALES
    n_train: int = 1000
    batch_size: int = 100
    epochs: int = 20
    lr: float = 0.01
    hidden: tuple[int, ...] = (100, 100, 100, 100, 100)
    activation: str = "relu"
    dataset: str = "mnist"
    seed: int = 0

    def __post_init__(self):
        if not self.scales or min(self.scales) <= 0:
            raise ValueError("choose at least one initial weight scale, all positive")
        if len({self.label(s) for s in self.scales}) != len(self.scales):
            raise ValueError("the initial weight scales must differ")
        _check_training(self.n_train, self.batch_size, self.epochs, (self.lr,))
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        self.net(self.scales[0], True)  # validates sizes and activation

    @staticmethod
    def label(scale: float) -> str:
        return f"{scale:.3g}"

    def net(self, scale: float, batchnorm: bool) -> NetSpec:
        return NetSpec((784, *self.hidden, 10), self.activation, "normal", init_std=scale, batchnorm=batchnorm)

    def cells(self) -> list[tuple[float, bool]]:
        """(scale, batch norm) of every network, in training order."""
        return [(s, bn) for bn in (True, False) for s in self.scales]

    def variants(self) -> list[Variant]:
        opt = OptimizerSpec.of("sgd", lr=self.lr)
        return [Variant(f"{'BN' if bn else 'no BN'} · {self.label(s)}", self.net(s, bn), opt) for s, bn in self.cells()]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        x, y = data.subset(self.n_train, self.dataset, "train", self.seed)
        x, y = x.to(device.current()), y.to(device.current())
        per_epoch = math.ceil(len(x) / min(self.batch_size, len(x)))
        variants = self.variants()
        start = _initial(variants, self.seed, x, y)
        r = train(
            variants,
            x,
            y,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            seed=self.seed,
            eval_every=per_epoch,
            eval_sets={"train": (x, y)},
            progress=progress,
            stop=stop,
        )
        cell = {v.name: c for v, c in zip(variants, self.cells())}
        acc = _epochs(r.curves, "train_acc")
        first = pd.DataFrame({"variant": [v.name for v in variants], "epoch": 0, "value": start})
        acc = pd.concat([first, acc[["variant", "epoch", "value"]]], ignore_index=True)
        acc["scale"] = [cell[v][0] for v in acc["variant"]]
        acc["batchnorm"] = [cell[v][1] for v in acc["variant"]]
        summary = pd.DataFrame(
            {
                "scale": [c[0] for c in self.cells()],
                "batchnorm": [c[1] for c in self.cells()],
                "final_acc": [
                    np.nan if pd.notna(d) else a for a, d in zip(r.summary["train_acc"], r.summary["diverged_at"])
                ],
                "diverged_epoch": [d / per_epoch if pd.notna(d) else np.nan for d in r.summary["diverged_at"]],
            }
        )
        frames = {"accuracy": acc.rename(columns={"value": "train_acc"}).drop(columns="variant"), "summary": summary}
        return Result(frames, {"seconds": float(r.summary["seconds"].sum())}, complete=not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"book": cls(), "quick": cls(scales=BOOK_SCALES[::5], epochs=5)}

    def summary(self, result: Result) -> dict:
        s = result.frames["summary"]
        out = {}
        for scale in self.scales:
            row = {}
            for bn, name in ((True, "with_bn"), (False, "without_bn")):
                r = s[(s.scale == scale) & (s.batchnorm == bn)].iloc[0]
                row[f"{name}_train_acc"] = None if pd.isna(r.final_acc) else round(float(r.final_acc), 4)
                if pd.notna(r.diverged_epoch):
                    row[f"{name}_diverged_at_epoch"] = round(float(r.diverged_epoch), 2)
            out[self.label(scale)] = row
        return out


@dataclass(frozen=True)
class BatchNormComparison(Spec):
    """One network with BN in each of `placements` ('none', 'before' or 'after' the activation)
    and each learning rate, trained in lockstep with plain SGD. Records training and test
    accuracy per epoch and, on a fixed probe batch, the distribution of every hidden layer's
    pre-activations (what the activation function sees) after every epoch."""

    kind = "batchnorm-compare"
    placements: tuple[str, ...] = ("none", "before")
    lrs: tuple[float, ...] = (0.01, 0.1, 1.0)
    hidden: tuple[int, ...] = (100, 100, 100, 100, 100)
    activation: str = "relu"
    init: str = "he_normal"
    init_std: float = 0.01
    n_train: int = 1000
    n_test: int = 1000
    batch_size: int = 100
    epochs: int = 20
    bins: int = 30
    probe: int = 100
    dataset: str = "mnist"
    seed: int = 0

    def __post_init__(self):
        if not self.placements or any(p not in PLACEMENTS for p in self.placements):
            raise ValueError(f"placements must be among {', '.join(PLACEMENTS)}")
        if len(set(self.placements)) != len(self.placements) or len(set(self.lrs)) != len(self.lrs):
            raise ValueError("each placement and learning rate may appear only once")
        _check_training(self.n_train, self.batch_size, self.epochs, self.lrs)
        if self.bins < 2 or self.probe < 2:
            raise ValueError("use at least 2 bins and 2 probe images")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        self.net("before")  # validates sizes, activation and init

    def net(self, placement: str) -> NetSpec:
        return NetSpec(
            (784, *self.hidden, 10),
            self.activation,
            self.init,
            init_std=self.init_std,
            batchnorm=placement != "none",
            bn_after_activation=placement == "after",
        )

    def cells(self) -> list[tuple[str, float]]:
        return [(p, lr) for p in self.placements for lr in self.lrs]

    def name(self, placement: str, lr: float) -> str:
        return PLACEMENT_NAMES[placement] + (f", lr {lr:g}" if len(self.lrs) > 1 else "")

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        split = data.make_split(self.n_train, 0.0, self.n_test, self.dataset, self.seed)
        dev = device.current()
        x, y = split.x_train.to(dev), split.y_train.to(dev)
        probe = x[: self.probe]
        per_epoch = math.ceil(len(x) / min(self.batch_size, len(x)))
        variants = [Variant(self.name(p, lr), self.net(p), OptimizerSpec.of("sgd", lr=lr)) for p, lr in self.cells()]
        snaps: dict[tuple[int, int], list[np.ndarray]] = {}  # (variant, layer) -> one array per epoch

        def snapshot(groups: list[Group], epoch: int, live: np.ndarray) -> None:
            for g in groups:
                zs = preactivations(g.model, probe)
                for j, k in enumerate(g.indices):
                    if live[k]:
                        for layer, z in enumerate(zs):
                            snaps.setdefault((k, layer), []).append((epoch, z[j].cpu().numpy()))

        snapshot(make_groups(variants, self.seed, dev), 0, np.ones(len(variants), bool))

        def on_eval(step: int, metrics: dict, groups: list[Group]) -> None:
            snapshot(groups, round(step / per_epoch), np.isfinite(metrics["train_loss"]))

        r = train(
            variants,
            x,
            y,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            seed=self.seed,
            eval_every=per_epoch,
            eval_sets={"train": (x, y), "test": (split.x_test, split.y_test)},
            on_eval=on_eval,
            progress=progress,
            stop=stop,
        )
        cell = {v.name: c for v, c in zip(variants, self.cells())}
        acc = pd.concat([_epochs(r.curves, "train_acc"), _epochs(r.curves, "test_acc")], ignore_index=True)
        acc["placement"] = [cell[v][0] for v in acc["variant"]]
        acc["lr"] = [cell[v][1] for v in acc["variant"]]
        loss = r.curves[r.curves.metric == "loss"][["variant", "step", "epoch", "value"]]
        hist, stats = self._distributions(variants, snaps)
        summary = r.summary.assign(placement=[c[0] for c in self.cells()], lr=[c[1] for c in self.cells()])
        frames = {"accuracy": acc, "loss": loss, "histograms": hist, "layer_stats": stats, "summary": summary}
        return Result(frames, complete=not r.stopped)

    def _distributions(self, variants, snaps) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Histogram rows (variant, layer, epoch, lo, hi, fraction) on edges shared by the
        epochs of one layer, and the mean / std / 1st-99th percentile of each snapshot."""
        hist, stats = [], []
        for (k, layer), taken in sorted(snaps.items()):
            epochs = [e for e, _ in taken]
            edges, counts = histograms([v for _, v in taken], self.bins)
            for epoch, (_, v), c in zip(epochs, taken, counts):
                base = {"variant": variants[k].name, "layer": layer + 1, "epoch": epoch}
                hist.append(pd.DataFrame({**base, "lo": edges[:-1], "hi": edges[1:], "fraction": c}))
                ok = v[np.isfinite(v)]
                p1, p99 = np.percentile(ok, [1, 99]) if len(ok) else (np.nan, np.nan)
                stats.append(
                    {
                        **base,
                        "mean": ok.mean() if len(ok) else np.nan,
                        "std": ok.std() if len(ok) else np.nan,
                        "p1": p1,
                        "p99": p99,
                    }
                )
        return pd.concat(hist, ignore_index=True), pd.DataFrame(stats)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {
            "learning_rates": cls(),
            "deep_sigmoid": cls(activation="sigmoid", init="xavier", hidden=(100,) * 10, lrs=(0.1,), epochs=20),
            "placement": cls(placements=PLACEMENTS, lrs=(0.1,), activation="relu"),
        }

    def summary(self, result: Result) -> dict:
        s = result.frames["summary"]
        out = {}
        for row in s.itertuples():
            if pd.notna(row.diverged_at):
                out[row.variant] = {"diverged_at_step": int(row.diverged_at)}
            else:
                out[row.variant] = {
                    "train_acc": round(float(row.train_acc), 4),
                    "test_acc": round(float(row.test_acc), 4),
                }
        return out


@dataclass(frozen=True)
class BatchNormInference(Spec):
    """A small BN net is trained, then asked to predict the test images in chunks of each size in
    `eval_batches`, once with each chunk's own batch statistics (training mode) and once with
    the running statistics (evaluation mode)."""

    kind = "batchnorm-inference"
    hidden: tuple[int, ...] = (100, 100)
    n_train: int = 2000
    n_test: int = 1000
    batch_size: int = 50
    epochs: int = 3
    lr: float = 0.1
    eval_batches: tuple[int, ...] = (1, 2, 4, 8, 32, 128)
    seed: int = 0

    def __post_init__(self):
        _check_training(self.n_train, self.batch_size, self.epochs, (self.lr,))
        if not self.eval_batches or min(self.eval_batches) < 1:
            raise ValueError("prediction batch sizes must be at least 1")
        NetSpec((784, *self.hidden, 10))

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        split = data.make_split(self.n_train, 0.0, self.n_test, "mnist", self.seed)
        net = NetSpec((784, *self.hidden, 10), batchnorm=True)
        per_epoch = math.ceil(len(split.x_train) / min(self.batch_size, len(split.x_train)))
        r = train(
            [Variant("BN", net, OptimizerSpec.of("sgd", lr=self.lr))],
            split.x_train,
            split.y_train,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            seed=self.seed,
            progress=None if progress is None else lambda f, m: progress(0.8 * f, m),
            stop=stop,
        )
        model = r.groups[0].model
        xt, yt = split.x_test.to(device.current()), split.y_test.to(device.current())
        rows = []
        for i, b in enumerate(self.eval_batches):
            for mode, batch_stats in (("batch", True), ("running", False)):
                rows.append((b, mode, float(accuracy_by_batch(model, xt, yt, b, batch_stats)[0])))
            if progress is not None:
                progress(0.8 + 0.2 * (i + 1) / len(self.eval_batches), f"batch size {b}")
        frame = pd.DataFrame(rows, columns=["batch_size", "statistics", "accuracy"])
        return Result({"by_batch": frame}, complete=not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"default": cls()}

    def summary(self, result: Result) -> dict:
        df = result.frames["by_batch"]
        return {
            f"batch {b}": {m: round(float(a), 4) for m, a in zip(g.statistics, g.accuracy)}
            for b, g in df.groupby("batch_size")
        }
