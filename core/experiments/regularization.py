"""Overfitting and its remedies (book figures 6-20 to 6-23, the lecture's early-stopping and
ensemble examples).

`Overfitting` trains the book's over-sized network on 300 images with any set of remedies in one
lockstep run; `DecayVsL2` shows that L2 in the loss and weight decay coincide for SGD but not
for Adam; `EarlyStoppingRun` is the lecture's Keras example with and without early stopping;
`Ensemble` averages independently initialized networks.

Every variant is keyed by what it changes (`remedy`; `method` and `decay` in the decay demo;
`member` for an ensemble's networks); the page names them from those keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import data
from core.dropout import dropped_units, expectation_gap
from core.early_stopping import MONITORS, EarlyStopping
from core.ensemble import growing_accuracy
from core.nets import DROPOUT_SCALINGS, BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec
from core.spec import Progress, Result, Spec, Stop
from core.train import Group, Run, Variant, evaluate, fit, result, train, with_keys

REMEDIES = ("none", "l2", "weight_decay", "l1", "dropout", "early_stopping", "l2_dropout", "batchnorm")
COMPARE_ALL = ("none", "l2", "l1", "dropout", "early_stopping", "l2_dropout", "batchnorm")
OPTIMIZERS = ("sgd", "adam")
EVAL_METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "val_loss", "val_acc")
HIST_BINS = 60
TRAIN_IMAGES = 60000  # MNIST and Fashion-MNIST alike
BOOK_LR = {"sgd": 0.01, "adam": 0.001}  # the book's SGD rate; Adam's usual default
LAMBDAS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the λ a student can pick
TRAIN_SIZES = (300, 1000, 3000, 10000, 30000, TRAIN_IMAGES)  # from the book's 300 to all images
DECAY_REMEDIES = ("none", "l2", "weight_decay", "l1")  # the penalties the weight-decay section compares
ES_SIZES = (1000, 6000, 20000, 0)  # early stopping's training sets; 0: all images (the lecture)
SCALING_RULES = (*DROPOUT_SCALINGS, "unscaled")  # dropout's test-time rules, and the mistake of none


@dataclass(frozen=True)
class BookSetting(Spec):
    """The book's overfitting setting: 300 MNIST images, 6 hidden layers of 100 ReLU, SGD 0.01,
    batch 100, 200 epochs. Per-epoch curves use fixed subsets of at most `n_eval` training and
    test images; final numbers use all training images and the whole test set."""

    dataset: str = "mnist"
    n_train: int = 300
    hidden: tuple[int, ...] = (100,) * 6
    optimizer: str = "sgd"
    lr: float = 0.01
    batch_size: int = 100
    epochs: int = 200
    n_eval: int = 500
    seed: int = 0

    def __post_init__(self):
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        if self.n_train < 1 or self.batch_size < 1 or self.epochs < 1 or self.n_eval < 1:
            raise ValueError("training images, batch size, epochs and evaluation images must be at least 1")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}")
        if not self.hidden:
            raise ValueError("the network needs at least one hidden layer")
        self.base_optimizer()  # validates the learning rate
        self.net()

    def net(self, **changes) -> NetSpec:
        return NetSpec((784, *self.hidden, 10), "relu", "he_normal", **changes)

    def base_optimizer(self, weight_decay: float = 0.0) -> OptimizerSpec:
        """SGD or Adam; with weight decay, Adam becomes AdamW (decoupled decay)."""
        if self.optimizer == "adam" and weight_decay > 0:
            return OptimizerSpec.of("adamw", lr=self.lr, weight_decay=weight_decay)
        return OptimizerSpec.of(self.optimizer, lr=self.lr, weight_decay=weight_decay)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.batch_size)

    @property
    def steps(self) -> int:
        """Optimizer steps of the whole run."""
        return self.epochs * self.steps_per_epoch

    def test_sets(self) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """(fixed per-epoch subset, whole test set)."""
        return data.subset(self.n_eval, self.dataset, "test", self.seed), data.load(self.dataset, "test")


@dataclass(frozen=True)
class Overfitting(BookSetting):
    """The remedies in `regularizer` train side by side from the same initial weights on the
    same mini-batches. 'l2' adds 0.5*l2*sum(W^2) over weights to the loss (book), 'weight_decay'
    lets the optimizer decay every parameter (decoupled AdamW for Adam), 'l1' adds l1*sum(|W|).
    Early stopping watches `n_val` further training images that no variant trains on."""

    kind = "overfit"
    regularizer: tuple[str, ...] = ("none",)
    l2: float = 0.1
    l1: float = 0.01  # the lecture's Keras l1_l2(l1=0.01)
    dropout: float = 0.15
    input_dropout: float = 0.0
    dropout_scaling: str = "inverted"
    monitor: str = "val_loss"
    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True
    n_val: int = 300

    def __post_init__(self):
        super().__post_init__()
        if not self.regularizer:
            raise ValueError("choose at least one remedy")
        unknown = set(self.regularizer) - set(REMEDIES)
        if unknown:
            raise ValueError(f"unknown remedy {', '.join(sorted(unknown))}; choose from {', '.join(REMEDIES)}")
        if len(set(self.regularizer)) != len(self.regularizer):
            raise ValueError("each remedy can be chosen only once")
        if self.l2 < 0 or self.l1 < 0:
            raise ValueError("regularization strengths cannot be negative")
        if self.l2 > 1.0:
            raise ValueError("weight decay λ above 1 would flip the weights' sign each step")
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}")
        if self.patience < 0 or self.min_delta < 0:
            raise ValueError("patience and min delta cannot be negative")
        if "early_stopping" in self.regularizer and not 1 <= self.n_val <= TRAIN_IMAGES - self.n_train:
            raise ValueError(f"early stopping needs 1 to {TRAIN_IMAGES - self.n_train} further images for validation")
        if self.dropout_scaling not in DROPOUT_SCALINGS:
            raise ValueError(f"dropout scaling must be one of {DROPOUT_SCALINGS}")
        for r in self.regularizer:
            self.variant(r)  # validates dropout rates and the decayed optimizer

    def variant(self, remedy: str) -> Variant:
        dropped = {
            "dropout": self.dropout,
            "input_dropout": self.input_dropout,
            "dropout_scaling": self.dropout_scaling,
        }
        net, opt, l2, l1 = self.net(), self.base_optimizer(), 0.0, 0.0
        if remedy in ("l2", "l2_dropout"):
            l2 = self.l2
        if remedy in ("dropout", "l2_dropout"):
            net = self.net(**dropped)
        if remedy == "weight_decay":
            opt = self.base_optimizer(self.l2)
        if remedy == "l1":
            l1 = self.l1
        if remedy == "batchnorm":
            net = self.net(batchnorm=True)
        return Variant(remedy, net, opt, l2=l2, l1=l1, keys={"remedy": remedy})

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        watch = [k for k, r in enumerate(self.regularizer) if r == "early_stopping"]
        x, y = data.subset(self.n_train + (self.n_val if watch else 0), self.dataset, "train", self.seed)
        x, y, xv, yv = x[: self.n_train], y[: self.n_train], x[self.n_train :], y[self.n_train :]
        (xe, ye), (xt, yt) = self.test_sets()
        seen = (x[: self.n_eval], y[: self.n_eval])  # a fixed random subset when the training set is large
        sets = {"train": seen, "test": (xe, ye)} | ({"val": (xv, yv)} if watch else {})
        es = EarlyStopping(watch, self.monitor, self.patience, self.min_delta, self.restore_best) if watch else None
        variants = [self.variant(r) for r in self.regularizer]
        r = train(
            variants,
            x,
            y,
            batch_size=self.batch_size,
            steps=self.epochs * self.steps_per_epoch,
            seed=self.seed,
            eval_every=self.steps_per_epoch,
            eval_sets=sets,
            on_eval=es,
            progress=progress,
            stop=stop,
        )
        if es is not None and self.restore_best:
            es.restore(r.groups)
        summary = final_summary(r, variants, {"train": (x, y), "test": (xt, yt)}, self.steps_per_epoch)
        if es is not None:
            for k in watch:
                best = es.best_step(k)
                summary.loc[k, "kept_epoch"] = best / self.steps_per_epoch if best and self.restore_best else math.nan
        frames = {"curves": eval_curves(r), "summary": summary, "weights": weight_histograms(r, variants)}
        return Result(frames, extras={"zeros": near_zero(r, variants)}, complete=not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {
            "book": cls(),
            "book_l2": cls(regularizer=("none", "l2")),
            "book_l1": cls(regularizer=("none", "l2", "l1")),
            "book_dropout": cls(regularizer=("none", "dropout"), dropout=0.15),
            "compare_all": cls(regularizer=COMPARE_ALL),
            "quick": cls(regularizer=COMPARE_ALL, epochs=30),
        }

    def summary(self, result: Result) -> dict:
        curves = result.frames["curves"]
        out = {}
        for row in result.frames["summary"].itertuples():
            c = curves[curves.variant == row.variant]
            per_epoch = c[c.metric.isin(("train_acc", "test_acc"))].pivot_table("value", "epoch", "metric")
            out[row.variant] = {
                "per_epoch": {f"{e:g}": {m: round(v, 4) for m, v in vals.items()} for e, vals in per_epoch.iterrows()},
                "train_accuracy": row.train_acc,
                "test_accuracy": row.test_acc,
                "gap": row.gap,
                "stopped_epoch": _none_if_nan(row.stopped_epoch),
                "kept_epoch": _none_if_nan(getattr(row, "kept_epoch", math.nan)),
                "diverged_at_step": _none_if_nan(row.diverged_at),
            }
        return out


def _none_if_nan(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def rows_of(groups: list[Group]) -> dict[int, tuple[Group, int]]:
    """Variant index -> (its group, its row in that group)."""
    return {k: (g, j) for g in groups for j, k in enumerate(g.indices)}


def final_summary(
    r: Run, variants: list[Variant], sets: dict[str, tuple[torch.Tensor, torch.Tensor]], steps_per_epoch: int
) -> pd.DataFrame:
    """Accuracy and loss of every variant on whole data sets (after any restore), the
    train-test gap, and where each variant stopped or diverged; with the variants' key columns."""
    s = r.summary[["variant", "diverged_at", "stopped_at"]].copy()
    for name, (x, y) in sets.items():
        acc, loss = np.full(len(s), np.nan), np.full(len(s), np.nan)
        for g in r.groups:
            gl, ga = evaluate(g.model, x.to(g.model.flat.device), y.to(g.model.flat.device))
            acc[g.indices], loss[g.indices] = ga, gl
        s[f"{name}_acc"], s[f"{name}_loss"] = acc, loss
    diverged = s["diverged_at"].notna().to_numpy()
    s.loc[diverged, [c for c in s.columns if c.endswith(("_acc", "_loss"))]] = np.nan
    if "train_acc" in s and "test_acc" in s:
        s["gap"] = s["train_acc"] - s["test_acc"]
    s["stopped_epoch"] = _floats(s.pop("stopped_at")) / steps_per_epoch
    s["diverged_at"] = _floats(s["diverged_at"])
    return with_keys(s, variants)


