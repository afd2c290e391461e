"""Weight initialization: activation histograms (book figures 6-10 to 6-14), symmetry,
vanishing and exploding signals over depth, the MNIST comparison (book figure 6-15), and
PReLU's learned slope.

In every experiment the compared initializations form the variants of one `BatchedMLP`: they
see the same input and, when trained, the same mini-batches, so only the initial weights differ.
A variant's id is its init (and activation, where several are compared); its key columns
(`init`, `std`, `value`, `init_scale`, `activation`) say what sets it apart, and `ui.labels`
names it. The verdicts the pages put into words (`spread_verdicts`, `mnist_facts`) live here
with their thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch

from core import data, device
from core.nets import ACTIVATIONS, INITS, PRELU_INIT, BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec
from core.probes import activation_stats, histograms, layer_stats, unit_stats
from core.spec import Progress, Result, Spec, Stop
from core.train import Variant, fit, make_groups, result, train

INPUT_SEED_OFFSET = 1_000_003  # the random input must not reuse the weights' random stream
PROBE_SIZE = 256  # training images the depth probe measures on

# What a row of histograms says (`spread_verdict`), judged on the first and the deepest layer
SATURATED_SHARE = 0.3  # of sigmoid/tanh outputs in the flat region: the gradient is blocked
IDENTICAL_STD = 1e-12  # an activation spread this small means every value is the same
BUNCHED_STD = 0.05  # a sigmoid/tanh spread this narrow: no saturation, but units agree
SHRINKS, GROWS = 0.5, 2.0  # deepest spread / first spread beyond these: the signal fades or explodes
Verdict = Literal["saturated", "identical", "bunched", "shrinks", "grows", "steady"]

# MNIST: a loss that stays above this share of ln 10 (guessing among ten digits) learned nothing
STUCK_SHARE = 0.95
CHANCE_LOSS = math.log(10)


def init_keys(net: NetSpec) -> dict[str, object]:
    """The key columns of a variant that differs from the others by its initial weights: the
    init, the setting that init reads (`std` of normal, `value` of constant) and `init_scale`
    where it is not 1."""
    keys: dict[str, object] = {"init": net.init}
    if net.init == "normal":
        keys["std"] = net.init_std
    if net.init == "constant":
        keys["value"] = net.init_value
    if net.init_scale != 1:
        keys["init_scale"] = net.init_scale
    return keys


def keyed(nets: list[NetSpec], optimizer: OptimizerSpec) -> list[Variant]:
    """One variant per net, id and keys from its init (and activation where several are
    compared): inits are unique per activation, so the ids are unique in the run."""
    several = len({n.activation for n in nets}) > 1
    return [
        Variant(
            f"{n.init}/{n.activation}" if several else n.init,
            n,
            optimizer,
            keys=init_keys(n) | ({"activation": n.activation} if several else {}),
        )
        for n in nets
    ]


def check_inits(inits: tuple[str, ...], activations: tuple[str, ...] = ()) -> None:
    if not inits:
        raise ValueError("choose at least one initialization")
    for name in inits:
        if name not in INITS:
            raise ValueError(f"unknown initialization {name!r}; choose from {', '.join(INITS)}")
    if len(set(inits)) != len(inits):
        raise ValueError("each initialization can be chosen only once")
    for name in activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")


def check_sizes(depth: int, width: int, max_depth: int) -> None:
    if not 1 <= depth <= max_depth:
        raise ValueError(f"the depth must be between 1 and {max_depth} layers")
    if not 1 <= width <= 2000:
        raise ValueError("the width must be between 1 and 2000 units")


def tag(frame: pd.DataFrame, variants: list[Variant]) -> pd.DataFrame:
    """Replace the variant index `k` of a probe frame by the variant's id and key columns."""
    info = pd.DataFrame([v.keys for v in variants]).assign(variant=[v.name for v in variants])
    return frame.join(info, on="k").drop(columns="k")


