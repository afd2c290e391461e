"""Batch normalization experiments: the book's init-scale grid (figures 6-18, 6-19), BN against
learning rate, activation and placement, and what tiny batches do at inference."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import data, device
from core.batchnorm import accuracy_by_batch, bn_inputs_spread, histograms, preactivations
from core.nets import BN_EPS, NetSpec, recommended_init
from core.optimizers import OptimizerSpec
from core.spec import Phase, Progress, Result, Spec, Stop
from core.train import Group, Variant, evaluate, fit, make_groups, result, with_keys

BOOK_SCALES = tuple(float(s) for s in np.logspace(0, -4, 16))
PLACEMENTS = ("none", "before", "after")
LEARNING_RATES = (0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)  # the rates the page offers
BOOK_EPS = 1e-6  # the book's code adds 10e-7 (= 1e-6) to the variance, where PyTorch adds 1e-5
EPSILONS = (1e-7, BOOK_EPS, BN_EPS, 1e-3)  # the ε the grid offers
LEARNED = 0.5  # a net learned when its final accuracy reaches this (chance is about 0.1)
SMALL_BATCH = 8  # batches smaller than this give BN noisy statistics (one: every x̂ is 0)
SQUASHED = 0.5  # x̂ started with a spread below this in some layer: ε outweighed its batch variance
MARGIN = 0.02  # accuracy one variant must lead by to count as ahead of another


def scale_id(scale: float) -> str:
    """A scale as it appears in variant ids and the CLI summary: three significant digits."""
    return f"{scale:.3g}"


def _check_training(n_train: int, batch_size: int, epochs: int, lrs: tuple[float, ...]) -> None:
    if n_train < 2:
        raise ValueError("use at least 2 training images")
    if batch_size < 1 or epochs < 1:
        raise ValueError("batch size and epochs must be at least 1")
    if not lrs:
        raise ValueError("choose at least one learning rate")
    if min(lrs) <= 0:
        raise ValueError("learning rates must be positive")


def _initial(variants: list[Variant], seed: int, x: torch.Tensor, y: torch.Tensor, batch: int) -> pd.DataFrame:
    """Per variant before its first step (the same weights `train` starts from, since both draw
    them from the run's seed): training accuracy (the epoch-0 point) and, for BN nets, the
    spread x̂ gets on the first `batch` images (`core.batchnorm.bn_inputs_spread`)."""
    acc, spread = [math.nan] * len(variants), [math.nan] * len(variants)
    for g in make_groups(variants, seed, x.device):
        _, a = evaluate(g.model, x, y)
        s = bn_inputs_spread(g.model, x[:batch]).tolist() if g.model.batchnorm else [math.nan] * len(g.indices)
        for j, k in enumerate(g.indices):
            acc[k], spread[k] = float(a[j]), s[j]
    return pd.DataFrame({"variant": [v.name for v in variants], "acc": acc, "start_spread": spread})


def _epochs(curves: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of one evaluation metric with the epoch as a whole number."""
    df = curves[curves.metric == metric].copy()
    df["epoch"] = df["epoch"].round().astype(int)
    return df


@dataclass(frozen=True)
class BatchNormGrid(Spec):
    """Book figures 6-18/6-19: the same ReLU net with and without BN for each initial weight
    standard deviation in `scales`, all trained in lockstep on the same mini-batches; training
    accuracy after every epoch. `eps` is BN's ε, the book's 1e-6 by default (PyTorch: 1e-5),
    since at the smallest scales it decides how squashed the normalized values start."""

    kind = "batchnorm-grid"
    scales: tuple[float, ...] = BOOK_SCALES
    n_train: int = 1000
    batch_size: int = 100
    epochs: int = 20
    lr: float = 0.01
    hidden: tuple[int, ...] = (100, 100, 100, 100, 100)
    activation: str = "relu"
    eps: float = BOOK_EPS
    dataset: str = "mnist"
    seed: int = 0

    def __post_init__(self):
        if not self.scales or min(self.scales) <= 0:
            raise ValueError("choose at least one initial weight scale, all positive")
        if len({scale_id(s) for s in self.scales}) != len(self.scales):
            raise ValueError("the initial weight scales must differ")
        _check_training(self.n_train, self.batch_size, self.epochs, (self.lr,))
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        self.net(self.scales[0], True)  # validates sizes, activation and ε

    def net(self, scale: float, batchnorm: bool) -> NetSpec:
        return NetSpec(
            (784, *self.hidden, 10), self.activation, "normal", init_std=scale, batchnorm=batchnorm, bn_eps=self.eps
        )

    def variants(self) -> list[Variant]:
        """With BN, then without, each over the scales; keyed by `bn` and `scale`."""
        opt = OptimizerSpec.of("sgd", lr=self.lr)
        return [
            Variant(f"{'bn' if bn else 'plain'}@{scale_id(s)}", self.net(s, bn), opt, keys={"bn": bn, "scale": s})
            for bn in (True, False)
            for s in self.scales
        ]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        x, y = data.subset(self.n_train, self.dataset, "train", self.seed)
        x, y = x.to(device.current()), y.to(device.current())
        per_epoch = math.ceil(len(x) / min(self.batch_size, len(x)))
        variants = self.variants()
        start = _initial(variants, self.seed, x, y, min(self.batch_size, len(x)))
        r = fit(
            variants,
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            n_test=None,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            eval_every=per_epoch,
            eval_sets={"train": (x, y)},
            progress=progress,
            stop=stop,
        )
        acc = _epochs(r.curves, "train_acc")
        first = start[["variant"]].assign(epoch=0, value=start["acc"])
        acc = pd.concat([first, acc[["variant", "epoch", "value"]]], ignore_index=True)
        acc = with_keys(acc.rename(columns={"value": "train_acc"}), variants)
        diverged = r.summary["diverged_at"].astype(float)
        r.summary["final_acc"] = r.summary["train_acc"].where(diverged.isna())
        r.summary["diverged_epoch"] = diverged / per_epoch
        r.summary["start_spread"] = r.summary["variant"].map(start.set_index("variant")["start_spread"])
        return result(r, {"seconds": float(r.summary["seconds"].sum())}, accuracy=acc)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"book": cls(), "quick": cls(scales=BOOK_SCALES[::5], epochs=5)}

    def summary(self, result: Result) -> dict:
        """Final training accuracy (and the epoch of divergence) with and without BN, per scale."""
        s = result.frames["summary"]
        out = {}
        for scale in self.scales:
            row = {}
            for bn, name in ((True, "with_bn"), (False, "without_bn")):
                r = s[(s.scale == scale) & (s.bn == bn)].iloc[0]
                row[f"{name}_train_acc"] = None if pd.isna(r.final_acc) else round(float(r.final_acc), 4)
                if pd.notna(r.diverged_epoch):
                    row[f"{name}_diverged_at_epoch"] = round(float(r.diverged_epoch), 2)
            out[scale_id(scale)] = row
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
        if len(set(self.placements)) != len(self.placements) or len({f"{lr:g}" for lr in self.lrs}) != len(self.lrs):
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

    def variants(self) -> list[Variant]:
        """One per placement and rate, keyed by `placement`, `bn` and `lr` (id `placement@lr`)."""
        return [
            Variant(
                f"{p}@{lr:g}",
                self.net(p),
                OptimizerSpec.of("sgd", lr=lr),
                keys={"placement": p, "bn": p != "none", "lr": lr},
            )
            for p in self.placements
            for lr in self.lrs
        ]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        dev = device.current()
        x, y = data.subset(self.n_train, self.dataset, "train", self.seed)
        x, y = x.to(dev), y.to(dev)
        probe = x[: self.probe]
        per_epoch = math.ceil(len(x) / min(self.batch_size, len(x)))
        variants = self.variants()
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

        r = fit(
            variants,
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            n_test=self.n_test,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            eval_every=per_epoch,
            eval_sets={"train": (x, y)},
            on_eval=on_eval,
            progress=progress,
            stop=stop,
        )
        acc = pd.concat([_epochs(r.curves, "train_acc"), _epochs(r.curves, "test_acc")], ignore_index=True)
        hist, stats = self._distributions(variants, snaps)
        return result(r, accuracy=acc, histograms=with_keys(hist, variants), layer_stats=with_keys(stats, variants))

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
            "deep_sigmoid": cls(
                activation="sigmoid", init=recommended_init("sigmoid"), hidden=(100,) * 10, lrs=(0.1,), epochs=20
            ),
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
        x, _ = data.subset(self.n_train, "mnist", "train", self.seed)
        per_epoch = math.ceil(len(x) / min(self.batch_size, len(x)))
        net = NetSpec((784, *self.hidden, 10), batchnorm=True)
        r = fit(
            [Variant("bn", net, OptimizerSpec.of("sgd", lr=self.lr), keys={"bn": True})],
            dataset="mnist",
            n_train=self.n_train,
            seed=self.seed,
            n_test=None,
            batch_size=self.batch_size,
            steps=self.epochs * per_epoch,
            progress=None if progress is None else lambda f, m: progress(0.8 * f, m),
            stop=stop,
        )
        model = r.groups[0].model
        xt, yt = data.subset(self.n_test, "mnist", "test", self.seed)
        xt, yt = xt.to(device.current()), yt.to(device.current())
        rows = []
        for i, b in enumerate(self.eval_batches):
            for mode, batch_stats in (("batch", True), ("running", False)):
                rows.append((b, mode, float(accuracy_by_batch(model, xt, yt, b, batch_stats)[0])))
            if progress is not None:
                progress(0.8 + 0.2 * (i + 1) / len(self.eval_batches), Phase("evaluating"))
        return result(r, by_batch=pd.DataFrame(rows, columns=["batch_size", "statistics", "accuracy"]))

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"default": cls()}

    def summary(self, result: Result) -> dict:
        df = result.frames["by_batch"]
        return {
            f"batch {b}": {m: round(float(a), 4) for m, a in zip(g.statistics, g.accuracy)}
            for b, g in df.groupby("batch_size")
        }