def _floats(column: pd.Series) -> pd.Series:
    """Step numbers with None as NaN, as plain float64 (JSON- and store-friendly)."""
    return pd.Series([math.nan if v is None or pd.isna(v) else float(v) for v in column], index=column.index)


def eval_curves(r: Run) -> pd.DataFrame:
    """The per-evaluation metrics only (the per-step training loss stays out of the store)."""
    return r.curves[r.curves.metric.isin(EVAL_METRICS)].reset_index(drop=True)


@torch.no_grad()
def start_curves(
    variants: list[Variant], sets: dict[str, tuple[torch.Tensor, torch.Tensor]], seed: int
) -> pd.DataFrame:
    """Loss and accuracy on each of `sets` before the first step (epoch 0), in `eval_curves`'
    form: the curves then start where training starts. The weights are those `train` makes from
    `seed` for variants without an `init_seed` of their own."""
    model = BatchedMLP([v.net for v in variants], [seed if v.init_seed is None else v.init_seed for v in variants])
    rows = []
    for name, (x, y) in sets.items():
        loss, acc = evaluate(model, x.float(), y)
        for k, v in enumerate(variants):
            rows += [(v.name, 0, 0.0, f"{name}_loss", float(loss[k])), (v.name, 0, 0.0, f"{name}_acc", float(acc[k]))]
    frame = pd.DataFrame(rows, columns=["variant", "step", "epoch", "metric", "value"])
    return with_keys(frame, variants)


