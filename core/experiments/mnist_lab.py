"""The MNIST lab (course section 8): build one classifier, train it with a validation split and
early stopping, evaluate it on the test set, and keep the trained model for drawing digits.

The trained weights travel inside the result (`extras["model"]`, see `core.checkpoint`), so a
model is reloaded from the store by its key, by the page, the command line or an imported file.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import checkpoint, data
from core.early_stopping import EarlyStopping
from core.live import Board
from core.nets import BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec
from core.schedules import SCHEDULES, decaying
from core.spec import Progress, Result, Spec, Stop
from core.train import Variant, train

MAX_HIDDEN_LAYERS = 10
MAX_WIDTH = 4096
MAX_EPOCHS = 500
GALLERY = 24  # most confidently wrong test images kept for the gallery
SPLITS = {"train": "train", "val": "validation"}  # eval-set name in the curves -> split of `epochs_of`

LIVE = Board()  # per-epoch metrics of runs in progress


@dataclass(frozen=True)
class MnistLab(Spec):
    """One classifier, trained with a validation split; early stopping watches the validation
    loss for `patience` epochs (0: off) and keeps the best weights."""

    kind = "mnist-lab"
    dataset: str = "mnist"
    hidden: tuple[int, ...] = (100, 100)
    activation: str = "relu"
    init: str = "he_normal"
    batchnorm: bool = False
    dropout: float = 0.0
    optimizer: OptimizerSpec = OptimizerSpec.of("adam", lr=0.001)
    schedule: str = "constant"  # a name of `core.schedules.SCHEDULES`
    final_lr_factor: float = 0.1  # a decaying schedule ends at this fraction of the base rate
    l2: float = 0.0
    batch_size: int = 128
    epochs: int = 5
    val_fraction: float = 0.2
    patience: int = 0
    n_train: int = 10000  # 0: all 60,000 training images
    n_test: int = 0  # 0: all 10,000 test images
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.optimizer, dict):
            object.__setattr__(self, "optimizer", OptimizerSpec.from_dict(self.optimizer))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        if len(self.hidden) > MAX_HIDDEN_LAYERS or any(not 1 <= h <= MAX_WIDTH for h in self.hidden):
            raise ValueError(f"use at most {MAX_HIDDEN_LAYERS} hidden layers of 1 to {MAX_WIDTH} units")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"the number of epochs must be between 1 and {MAX_EPOCHS}")
        if self.batch_size < 1 or self.n_train < 0 or self.n_test < 0 or self.patience < 0:
            raise ValueError("batch size must be at least 1; sizes and patience cannot be negative")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {self.schedule!r}")
        if not 0.0 < self.final_lr_factor <= 1.0:
            raise ValueError("the final learning-rate factor must be in (0, 1]")
        if self.l2 < 0:
            raise ValueError("the L2 strength cannot be negative")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError("the validation fraction must be in [0, 1)")
        if self.patience and self.val_fraction == 0:
            raise ValueError("early stopping needs a validation split")
        n = self.n_train or 60000
        if n - round(n * self.val_fraction) < 1:
            raise ValueError("no training images are left after the validation split")
        self.net()  # validates activation, init and dropout

    def net(self) -> NetSpec:
        return NetSpec(
            (784, *self.hidden, 10), self.activation, self.init, batchnorm=self.batchnorm, dropout=self.dropout
        )

    @classmethod
    def from_config(cls, config: dict) -> MnistLab:
        """A spec from a JSON config: any of the fields, the rest at their defaults. The optimizer
        may be written short, e.g. {"method": "momentum", "lr": 0.1, "momentum": 0.9}."""
        if not isinstance(config, dict):
            raise ValueError("the config must be a JSON object of MNIST-lab settings")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(config) - names
        if unknown:
            raise ValueError(f"unknown settings {', '.join(sorted(unknown))}; settings: {', '.join(sorted(names))}")
        config = dict(config)
        opt = config.get("optimizer")
        if isinstance(opt, dict) and "hyper" not in opt:
            hyper = {k: v for k, v in opt.items() if k not in ("method", "book")}
            config["optimizer"] = OptimizerSpec.of(opt.get("method", "adam"), bool(opt.get("book", False)), **hyper)
        elif isinstance(opt, str):
            config["optimizer"] = OptimizerSpec.of(opt)
        try:
            return cls(**config)
        except (TypeError, KeyError) as err:
            raise ValueError(f"a setting has the wrong type: {err}") from err

    def lr_schedule(self, steps: int):
        """The schedule over the whole run, or None for a constant rate."""
        return None if self.schedule == "constant" else decaying(self.schedule, steps, self.final_lr_factor)

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        split = data.make_split(self.n_train, self.val_fraction, 0, self.dataset, self.seed)
        x_test, y_test = data.subset(self.n_test, self.dataset, "test", self.seed)
        steps_per_epoch = math.ceil(len(split.x_train) / min(self.batch_size, len(split.x_train)))
        eval_sets = {"train": (split.x_train, split.y_train)}
        if len(split.x_val):
            eval_sets["val"] = (split.x_val, split.y_val)
        steps = self.epochs * steps_per_epoch
        # as in Keras: stop after `patience` epochs without a better validation loss
        early = EarlyStopping([0], "val_loss", self.patience) if self.patience else None
        log = EpochLog(steps_per_epoch, early, self.key())
        with LIVE.running(self.key()):
            r = train(
                [Variant("model", self.net(), self.optimizer, l2=self.l2, schedule=self.lr_schedule(steps))],
                split.x_train,
                split.y_train,
                batch_size=self.batch_size,
                steps=steps,
                seed=self.seed,
                eval_every=steps_per_epoch,
                eval_sets=eval_sets,
                on_eval=log,
                progress=progress,
                stop=lambda: log.done or (stop is not None and stop()),
            )
        model = r.groups[0].model
        if early is not None:
            early.restore(r.groups)
        diverged = r.summary["diverged_at"].iloc[0]
        extras = {
            "model": checkpoint.pack(model),
            "class_names": list(data.CLASS_NAMES[self.dataset]),
            "epochs_run": log.epochs_seen,
            "best_epoch": log.best_epoch,
            "early_stopped": log.early_stopped,
            "diverged_at": None if pd.isna(diverged) else int(diverged),
            "n_train": len(split.x_train),
            "n_val": len(split.x_val),
            **{f"final_{k}": float(v) for k, v in log.last.items()},
        }
        frames = {"curves": r.curves, "summary": r.summary}
        frames.update(evaluate(model, x_test, y_test, extras))
        return Result(frames, extras, complete=log.done or not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {
            "quick": cls(n_train=2000, epochs=3),
            "default": cls(),
            "lecture": cls(
                hidden=(128,),
                activation="sigmoid",
                init="xavier",
                optimizer=OptimizerSpec.of("momentum", lr=0.1, momentum=0.9),
                batch_size=32,
                epochs=50,
                val_fraction=0.2,
                patience=5,
                n_train=0,
            ),
        }

    def check(self, result: Result) -> None:
        """The network must be this spec's (names, shapes, numbers) and every score a number in
        its range: pages unpack the model and print the scores without asking again."""
        super().check(result)
        e = result.extras
        if not result.complete and "model" not in e:
            return  # stopped before the end: nothing but curves to show
        model = checkpoint.unpack(e.get("model"))
        if model.specs[0] != self.net():
            raise ValueError("the stored network is not the one these settings build")
        names = e.get("class_names")
        if names != list(data.CLASS_NAMES[self.dataset]):
            raise ValueError("the class names are not the dataset's")
        for k in ("test_acc", *(k for k in e if k.startswith("final_") and k.endswith("_acc"))):
            if not _number(e.get(k), 0.0, 1.0):
                raise ValueError(f"{k} must be an accuracy between 0 and 1")
        for k in ("test_loss", "epochs_run", "best_epoch", "n_train", "n_val"):
            if not _number(e.get(k), 0.0, math.inf, allow_none=k == "best_epoch"):
                raise ValueError(f"{k} must be a non-negative number")

    def summary(self, result: Result) -> dict:
        e = result.extras
        keys = ("test_acc", "test_loss", "final_train_acc", "final_val_acc", "epochs_run", "best_epoch")
        return {k: e.get(k) for k in keys} | {"model": self.key(), "diverged_at": e.get("diverged_at")}


def _number(value: object, low: float, high: float, allow_none: bool = False) -> bool:
    if value is None:
        return allow_none
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


class EpochLog:
    """`on_eval` callback of `train`: records each epoch's metrics (shown live while the run
    goes on), notices a diverged network, and hands over to early stopping when it is on."""

    def __init__(self, steps_per_epoch: int, early: EarlyStopping | None, live_key: str | None = None):
        self.steps_per_epoch, self.early, self.live_key = steps_per_epoch, early, live_key
        self.epochs_seen = 0.0
        self.dead = False  # every metric is NaN: the network diverged
        self.last: dict[str, float] = {}

    def __call__(self, step: int, metrics: dict[str, np.ndarray], groups) -> list[int]:
        self.last = {k: float(v[0]) for k, v in metrics.items() if np.isfinite(v[0])}
        if not self.last:
            self.dead = True
            return []
        self.epochs_seen = step / self.steps_per_epoch
        _publish(self.live_key, {"epoch": self.epochs_seen, **self.last})
        return self.early(step, metrics, groups) if self.early is not None else []

    @property
    def early_stopped(self) -> bool:
        return self.early is not None and bool(self.early.stopped_at)

    @property
    def done(self) -> bool:
        """Nothing more to learn: stopped early or diverged."""
        return self.early_stopped or self.dead

    @property
    def best_epoch(self) -> float | None:
        best = self.early.best_step(0) if self.early is not None else None
        return None if best is None else best / self.steps_per_epoch


def _publish(key: str | None, row: dict) -> None:
    if key is not None:
        LIVE.add(key, [row])


def live_epochs(spec: Spec) -> pd.DataFrame:
    """Per-epoch metrics of a run still in progress, as `epochs_of` gives them (empty when none
    is running)."""
    return _tidy_epochs(pd.DataFrame(LIVE.rows(spec.key())))


def epochs_of(result: Result) -> pd.DataFrame:
    """Per-epoch metrics of a finished (or stopped) run, tidy: epoch, split (`train` or
    `validation`), kind (`loss` or `acc`), value; the same shape as `live_epochs`."""
    curves = result.frames["curves"]
    evals = curves[curves["metric"].str.startswith(tuple(f"{s}_" for s in SPLITS))]
    return _tidy_epochs(evals.pivot_table(index="epoch", columns="metric", values="value").reset_index())


def _tidy_epochs(wide: pd.DataFrame) -> pd.DataFrame:
    """Columns epoch, `train_loss`, `val_acc`, ... -> rows of epoch, split, kind, value."""
    if wide.empty:
        return pd.DataFrame(columns=["epoch", "split", "kind", "value"])
    long = wide.melt("epoch", var_name="metric", value_name="value")
    long[["set", "kind"]] = long["metric"].str.split("_", n=1, expand=True)
    long["split"] = long["set"].map(SPLITS)
    return long.dropna(subset=["split"])[["epoch", "split", "kind", "value"]].reset_index(drop=True)


def ending(extras: dict) -> str | None:
    """How a run ended, if not by reaching its last epoch: `diverged` or `early_stopped`."""
    if extras.get("diverged_at") is not None:
        return "diverged"
    return "early_stopped" if extras.get("early_stopped") else None


def evaluate(model: BatchedMLP, x: torch.Tensor, y: torch.Tensor, extras: dict) -> dict[str, pd.DataFrame]:
    """Test metrics into `extras` and frames: predictions, confusion counts, per-class accuracy."""
    probs = checkpoint.probabilities(model, x)
    labels = y.numpy()
    pred = probs.argmax(1) if len(probs) else np.zeros(0, dtype=np.int64)
    rows = np.arange(len(labels))
    p_true = probs[rows, labels]
    with np.errstate(divide="ignore"):
        extras["test_loss"] = float(np.mean(-np.log(np.maximum(p_true, 1e-12)))) if len(labels) else math.nan
    extras["test_acc"] = float(np.mean(pred == labels)) if len(labels) else math.nan
    n_classes = probs.shape[1]
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, pred), 1)
    confusion = pd.DataFrame(
        [(t, p, int(counts[t, p])) for t in range(n_classes) for p in range(n_classes)],
        columns=["true", "pred", "count"],
    )
    totals = counts.sum(1)
    per_class = pd.DataFrame(
        {
            "label": np.arange(n_classes),
            "n": totals,
            "acc": np.divide(np.diag(counts), totals, out=np.full(n_classes, np.nan), where=totals > 0),
        }
    )
    predictions = pd.DataFrame(
        {"index": rows, "true": labels, "pred": pred, "p_pred": probs[rows, pred], "p_true": p_true}
    )
    return {"predictions": predictions, "confusion": confusion, "per_class": per_class}


def confidently_wrong(predictions: pd.DataFrame, n: int = GALLERY) -> pd.DataFrame:
    """The `n` wrong predictions the model was surest of."""
    wrong = predictions[predictions["pred"] != predictions["true"]]
    return wrong.sort_values("p_pred", ascending=False).head(n)


def layer_table(net: NetSpec) -> pd.DataFrame:
    """A Keras-style model summary: one row per layer with its output size and parameters.
    `layer` is the kind of layer (input, dense, batchnorm, activation, softmax, dropout); an
    activation row names its function in `activation`, a dropout row its `rate`."""
    rows = [{"layer": "input", "units": net.sizes[0], "params": 0}]
    for i, (n_in, n_out) in enumerate(zip(net.sizes, net.sizes[1:])):
        last = i == len(net.sizes) - 2
        rows.append({"layer": "dense", "units": n_out, "params": n_in * n_out + (n_out if net.bias else 0)})
        if last:
            rows.append({"layer": "softmax", "units": n_out, "params": 0})
            break
        if net.batchnorm:
            rows.append({"layer": "batchnorm", "units": n_out, "params": 2 * n_out})
        slopes = 1 if net.activation == "prelu" else 0
        rows.append({"layer": "activation", "activation": net.activation, "units": n_out, "params": slopes})
        if net.dropout:
            rows.append({"layer": "dropout", "rate": net.dropout, "units": n_out, "params": 0})
    return pd.DataFrame(rows, columns=["layer", "activation", "rate", "units", "params"])