@dataclass(frozen=True)
class GridFacts:
    """What a grid run shows, by scale: where each net learned (final training accuracy at least
    `LEARNED`), where BN was ahead on average over the epochs (learned faster), where the plain
    net blew up, and where BN started squashed by ε (`SQUASHED`). `case`: "expected" (BN learned
    at more scales than no BN), "batch_one" (a batch of one: every x̂ is 0, BN cannot learn),
    "small_batch" (below `SMALL_BATCH`, BN did not learn at more scales), "none_learned"
    (neither net learned anywhere: too little training) or "plain_as_good". `book`: the run has
    the book's settings (figures 6-18, 6-19)."""

    case: str
    n_scales: int
    bn_learned: tuple[float, ...]
    plain_learned: tuple[float, ...]
    bn_ahead: tuple[float, ...]
    plain_diverged: tuple[float, ...]
    squashed: tuple[float, ...]
    batch_size: int
    steps: int
    lr: float
    eps: float
    book: bool


def grid_facts(spec: BatchNormGrid, result: Result) -> GridFacts:
    s = result.frames["summary"].sort_values("scale", ascending=False)
    acc = result.frames["accuracy"]
    mean = acc[acc.epoch > 0].groupby(["bn", "scale"])["train_acc"].mean()  # the area under each curve

    def where(rows: pd.DataFrame) -> tuple[float, ...]:
        return tuple(float(x) for x in rows["scale"])

    bn, plain = s[s.bn.astype(bool)], s[~s.bn.astype(bool)]
    bn_learned, plain_learned = where(bn[bn.final_acc >= LEARNED]), where(plain[plain.final_acc >= LEARNED])
    ahead = tuple(
        sc for sc in where(bn) if mean.get((True, sc), 0.0) > np.nan_to_num(mean.get((False, sc), 0.0)) + MARGIN
    )
    if spec.batch_size == 1:
        case = "batch_one"
    elif len(bn_learned) > len(plain_learned):
        case = "expected"
    elif spec.batch_size < SMALL_BATCH:
        case = "small_batch"
    else:
        case = "plain_as_good" if bn_learned or plain_learned else "none_learned"
    per_epoch = math.ceil(spec.n_train / min(spec.batch_size, spec.n_train))
    return GridFacts(
        case,
        len(spec.scales),
        bn_learned,
        plain_learned,
        ahead,
        where(plain[plain.diverged_epoch.notna()]),
        where(bn[bn.start_spread < SQUASHED]),
        spec.batch_size,
        spec.epochs * per_epoch,
        spec.lr,
        spec.eps,
        spec == BatchNormGrid.presets()["book"],
    )