def split_curves(
    curves: pd.DataFrame, measure: str = "acc", splits: tuple[str, ...] = ("train", "test")
) -> pd.DataFrame:
    """The per-epoch `measure` ("acc" or "loss") of every variant on each of `splits`, one row per
    variant, epoch and split (`split` holds "train", "test" or "val"), key columns kept."""
    metrics = {f"{split}_{measure}": split for split in splits}
    out = curves[curves.metric.isin(metrics)].copy()
    out["split"] = out.metric.map(metrics)
    return out.reset_index(drop=True)


def monitored_measure(monitor: str) -> str:
    """What an early-stopping monitor watches: "loss" for val_loss, "acc" for val_acc."""
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {MONITORS}")
    return monitor.removeprefix("val_")


def weight_values(r: Run, k: int) -> np.ndarray:
    """All weight-matrix entries of variant k (no biases or BN parameters)."""
    g, j = rows_of(r.groups)[k]
    return torch.cat([W[j].detach().flatten() for W in g.model.weights()]).cpu().numpy()


def weight_histograms(r: Run, variants: list[Variant]) -> pd.DataFrame:
    """One histogram per variant over shared, symmetric bins (the largest |w| of all)."""
    values = [weight_values(r, k) for k in range(len(variants))]
    finite = [v[np.isfinite(v)] for v in values]
    top = max((float(np.abs(v).max()) for v in finite if v.size), default=1.0) or 1.0
    edges = np.linspace(-top, top, HIST_BINS + 1)
    frames = []
    for v, vals in zip(variants, finite):
        counts, _ = np.histogram(vals, edges)
        frames.append(pd.DataFrame({"variant": v.name, "left": edges[:-1], "right": edges[1:], "count": counts}))
    return with_keys(pd.concat(frames, ignore_index=True), variants)