def spread_verdict(activation: str, stds: np.ndarray, flats: np.ndarray) -> Verdict:
    """Which story one row of histograms tells, from each layer's activation spread and share
    of flat-slope values (first layer first): saturated, identical, bunched, shrinking, growing
    or steady."""
    bounded = activation in ("sigmoid", "tanh")
    if flats[-1] > SATURATED_SHARE and bounded:
        return "saturated"
    if stds[-1] < IDENTICAL_STD:
        return "identical"
    if bounded and stds[-1] < BUNCHED_STD:
        return "bunched"
    ratio = stds[-1] / stds[0] if stds[0] > 0 else np.inf
    if ratio < SHRINKS:
        return "shrinks"
    if ratio > GROWS:
        return "grows"
    return "steady"


def spread_verdicts(activation: str, stats: pd.DataFrame) -> dict[str, Verdict]:
    """variant id -> `spread_verdict` of its rows of an `InitHistograms` stats frame, in order."""
    return {
        name: spread_verdict(activation, g["act_std"].to_numpy(), g["flat"].to_numpy())
        for name, g in stats.sort_values("layer", kind="stable").groupby("variant", sort=False)
    }


@dataclass(frozen=True)
class MnistFacts:
    """What an MNIST comparison shows: the variant whose loss went lowest, and those that never
    left chance (ids; None and () before any loss is known)."""

    best: str | None
    stuck: tuple[str, ...]


def mnist_facts(summary: pd.DataFrame) -> MnistFacts:
    done = summary.dropna(subset=["final_loss"])
    if done.empty:
        return MnistFacts(None, ())
    stuck = done[done.final_loss > STUCK_SHARE * CHANCE_LOSS]
    return MnistFacts(done.loc[done.final_loss.idxmin(), "variant"], tuple(stuck["variant"]))


def profile(groups, variants: list[Variant], probe: tuple[torch.Tensor, torch.Tensor], phase: str) -> pd.DataFrame:
    """`layer_stats` of every variant on the probe batch, tagged with the phase."""
    return per_variant(layer_stats, groups, variants, *probe).assign(phase=phase)


def units(groups, variants: list[Variant], step: int) -> pd.DataFrame:
    """`unit_stats` of every variant at `step`."""
    return per_variant(unit_stats, groups, variants).assign(step=step)


def per_variant(probe, groups, variants: list[Variant], *args) -> pd.DataFrame:
    """A probe run on each architecture group, its rows tagged with the run's variants."""
    out = []
    for g in groups:
        stats = probe(g.model, *args)
        stats["k"] = [g.indices[k] for k in stats["k"]]
        out.append(tag(stats, variants))
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class InitHistograms(Spec):
    """The book's experiment: 1000 random inputs through a stack of bias-free layers, and a
    histogram of every layer's activations for each chosen initialization."""

    kind = "init-histograms"
    activation: str = "sigmoid"
    inits: tuple[str, ...] = ("normal",)
    init_std: float = 1.0
    init_value: float = 0.5
    init_scale: float = 1.0
    depth: int = 5
    width: int = 100
    n_samples: int = 1000
    n_in: int = 100
    bins: int = 30
    seed: int = 0

    MAX_DEPTH = 20

    def __post_init__(self):
        check_inits(self.inits, (self.activation,))
        check_sizes(self.depth, self.width, self.MAX_DEPTH)
        if not 1 <= self.n_samples <= 100_000 or not 1 <= self.n_in <= 2000:
            raise ValueError("use 1 to 100,000 samples of 1 to 2000 inputs")
        if not 2 <= self.bins <= 200:
            raise ValueError("use 2 to 200 bins")
        self.nets()  # validates std and scale

    def nets(self) -> list[NetSpec]:
        sizes = (self.n_in, *(self.width,) * self.depth, 1)  # the 1-unit output layer is not probed
        return [
            NetSpec(
                sizes,
                self.activation,
                init,
                init_std=self.init_std,
                init_value=self.init_value,
                init_scale=self.init_scale,
                bias=False,
            )
            for init in self.inits
        ]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        nets = self.nets()
        # float64: a badly scaled deep stack overflows float32 long before it stops being instructive
        dev = device.for_dtype(torch.float64)
        model = BatchedMLP(nets, [self.seed] * len(nets)).to(dev, torch.float64)
        gen = torch.Generator().manual_seed(self.seed + INPUT_SEED_OFFSET)
        x = torch.randn(self.n_samples, self.n_in, generator=gen, dtype=torch.float64).to(dev)
        variants = keyed(nets, OptimizerSpec.of("sgd"))  # only tags the frames: nothing is trained
        stats = tag(activation_stats(model, x), variants)
        hist = tag(histograms(model, x, self.bins), variants)
        return Result({"stats": stats, "histogram": hist})

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {
            "book-sigmoid-std1": cls(),
            "book-sigmoid-std0.01": cls(init_std=0.01),
            "book-sigmoid-xavier": cls(inits=("xavier",)),
            "book-tanh-xavier": cls(activation="tanh", inits=("xavier",)),
            "book-relu-std0.01": cls(activation="relu", init_std=0.01),
            "book-relu-xavier": cls(activation="relu", inits=("xavier",)),
            "book-relu-he": cls(activation="relu", inits=("he_normal",)),
            "book-relu": cls(activation="relu", inits=("normal", "xavier", "he_normal"), init_std=0.01),
        }

    def summary(self, result: Result) -> dict:
        s = result.frames["stats"]
        return {
            name: {
                f"layer {row.layer}": {"mean": row.mean, "std": row.act_std, "flat": row.flat, "dead": row.dead}
                for row in g.itertuples()
            }
            for name, g in s.groupby("variant", sort=False)
        }