@dataclass(frozen=True)
class Final:
    """One variant of a comparison at its end: its accuracy on the metric shown, None when it
    blew up (then `diverged_at`, the step)."""

    variant: str
    placement: str
    lr: float
    acc: float | None
    diverged_at: int | None


@dataclass(frozen=True)
class ComparisonFacts:
    """A `BatchNormComparison` read on one metric (train_acc or test_acc). Per rate where both
    are present, whether the best BN placement led no BN by `MARGIN` (`bn_ahead`), trailed it
    (`plain_ahead`) or neither; `stuck`: variants that ended below `LEARNED` or blew up.
    Per placement, the range of the pre-activations' std over layers and epochs (`spread`:
    (low, high)) and `steadiest`, the placement with the smallest high/low ratio.
    `case`: "no_pair" (BN or no BN absent), "expected" (BN ahead at some rate, behind at none),
    "mixed" or "plain_as_good"."""

    case: str
    metric: str
    finals: tuple[Final, ...]
    bn_ahead: tuple[float, ...]
    plain_ahead: tuple[float, ...]
    stuck: tuple[str, ...]
    spread: dict[str, tuple[float, float]]
    steadiest: str


def comparison_facts(result: Result, metric: str) -> ComparisonFacts:
    s = result.frames["summary"]
    finals = tuple(
        Final(
            r.variant,
            r.placement,
            float(r.lr),
            None if pd.notna(r.diverged_at) else float(getattr(r, metric)),
            int(r.diverged_at) if pd.notna(r.diverged_at) else None,
        )
        for r in s.itertuples()
    )
    bn_ahead, plain_ahead = [], []
    for lr in sorted({f.lr for f in finals}):
        at = [f for f in finals if f.lr == lr]
        plain = [f.acc or 0.0 for f in at if f.placement == "none"]
        bn = [f.acc or 0.0 for f in at if f.placement != "none"]
        if plain and bn:
            if max(bn) > plain[0] + MARGIN:
                bn_ahead.append(lr)
            elif max(bn) < plain[0] - MARGIN:
                plain_ahead.append(lr)
    placements = {f.placement for f in finals}
    if "none" not in placements or placements == {"none"}:
        case = "no_pair"
    elif bn_ahead and not plain_ahead:
        case = "expected"
    else:
        case = "mixed" if bn_ahead else "plain_as_good"
    stats = result.frames["layer_stats"]
    spread = {
        p: (float(g["std"].min()), float(g["std"].max())) for p, g in stats[stats["std"] > 0].groupby("placement")
    }
    steadiest = min(spread, key=lambda p: spread[p][1] / spread[p][0]) if spread else ""
    stuck = tuple(f.variant for f in finals if f.acc is None or f.acc < LEARNED)
    return ComparisonFacts(case, metric, finals, tuple(bn_ahead), tuple(plain_ahead), stuck, spread, steadiest)


@dataclass(frozen=True)
class InferenceFacts:
    """A `BatchNormInference` run: accuracy with batch statistics at the smallest and largest
    chunk, and the range of accuracies with running statistics over all chunk sizes
    (`running_same`: the range is zero, as eval mode promises)."""

    smallest: int
    largest: int
    batch_small: float
    batch_large: float
    running: tuple[float, float]
    running_same: bool


def inference_facts(result: Result) -> InferenceFacts:
    df = result.frames["by_batch"]
    batch = df[df.statistics == "batch"].set_index("batch_size")["accuracy"]
    running = df[df.statistics == "running"]["accuracy"]
    lo, hi = float(running.min()), float(running.max())
    return InferenceFacts(
        int(batch.index.min()),
        int(batch.index.max()),
        float(batch.loc[batch.index.min()]),
        float(batch.loc[batch.index.max()]),
        (lo, hi),
        hi - lo < 1e-9,
    )