def near_zero(r: Run, variants: list[Variant], tol: float = 1e-3) -> dict[str, dict[str, float]]:
    """Per variant: the share of weights that are exactly 0 and that are below `tol` in size,
    and the largest |w|."""
    out = {}
    for k, v in enumerate(variants):
        w = weight_values(r, k)
        out[v.name] = {
            "exact_zero": float(np.mean(w == 0)),
            "near_zero": float(np.mean(np.abs(w) < tol)),
            "max_abs": float(np.nanmax(np.abs(w))),
        }
    return out


@dataclass(frozen=True)
class DecayVsL2(Spec):
    """L2 in the loss vs weight decay in the optimizer, for SGD and for Adam, on a bias-free
    network (so both act on exactly the same parameters). With SGD the two are the same
    update, `w <- (1 - lr*lambda) w - lr*grad`; with Adam the L2 gradient passes through the
    adaptive scaling while AdamW decays the weights directly, so the paths part."""

    kind = "weight-decay-vs-l2"
    lam: float = 0.1
    sgd_lr: float = 0.01
    adam_lr: float = 0.001
    n_train: int = 1000
    hidden: tuple[int, ...] = (100, 100)
    batch_size: int = 100
    steps: int = 300
    record_every: int = 10
    seed: int = 0

    def __post_init__(self):
        if not 0 < self.lam <= 1:
            raise ValueError("λ must be in (0, 1]")
        if min(self.n_train, self.batch_size, self.steps, self.record_every) < 1:
            raise ValueError("images, batch size, steps and the recording interval must be at least 1")
        self.variants()

    def variants(self) -> list[Variant]:
        """SGD and Adam, each with `decay` "l2" (in the loss) then "decoupled" (in the optimizer:
        SGD's weight decay, AdamW): partners sit next to each other (0-1, 2-3)."""
        net = NetSpec((784, *self.hidden, 10), "relu", "he_normal", bias=False)
        sgd, adam = OptimizerSpec.of("sgd", lr=self.sgd_lr), OptimizerSpec.of("adam", lr=self.adam_lr)
        sgd_wd = OptimizerSpec.of("sgd", lr=self.sgd_lr, weight_decay=self.lam)
        adamw = OptimizerSpec.of("adamw", lr=self.adam_lr, weight_decay=self.lam)
        return [
            Variant("sgd_l2", net, sgd, l2=self.lam, keys={"method": "sgd", "decay": "l2"}),
            Variant("sgd_weight_decay", net, sgd_wd, keys={"method": "sgd", "decay": "decoupled"}),
            Variant("adam_l2", net, adam, l2=self.lam, keys={"method": "adam", "decay": "l2"}),
            Variant("adamw", net, adamw, keys={"method": "adamw", "decay": "decoupled"}),
        ]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        variants = self.variants()
        start = BatchedMLP([variants[0].net], [self.seed])
        start.flatten()  # every variant starts from these weights (the run's seed)
        norm = float(start.flat[0].norm())
        rows = [{"variant": v.name, "step": 0, "weight_norm": norm, "pair_distance": 0.0} for v in variants]

        def record(step: int, metrics: dict, groups: list[Group]) -> None:
            if rows and rows[-1]["step"] == step:
                return  # train() evaluates once more at the end when it has no eval sets
            w = {k: g.model.flat[j] for k, (g, j) in rows_of(groups).items()}
            for k, v in enumerate(variants):
                partner = k ^ 1  # 0-1 (SGD pair), 2-3 (Adam pair)
                rows.append(
                    {
                        "variant": v.name,
                        "step": step,
                        "weight_norm": float(w[k].norm()),
                        "pair_distance": float((w[k] - w[partner]).norm()),
                    }
                )

        r = fit(
            variants,
            dataset="mnist",
            n_train=self.n_train,
            seed=self.seed,
            n_test=None,
            batch_size=self.batch_size,
            steps=self.steps,
            eval_every=self.record_every,
            on_eval=record,
            progress=progress,
            stop=stop,
        )
        return result(r, paths=with_keys(pd.DataFrame(rows), variants))

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"default": cls()}

    def summary(self, result: Result) -> dict:
        last = result.frames["paths"].groupby("variant").last()
        return {
            v: {"weight_norm": row.weight_norm, "distance_to_partner": row.pair_distance} for v, row in last.iterrows()
        }