@dataclass(frozen=True)
class DepthProfile(Spec):
    """A deep MNIST network per chosen init: each layer's activation spread and the gradient
    that reaches it, at initialization and after a few SGD steps on identical mini-batches."""

    kind = "init-depth"
    activation: str = "tanh"
    inits: tuple[str, ...] = ("normal", "xavier")
    init_std: float = 0.05
    init_value: float = 0.5
    init_scale: float = 1.0
    depth: int = 30
    width: int = 100
    steps: int = 20
    lr: float = 0.01
    batch_size: int = 128
    n_train: int = 2000
    dataset: str = "mnist"
    seed: int = 0

    MAX_DEPTH = 60

    def __post_init__(self):
        check_inits(self.inits, (self.activation,))
        check_sizes(self.depth, self.width, self.MAX_DEPTH)
        if not 0 <= self.steps <= 1000:
            raise ValueError("use 0 to 1000 training steps")
        if not 0 < self.lr <= 10:
            raise ValueError("the learning rate must be in (0, 10]")
        if self.batch_size < 1 or self.n_train < 0:
            raise ValueError("the batch size must be at least 1")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        self.variants()

    def variants(self) -> list[Variant]:
        sizes = (784, *(self.width,) * self.depth, 10)
        sgd = OptimizerSpec.of("sgd", lr=self.lr)
        nets = [NetSpec(sizes, self.activation, i, self.init_std, self.init_value, self.init_scale) for i in self.inits]
        return keyed(nets, sgd)

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        x, y = data.subset(self.n_train, self.dataset, "train", self.seed)
        probe = (x[:PROBE_SIZE].to(device.current()), y[:PROBE_SIZE].to(device.current()))
        variants = self.variants()
        frames = [profile(make_groups(variants, self.seed, device.current()), variants, probe, "init")]
        summary = tag(pd.DataFrame({"k": range(len(variants))}), variants)
        if self.steps:
            r = train(variants, x, y, batch_size=self.batch_size, steps=self.steps, seed=self.seed, stop=stop)
            frames.append(profile(r.groups, variants, probe, "trained"))
            summary = r.summary
        return Result({"profile": pd.concat(frames, ignore_index=True), "summary": summary})

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {
            "tanh": cls(),
            "sigmoid": cls(activation="sigmoid", inits=("normal", "xavier"), init_std=1.0),
            "relu": cls(activation="relu", inits=("normal", "he_normal"), init_std=0.01),
            "linear-scale": cls(activation="linear", inits=("xavier",), init_scale=1.2),
        }

    def summary(self, result: Result) -> dict:
        p = result.frames["profile"]
        out: dict = {}
        for (name, phase), g in p.groupby(["variant", "phase"], sort=False):
            first, last = g.iloc[0], g.iloc[-1]
            out.setdefault(name, {})[phase] = {
                "act_std_first_layer": first["act_std"],
                "act_std_last_layer": last["act_std"],
                "signal_first_layer": first["signal"],
                "signal_last_layer": last["signal"],
                "dead_units_max": float(g["dead"].max()),
            }
        return out


@dataclass(frozen=True)
class Symmetry(Spec):
    """A small MNIST net trained from zero, constant and random weights: how many of each
    layer's units are still different from each other as training goes on."""

    kind = "init-symmetry"
    activation: str = "sigmoid"
    inits: tuple[str, ...] = ("zeros", "constant", "xavier")
    init_value: float = 0.01
    hidden: tuple[int, ...] = (30, 30)
    lr: float = 0.5
    batch_size: int = 100
    steps: int = 300
    every: int = 20
    n_train: int = 2000
    dataset: str = "mnist"
    seed: int = 0

    def __post_init__(self):
        check_inits(self.inits, (self.activation,))
        if not self.hidden or min(self.hidden) < 1 or len(self.hidden) > 6:
            raise ValueError("use 1 to 6 hidden layers of at least 1 unit")
        if not 1 <= self.steps <= 5000 or not 1 <= self.every <= self.steps:
            raise ValueError("use 1 to 5000 steps, checked every 1 to `steps` steps")
        if not 0 < self.lr <= 10:
            raise ValueError("the learning rate must be in (0, 10]")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")

    def variants(self) -> list[Variant]:
        sizes = (784, *self.hidden, 10)
        sgd = OptimizerSpec.of("sgd", lr=self.lr)
        nets = [NetSpec(sizes, self.activation, i, 0.01, self.init_value) for i in self.inits]
        return keyed(nets, sgd)

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        variants = self.variants()
        rows = [units(make_groups(variants, self.seed, device.current()), variants, 0)]

        def on_eval(step: int, metrics, groups) -> None:
            rows.append(units(groups, variants, step))

        r = fit(
            variants,
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            n_test=2000,
            batch_size=self.batch_size,
            steps=self.steps,
            eval_every=self.every,
            on_eval=on_eval,
            progress=progress,
            stop=stop,
        )
        return result(r, units=pd.concat(rows, ignore_index=True))

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"default": cls(), "relu": cls(activation="relu", inits=("zeros", "constant", "he_normal"))}

    def summary(self, result: Result) -> dict:
        u = result.frames["units"]
        last = u[u.step == u.step.max()]
        s = result.frames["summary"].set_index("variant")
        return {
            name: {
                "distinct_units_per_layer": g["distinct"].tolist(),
                "units_per_layer": list(self.hidden),
                "test_accuracy": float(s.loc[name].get("test_acc", float("nan"))),
            }
            for name, g in last.groupby("variant", sort=False)
        }