@dataclass(frozen=True)
class EarlyStoppingRun(Spec):
    """The lecture's Keras example: Flatten -> Dense(128, sigmoid) -> Dense(10, softmax),
    Glorot-uniform weights, SGD lr 0.1 momentum 0.9, batch 32 (Keras' default), 50 epochs,
    20 % of the training images held out for validation; trained with and without early
    stopping in lockstep. Per-epoch training metrics use a fixed subset of `n_eval` training
    images; final numbers use all of them and the whole test set."""

    kind = "early-stopping"
    dataset: str = "mnist"
    n_train: int = 6000  # 0: all 60,000
    val_fraction: float = 0.2
    hidden: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    batch_size: int = 32
    epochs: int = 50
    monitor: str = "val_loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True
    n_eval: int = 2000
    seed: int = 0

    LECTURE = {"train_acc": 0.9957, "test_acc": 0.9801}  # printed without early stopping

    def __post_init__(self):
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        if not 0 < self.val_fraction < 1:
            raise ValueError("the validation fraction must be between 0 and 1")
        if self.n_train < 0 or min(self.hidden, self.batch_size, self.epochs, self.n_eval) < 1:
            raise ValueError("sizes, batch size and epochs must be at least 1")
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}")
        if self.patience < 0 or self.min_delta < 0:
            raise ValueError("patience and min delta cannot be negative")
        self.variants()

    def variants(self) -> list[Variant]:
        net = NetSpec((784, self.hidden, 10), "sigmoid", "xavier_uniform")
        opt = OptimizerSpec.of("momentum", lr=self.lr, momentum=self.momentum)
        return [Variant(r, net, opt, keys={"remedy": r}) for r in ("none", "early_stopping")]

    @property
    def lecture_comparable(self) -> bool:
        """Whether the network without early stopping trains as in the lecture, so that the
        lecture's printed numbers (`LECTURE`) may stand next to it (early stopping's own knobs
        do not change that network)."""
        lecture = self.presets()["lecture"]
        same = ("dataset", "n_train", "val_fraction", "hidden", "lr", "momentum", "batch_size", "epochs", "seed")
        return all(getattr(self, f) == getattr(lecture, f) for f in same)

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        split = data.make_split(self.n_train, self.val_fraction, 0, self.dataset, self.seed)
        x, y = split.x_train, split.y_train
        gen = torch.Generator().manual_seed(self.seed)
        pick = torch.randperm(len(x), generator=gen)[: self.n_eval]
        per_epoch = math.ceil(len(x) / self.batch_size)
        es = EarlyStopping([1], self.monitor, self.patience, self.min_delta, self.restore_best)
        variants = self.variants()
        sets = {"train": (x[pick], y[pick]), "val": (split.x_val, split.y_val)}
        r = train(
            variants,
            x,
            y,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            seed=self.seed,
            eval_every=per_epoch,
            eval_sets=sets,
            on_eval=es,
            progress=progress,
            stop=stop,
        )
        if self.restore_best:
            es.restore(r.groups)
        summary = final_summary(r, variants, {"train": (x, y), "test": (split.x_test, split.y_test)}, per_epoch)
        best = es.best_step(1)
        summary["kept_epoch"] = [math.nan, best / per_epoch if best and self.restore_best else math.nan]
        curves = pd.concat([start_curves(variants, sets, self.seed), eval_curves(r)], ignore_index=True)
        return Result({"curves": curves, "summary": summary}, complete=not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"lecture": cls(n_train=0), "quick": cls(), "tiny": cls(n_train=1000, epochs=10)}

    def summary(self, result: Result) -> dict:
        return {
            row.variant: {
                "train_accuracy": row.train_acc,
                "test_accuracy": row.test_acc,
                "stopped_epoch": _none_if_nan(row.stopped_epoch),
                "kept_epoch": _none_if_nan(row.kept_epoch),
            }
            for row in result.frames["summary"].itertuples()
        }


@dataclass(frozen=True)
class Ensemble(BookSetting):
    """`members` networks that differ only in their initial weights, trained in lockstep on the
    book setting, averaged (mean softmax); next to them one dropout network that starts from
    the first member's weights."""

    kind = "ensemble"
    members: int = 5
    dropout: float = 0.15
    epochs: int = 100

    def __post_init__(self):
        super().__post_init__()
        if not 1 <= self.members <= 10:
            raise ValueError("an ensemble here has 1 to 10 members")
        self.net(dropout=self.dropout)

    def variants(self) -> list[Variant]:
        """The members (keyed by `member` 1..N), then the dropout network (`remedy` "dropout")."""
        opt = self.base_optimizer()
        members = [
            Variant(f"member_{i}", self.net(), opt, init_seed=self.seed + i - 1, keys={"member": i})
            for i in range(1, self.members + 1)
        ]
        dropout = Variant(
            "dropout", self.net(dropout=self.dropout), opt, init_seed=self.seed, keys={"remedy": "dropout"}
        )
        return [*members, dropout]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        _, (xt, yt) = self.test_sets()
        variants = self.variants()
        r = fit(
            variants,
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            n_test=None,
            batch_size=self.batch_size,
            steps=self.steps,
            progress=progress,
            stop=stop,
        )
        logits = test_logits(r, xt)
        singles = final_summary(r, variants, {"test": (xt, yt)}, self.steps_per_epoch)
        grow = growing_accuracy(logits[: self.members], yt)
        ensemble = pd.DataFrame({"members": np.arange(1, self.members + 1), "test_acc": grow})
        return Result({"singles": singles, "ensemble": ensemble}, complete=not r.stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"book": cls(), "quick": cls(epochs=30)}

    def summary(self, result: Result) -> dict:
        singles = result.frames["singles"].set_index("variant")["test_acc"].to_dict()
        grow = result.frames["ensemble"]
        return {"single_networks": singles, "ensemble_of_first_n": dict(zip(grow.members.tolist(), grow.test_acc))}


def ensemble_bars(result: Result) -> pd.DataFrame:
    """One bar per member, one for the whole ensemble (`remedy` "ensemble") and one for the
    dropout network: variant, its key columns, `kind` ("single", "ensemble", "dropout") and
    test accuracy."""
    singles, grow = result.frames["singles"], result.frames["ensemble"]
    members = singles[singles.member.notna()].assign(kind="single")
    whole = pd.DataFrame({"variant": ["ensemble"], "remedy": ["ensemble"], "test_acc": [grow.test_acc.iloc[-1]]})
    dropout = singles[singles.remedy == "dropout"].assign(kind="dropout")
    bars = pd.concat([members, whole.assign(kind="ensemble"), dropout], ignore_index=True)
    return bars[["variant", "remedy", "member", "kind", "test_acc"]]


MOST_GAIN = 0.75  # "most of the gain": this share of what the whole ensemble gains over its first member


@dataclass(frozen=True)
class EnsembleFacts:
    """What an `Ensemble` result shows: the members' mean, best and worst test accuracy, the whole
    ensemble's, and the dropout network's. `case`: "single" (one member: nothing to average),
    "beats_best" (the ensemble beats every member, as the textbook expects), "beats_mean" (it
    beats the typical member but not the best), "no_gain" (not the typical member either, within
    `SAME_ACC`). `most_by`: how many members gave `MOST_GAIN` of the gain over the first member
    (None where there was no gain)."""

    members: int
    mean_single: float
    best_single: float
    worst_single: float
    ensemble: float
    dropout: float
    case: str
    most_by: int | None


def ensemble_facts(result: Result) -> EnsembleFacts:
    singles = result.frames["singles"]
    members = singles.test_acc[singles.member.notna()].astype(float)
    grow = result.frames["ensemble"].test_acc.astype(float).to_numpy()
    mean, best, whole = float(members.mean()), float(members.max()), float(grow[-1])
    if len(grow) == 1:
        case = "single"
    elif whole > best:
        case = "beats_best"
    elif whole > mean + SAME_ACC:
        case = "beats_mean"
    else:
        case = "no_gain"
    gain = grow - grow[0]
    most_by = int(np.argmax(gain >= MOST_GAIN * gain[-1])) + 1 if gain[-1] > 0 else None
    dropout = singles.test_acc[singles.remedy == "dropout"]
    return EnsembleFacts(len(grow), mean, best, float(members.min()), whole, float(dropout.iloc[0]), case, most_by)


def dropout_expectation(p: float, samples: int = 4000) -> dict[str, float]:
    """`core.dropout.expectation_gap` on the book network at dropout rate p, for one test image."""
    x, _ = data.subset(1, "mnist", "test", 0)
    return expectation_gap(NetSpec(BookSetting().net().sizes, dropout=p), x, samples=samples)


def dropout_mask(p: float, seed: int) -> pd.DataFrame:
    """Which hidden units of the book network one training step keeps: layer, unit (from 1), kept."""
    kept = dropped_units(BookSetting().net(dropout=p), seed)
    layer, unit = np.indices(kept.shape)
    return pd.DataFrame({"layer": layer.ravel() + 1, "unit": unit.ravel() + 1, "kept": kept.ravel()})


@torch.no_grad()
def test_logits(r: Run, x: torch.Tensor, chunk: int = 5000) -> torch.Tensor:
    """Eval-mode logits of every variant, in variant order: [K, N, C]."""
    out: torch.Tensor | None = None
    for g in r.groups:
        was = g.model.training
        g.model.eval()
        xd = x.to(g.model.flat.device)
        logits = torch.cat([g.model(xd[s : s + chunk]) for s in range(0, len(x), chunk)], dim=1).cpu()
        g.model.train(was)
        if out is None:
            out = torch.empty(len(rows_of(r.groups)), *logits.shape[1:])
        out[g.indices] = logits
    return out


# What the lessons call a change. Accuracies and gaps are fractions (0.01 = one percentage point).
FITS = 0.9  # the network without a remedy has fit its training images from this train accuracy on
MEMORIZED = 0.99  # ... and has memorized them from this one on
WIDE_GAP = 0.05  # a train-test gap from five points on is overfitting worth a lesson
NARROWED = 0.01  # a remedy narrows (or widens) the gap when it moves it by more than a point
UNDERFIT = 0.5  # a network that gets fewer than half of its training images right underfits
SAME_ACC = 0.002  # test accuracies within 0.2 points count as the same
SPARSE = 0.25  # L1 made a sparse network when at least this share of its weights is exactly zero