@dataclass(frozen=True)
class InitComparison(Spec):
    """Book figure 6-15: the same MNIST network and mini-batches, trained with SGD from each
    chosen initialization (and activation)."""

    kind = "init-mnist"
    dataset: str = "mnist"
    hidden: tuple[int, ...] = (100, 100, 100, 100)
    activations: tuple[str, ...] = ("relu",)
    inits: tuple[str, ...] = ("normal", "xavier", "he_normal")
    init_std: float = 0.01
    init_value: float = 0.5
    init_scale: float = 1.0
    lr: float = 0.01
    batch_size: int = 128
    iterations: int = 2000
    n_train: int = 0  # 0: all 60,000 training images
    seed: int = 0

    def __post_init__(self):
        check_inits(self.inits, self.activations)
        if not self.activations or len(set(self.activations)) != len(self.activations):
            raise ValueError("choose each activation at most once, and at least one")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError("use at least one hidden layer of at least 1 unit")
        if self.iterations < 1 or self.batch_size < 1:
            raise ValueError("iterations and batch size must be at least 1")
        if not 0 < self.lr <= 10:
            raise ValueError("the learning rate must be in (0, 10]")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        self.variants()

    def variants(self) -> list[Variant]:
        sizes = (784, *self.hidden, 10)
        sgd = OptimizerSpec.of("sgd", lr=self.lr)
        nets = [
            NetSpec(sizes, act, init, self.init_std, self.init_value, self.init_scale)
            for act in self.activations
            for init in self.inits
        ]
        return keyed(nets, sgd)

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
        return {
            "book": cls(),
            "quick": cls(iterations=300),
            "sigmoid": cls(activations=("sigmoid",), inits=("normal", "xavier", "he_normal")),
        }

    def summary(self, result: Result) -> dict:
        return {
            row.variant: {
                "final_smoothed_loss": row.final_loss,
                "test_accuracy": getattr(row, "test_acc", float("nan")),
                "diverged_at": None if pd.isna(row.diverged_at) else int(row.diverged_at),
            }
            for row in result.frames["summary"].itertuples()
        }


@dataclass(frozen=True)
class PReLUSlopes(Spec):
    """ReLU, Leaky ReLU and PReLU nets trained in lockstep on MNIST; records the negative-side
    slope every PReLU layer learns (one per layer, starting at 0.25)."""

    kind = "prelu-slopes"
    activations: tuple[str, ...] = ("relu", "leaky_relu", "prelu")
    hidden: tuple[int, ...] = (100, 100, 100)
    init: str = "he_normal"
    lr: float = 0.001
    batch_size: int = 128
    iterations: int = 300
    every: int = 12  # iterations // 24, as the page records them
    n_train: int = 5000
    dataset: str = "mnist"
    seed: int = 0

    def __post_init__(self):
        check_inits((self.init,), self.activations)
        if "prelu" not in self.activations or len(set(self.activations)) != len(self.activations):
            raise ValueError("include PReLU, and each activation at most once")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError("use at least one hidden layer of at least 1 unit")
        if not 1 <= self.every <= self.iterations:
            raise ValueError("record the slopes every 1 to `iterations` steps")
        if not 0 < self.lr <= 10 or self.batch_size < 1:
            raise ValueError("the learning rate must be in (0, 10] and the batch size at least 1")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")

    def variants(self) -> list[Variant]:
        adam = OptimizerSpec.of("adam", lr=self.lr)
        sizes = (784, *self.hidden, 10)
        return [Variant(a, NetSpec(sizes, a, self.init), adam, keys={"activation": a}) for a in self.activations]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        variants = self.variants()
        rows = [(0, i + 1, PRELU_INIT) for i in range(len(self.hidden))]

        def on_eval(step: int, metrics, groups) -> None:
            for g in groups:
                for j, k in enumerate(g.indices):
                    if variants[k].net.activation == "prelu":
                        rows.extend(
                            (step, i + 1, float(getattr(g.model, f"a{i}")[j].detach())) for i in range(len(self.hidden))
                        )

        r = fit(
            variants,
            dataset=self.dataset,
            n_train=self.n_train,
            seed=self.seed,
            n_test=2000,
            batch_size=self.batch_size,
            steps=self.iterations,
            eval_every=self.every,
            on_eval=on_eval,
            progress=progress,
            stop=stop,
        )
        slopes = pd.DataFrame(rows, columns=["step", "layer", "slope"]).drop_duplicates(["step", "layer"])
        return result(r, slopes=slopes)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"default": cls(), "quick": cls(iterations=100, n_train=2000)}

    def summary(self, result: Result) -> dict:
        s = result.frames["slopes"]
        last = s[s.step == s.step.max()].sort_values("layer")
        acc = result.frames["summary"].set_index("variant").get("test_acc")
        return {
            "learned_slopes": dict(zip((f"layer {i}" for i in last.layer), last.slope)),
            "test_accuracy": {} if acc is None else acc.to_dict(),
        }