@dataclass(frozen=True)
class RemedyFacts:
    """One remedy's final numbers (whole training set and test set) and how they compare with
    the network without a remedy: `narrowed` / `widened` the gap by more than `NARROWED`, test
    accuracy `test_change` (None where the run has no such network or either diverged); where
    early stopping stopped and which epoch's weights it kept (None: it did not)."""

    variant: str
    train_acc: float
    test_acc: float
    gap: float
    diverged: bool
    underfit: bool
    narrowed: bool
    widened: bool
    test_change: float | None
    stopped_epoch: float | None
    kept_epoch: float | None


@dataclass(frozen=True)
class OverfittingFacts:
    """What an `Overfitting` result shows. `case` is about the network without a remedy:
    "memorized" (train accuracy ≥ `MEMORIZED` and a gap ≥ `WIDE_GAP`: the book's picture),
    "overfit" (a wide gap without memorizing), "close" (a gap below `WIDE_GAP`: little to
    remedy), "unfit" (train accuracy below `FITS`: too few epochs to overfit yet), "diverged",
    or "no_baseline" (no such network in the run). `best` is the variant with the best test
    accuracy; the L1 and weight-decay facts are None where those remedies are absent."""

    case: str
    baseline: RemedyFacts | None
    remedies: tuple[RemedyFacts, ...]  # the others, in the run's order
    best: str | None
    l1: L1Facts | None
    decay: DecayFacts | None


@dataclass(frozen=True)
class L1Facts:
    """L1's measured sparsity: the share of weights exactly zero (`sparse` from `SPARSE` on),
    and how far its soft-threshold step can move a weight toward zero: lr·λ per step and
    `run_pull` over the whole run (a weight larger than that can never reach zero)."""

    exact_zero: float
    sparse: bool
    step_pull: float
    run_pull: float


@dataclass(frozen=True)
class DecayFacts:
    """Decay in the optimizer multiplies every parameter by `step_factor` = 1 − lr·λ per step,
    by `run_factor` over the whole run (before the gradient steps pull the other way)."""

    method: str
    step_factor: float
    run_factor: float


def remedy_facts(summary: pd.DataFrame) -> dict[str, RemedyFacts]:
    """Every variant's `RemedyFacts`, by id, in the run's order."""
    rows = summary.set_index("variant")
    base = rows.loc["none"] if "none" in rows.index else None
    base_ok = base is not None and pd.isna(base.diverged_at)
    out = {}
    for v, row in rows.iterrows():
        diverged = pd.notna(row.diverged_at)
        compare = base_ok and not diverged and v != "none"
        out[v] = RemedyFacts(
            v,
            float(row.train_acc),
            float(row.test_acc),
            float(row.gap),
            diverged,
            bool(not diverged and row.train_acc < UNDERFIT),
            bool(compare and row.gap < base.gap - NARROWED),
            bool(compare and row.gap > base.gap + NARROWED),
            float(row.test_acc - base.test_acc) if compare else None,
            _none_if_nan(float(row.stopped_epoch)),
            _none_if_nan(float(getattr(row, "kept_epoch", math.nan))),
        )
    return out


def baseline_case(base: RemedyFacts | None) -> str:
    """The `OverfittingFacts.case` of the network without a remedy."""
    if base is None:
        return "no_baseline"
    if base.diverged:
        return "diverged"
    if base.train_acc < FITS:
        return "unfit"
    if base.gap < WIDE_GAP:
        return "close"
    return "memorized" if base.train_acc >= MEMORIZED else "overfit"


def overfitting_facts(spec: Overfitting, result: Result) -> OverfittingFacts:
    """The facts every lesson of an `Overfitting` run words: the baseline's case, each remedy
    against it, the best test accuracy, L1's sparsity and the optimizer's decay factor."""
    found = remedy_facts(result.frames["summary"])
    base = found.pop("none", None)
    alive = [f for f in (base, *found.values()) if f is not None and not f.diverged]
    best = max(alive, key=lambda f: f.test_acc).variant if alive else None
    l1 = None
    zeros = result.extras.get("zeros", {}).get("l1")
    if zeros is not None:
        pull = spec.lr * spec.l1
        l1 = L1Facts(zeros["exact_zero"], zeros["exact_zero"] >= SPARSE, pull, pull * spec.steps)
    decay = None
    if "weight_decay" in spec.regularizer:
        factor = 1.0 - spec.lr * spec.l2
        decay = DecayFacts(spec.variant("weight_decay").optimizer.method, factor, factor**spec.steps)
    return OverfittingFacts(baseline_case(base), base, tuple(found.values()), best, l1, decay)


VISIBLE_DECAY = 0.9  # decoupled decay shows in ‖W‖ when it alone would shrink it below 90 % over the run
SAME_PATH = 1e-4  # two forms follow one path while their weights differ by less than this, relative to ‖W‖


@dataclass(frozen=True)
class DecayDemoFacts:
    """What the L2-vs-decoupled-decay demo shows: the common starting ‖W‖, each variant's final
    ‖W‖ (by id), which shrank most and least, whether SGD's two forms stayed on one path
    (`SAME_PATH`) and Adam's parted, and the size of AdamW's decoupled decay: lr·λ per step,
    `adamw_factor` = (1 − lr·λ)^steps over the run, `adamw_visible` below `VISIBLE_DECAY`.
    `expected` is the textbook account: AdamW shrinks the weights more than Adam with L2."""

    steps: int
    start: float
    end: dict[str, float]
    most: str
    least: str
    sgd_same: bool
    sgd_distance: float
    adam_distance: float
    adamw_step: float
    adamw_factor: float
    adamw_visible: bool
    expected: bool


def decay_demo_facts(spec: DecayVsL2, result: Result) -> DecayDemoFacts:
    paths = result.frames["paths"]
    first = paths[paths.step == paths.step.min()]
    last = paths[paths.step == paths.step.max()].set_index("variant")
    end = last.weight_norm.astype(float).to_dict()
    sgd_distance, adam_distance = float(last.pair_distance["sgd_l2"]), float(last.pair_distance["adam_l2"])
    step = spec.adam_lr * spec.lam
    factor = (1.0 - step) ** int(paths.step.max())
    return DecayDemoFacts(
        int(paths.step.max()),
        float(first.weight_norm.iloc[0]),
        end,
        min(end, key=end.get),
        max(end, key=end.get),
        sgd_distance <= SAME_PATH * end["sgd_l2"],
        sgd_distance,
        adam_distance,
        step,
        factor,
        factor < VISIBLE_DECAY,
        end["adamw"] < end["adam_l2"],
    )


@dataclass(frozen=True)
class EarlyStoppingFacts:
    """What an `EarlyStoppingRun` shows. The network without early stopping traces the whole
    validation curve: its monitored metric was best at `best_epoch` (`best_value`) and ended at
    `last_value` (`worsened`: it ended worse than its best). Early stopping stopped at
    `stopped_epoch` (None: never) and kept `kept_epoch`'s weights. `case` compares the test
    accuracies: "helped", "hurt" or "same" (within `SAME_ACC`). `acc_rose_after`: the monitor is
    the loss and validation accuracy still rose after the kept epoch, which is why keeping that
    epoch can cost accuracy. `lecture`: the printed numbers and this run's, where the settings
    are the lecture's."""

    epochs: int
    monitor: str
    best_epoch: float
    best_value: float
    last_value: float
    worsened: bool
    stopped_epoch: float | None
    kept_epoch: float | None
    test_none: float
    test_es: float
    test_change: float
    case: str
    acc_rose_after: bool
    val_acc_kept: float | None
    val_acc_last: float
    lecture: dict[str, float] | None


def early_stopping_facts(spec: EarlyStoppingRun, result: Result) -> EarlyStoppingFacts:
    summary = result.frames["summary"].set_index("variant")
    curves = result.frames["curves"]
    full = curves[curves.variant == "none"]
    val = full[full.metric == spec.monitor].set_index("epoch").value
    acc = full[full.metric == "val_acc"].set_index("epoch").value
    best_epoch = float(val.idxmin() if spec.monitor == "val_loss" else val.idxmax())
    worse = val.iloc[-1] > val[best_epoch] if spec.monitor == "val_loss" else val.iloc[-1] < val[best_epoch]
    none, es = summary.loc["none"], summary.loc["early_stopping"]
    change = float(es.test_acc - none.test_acc)
    case = "same" if abs(change) < SAME_ACC else "helped" if change > 0 else "hurt"
    kept = None if pd.isna(es.kept_epoch) else float(es.kept_epoch)
    acc_kept = None if kept is None or kept not in acc.index else float(acc[kept])
    lecture = None
    if spec.lecture_comparable:
        printed = EarlyStoppingRun.LECTURE
        lecture = {
            "train_printed": printed["train_acc"],
            "test_printed": printed["test_acc"],
            "train": float(none.train_acc),
            "test": float(none.test_acc),
            "train_diff": float(none.train_acc - printed["train_acc"]),
            "test_diff": float(none.test_acc - printed["test_acc"]),
        }
    return EarlyStoppingFacts(
        spec.epochs,
        spec.monitor,
        best_epoch,
        float(val[best_epoch]),
        float(val.iloc[-1]),
        bool(worse),
        None if pd.isna(es.stopped_epoch) else float(es.stopped_epoch),
        kept,
        float(none.test_acc),
        float(es.test_acc),
        change,
        case,
        spec.monitor == "val_loss" and acc_kept is not None and float(acc.iloc[-1]) > acc_kept + SAME_ACC,
        acc_kept,
        float(acc.iloc[-1]),
        lecture,
    )
