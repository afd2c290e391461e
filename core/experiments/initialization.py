"""Weight initialization: activation histograms (book figures 6-10 to 6-14), symmetry,
vanishing and exploding signals over depth, the MNIST comparison (book figure 6-15), and
PReLU's learned slope.

In every experiment the compared initializations form the variants of one `BatchedMLP`: they
see the same input and, when trained, the same mini-batches, so only the initial weights differ.
A variant's id is its init (and activation, where several are compared); its key columns
(`init`, `std`, `value`, `init_scale`, `activation`) say what sets it apart, and `ui.labels`
names it. The facts the pages put into words (`spread_facts`, `depth_facts`, `symmetry_facts`,
`mnist_facts`, `prelu_facts`) are computed here from a result's numbers, with their thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
import torch

from core import data, device
from core.nets import ACTIVATIONS, INITS, PRELU_INIT, BatchedMLP, NetSpec, recommended_init
from core.optimizers import OptimizerSpec
from core.probes import activation_stats, histograms, layer_stats, unit_stats
from core.spec import Progress, Result, Spec, Stop
from core.train import Variant, fit, make_groups, result, train

INPUT_SEED_OFFSET = 1_000_003  # the random input must not reuse the weights' random stream
PROBE_SIZE = 256  # training images the depth probe measures on

# What a row of histograms says (`spread_verdict`). Layer 1 sees the raw N(0, 1) input; every
# later layer sees the previous layer's output, which is what an init must pass on unchanged, so
# the trend is each fed layer's std over the previous one's (geometric mean, from layer 2 on).
SATURATED_SHARE = 0.3  # of sigmoid/tanh outputs in the flat region: the gradient is blocked
IDENTICAL_STD = 1e-12  # an activation spread this small means every value is the same
BUNCHED_STD = 0.05  # a sigmoid/tanh spread this narrow: no saturation, but units agree
STEADY_PER_LAYER = 0.9  # each layer keeps 90 % to 1/0.9 of the previous spread: steady
FIRST_FED_LAYER = 2  # the first layer whose input is another layer's output
Verdict = Literal["saturated", "identical", "bunched", "shrinks", "grows", "steady"]
# The book's reading of its figures 6-10 to 6-14 (COURSE.md; the book prints no numbers there):
# (activation, init, std of a normal init or None) -> (figure, verdict), on the book's settings only
BOOK_HISTOGRAMS: dict[tuple[str, str, float | None], tuple[str, Verdict]] = {
    ("sigmoid", "normal", 1.0): ("6-10", "saturated"),
    ("sigmoid", "normal", 0.01): ("6-11", "bunched"),
    ("sigmoid", "xavier", None): ("6-13", "steady"),
    ("relu", "normal", 0.01): ("6-14", "shrinks"),
    ("relu", "xavier", None): ("6-14", "shrinks"),
    ("relu", "he_normal", None): ("6-14", "steady"),
}

# Depth profile (`depth_facts`): the gradient ‖∂L/∂z‖ at layer 1 within this factor of the last
# hidden layer's counts as level; beyond it, it vanished or exploded on its way back
GRADIENT_BAND = 10.0
DEAD_SHARE = 0.5  # a layer with more than half of its units dead blocks most of the gradient
Trend = Literal["steady", "vanishes", "explodes", "no_gradient"]
Reason = Literal["sigmoid_slope", "saturated", "dead_units", "scale", "small_weights", "large_weights"]

# MNIST: a loss that stays above this share of ln 10 (guessing among ten digits) learned nothing
STUCK_SHARE = 0.95
CHANCE_LOSS = math.log(10)
BOOK_MNIST = ("6-15", "normal", "he_normal")  # figure, the init that does not learn, the best one

# Symmetry: a layer whose units all agree is one unit copied `width` times
SYMMETRIC_INITS = ("zeros", "constant")

# PReLU: a learned slope that moved less than this from its start has not learned anything yet;
# test accuracies closer than this are a tie among the ReLU family
SLOPE_MOVED = 0.01
ACCURACY_TIE = 0.01


def init_keys(net: NetSpec) -> dict[str, object]:
    """The key columns of a variant that differs from the others by its initial weights: the
    init, the setting that init reads (`std` of normal, `init_value` of constant) and
    `init_scale` where it is not 1."""
    keys: dict[str, object] = {"init": net.init}
    if net.init == "normal":
        keys["std"] = net.init_std
    if net.init == "constant":
        keys["init_value"] = net.init_value
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


def per_layer_ratio(stds: np.ndarray) -> float:
    """The geometric mean of a layer's std over the previous layer's, from `FIRST_FED_LAYER` on
    (from layer 1 where the stack is too shallow): what each layer does to the spread it gets."""
    start = FIRST_FED_LAYER - 1 if len(stds) > FIRST_FED_LAYER else 0
    first, last, steps = stds[start], stds[-1], len(stds) - 1 - start
    if steps == 0:
        return 1.0
    if first <= 0:
        return math.inf if last > 0 else 1.0
    return float((last / first) ** (1 / steps))


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
    ratio = per_layer_ratio(stds)
    if ratio < STEADY_PER_LAYER:
        return "shrinks"
    if ratio > 1 / STEADY_PER_LAYER:
        return "grows"
    return "steady"


@dataclass(frozen=True)
class SpreadFacts:
    """What one row of histograms shows: its verdict, the std of the first and the deepest layer,
    the per-layer ratio the verdict follows (measured from layer `from_layer` on), the deepest
    layer's share of flat-slope values, the book's figure and verdict where the settings are
    the book's (else None), whether the init is the course's match for the activation, whether
    the run shows what that rule predicts (`expected`: steady exactly when matched), and why a
    matched init lets a sigmoid or tanh spread fade (their slope is below 1 off the origin)."""

    variant: str
    verdict: Verdict
    depth: int
    first_std: float
    last_std: float
    per_layer: float
    from_layer: int
    flat: float
    book: tuple[str, Verdict] | None
    matched: bool
    expected: bool
    reason: Literal["slope_below_one"] | None


def spread_facts(spec: InitHistograms, stats: pd.DataFrame) -> list[SpreadFacts]:
    """`SpreadFacts` of every variant of an `InitHistograms` stats frame, in the spec's order."""
    out = []
    for name, g in stats.sort_values("layer", kind="stable").groupby("variant", sort=False):
        stds, flats = g["act_std"].to_numpy(), g["flat"].to_numpy()
        init = g["init"].iloc[0]
        std = spec.init_std if init == "normal" else None
        book = BOOK_HISTOGRAMS.get((spec.activation, init, std)) if spec.book_settings() else None
        verdict = spread_verdict(spec.activation, stds, flats)
        fits = matched(init, spec.activation) and spec.init_scale == 1  # a scaled init is no longer the rule's
        bounded = spec.activation in ("sigmoid", "tanh")
        out.append(
            SpreadFacts(
                name,
                verdict,
                len(stds),
                float(stds[0]),
                float(stds[-1]),
                per_layer_ratio(stds),
                FIRST_FED_LAYER if len(stds) > FIRST_FED_LAYER else 1,
                float(flats[-1]),
                book,
                fits,
                (verdict == "steady") == fits,
                "slope_below_one" if fits and bounded and verdict in ("shrinks", "bunched") else None,
            )
        )
    return out


def matched(init: str, activation: str) -> bool:
    """Whether `init` is of the family the course pairs with `activation` (Xavier or He)."""
    return init.split("_")[0] == recommended_init(activation).split("_")[0]


@dataclass(frozen=True)
class DepthFacts:
    """What one variant's depth profile shows in one phase: the gradient ‖∂L/∂z‖ at layer 1
    (`first`) and at the last hidden layer (`last`), what each layer multiplies it by on its way
    back (`per_layer`), whether it stays level, vanishes or explodes, the activation spread at
    both ends, the largest share of flat-slope values and of dead units in a layer, whether the
    init is the course's match for the activation, whether the run shows what that rule
    predicts (`expected`: level exactly when matched), and why where it is not level (`reason`)."""

    variant: str
    phase: str
    depth: int
    first: float
    last: float
    per_layer: float
    trend: Trend
    act_first: float
    act_last: float
    flat: float
    dead: float
    scale: float
    matched: bool
    expected: bool
    reason: Reason | None


def gradient_trend(first: float, last: float) -> Trend:
    """Level, vanished or exploded: layer 1's gradient against the last layer's, `GRADIENT_BAND`."""
    if not (math.isfinite(first) and math.isfinite(last)):
        return "explodes"
    if last <= 0:
        return "explodes" if first > 0 else "no_gradient"
    ratio = first / last
    return "vanishes" if ratio < 1 / GRADIENT_BAND else "explodes" if ratio > GRADIENT_BAND else "steady"


def depth_reason(
    activation: str, fits: bool, trend: Trend, flat: float, dead: float, scale: float, act: tuple
) -> Reason | None:
    """Why a gradient is not level (or, for a level one, the saturation it hides): sigmoid's
    slope of at most 1/4 under its matched init (`fits`), saturated units, dead ReLUs, a scaled
    init, or weights too small or too large for the activation (the spread follows them)."""
    bounded = activation in ("sigmoid", "tanh")
    if bounded and flat > SATURATED_SHARE:
        return "saturated"
    if trend == "steady":
        return None
    if trend == "vanishes" and activation == "sigmoid" and fits:
        return "sigmoid_slope"
    if dead > DEAD_SHARE:
        return "dead_units"
    if scale != 1:
        return "scale"
    return "small_weights" if act[1] < act[0] or trend == "vanishes" else "large_weights"


def depth_facts(activation: str, profile: pd.DataFrame) -> list[DepthFacts]:
    """`DepthFacts` of every variant in the last phase of a `DepthProfile` profile frame (after
    training where the run trained, else at initialization), in the run's order."""
    phase = "trained" if (profile["phase"] == "trained").any() else "init"
    p = profile[profile["phase"] == phase].sort_values("layer", kind="stable")
    out = []
    for name, g in p.groupby("variant", sort=False):
        first, last = float(g["signal"].iloc[0]), float(g["signal"].iloc[-1])
        depth = len(g)
        trend = gradient_trend(first, last)
        ok = first > 0 and last > 0 and math.isfinite(first / last)
        per_layer = (first / last) ** (1 / (depth - 1)) if ok and depth > 1 else 1.0 if ok else math.nan
        flat, dead = float(g["flat"].max()), float(g["dead"].max())
        scale = float(g["init_scale"].iloc[0]) if "init_scale" in g.columns else 1.0
        act = (float(g["act_std"].iloc[0]), float(g["act_std"].iloc[-1]))
        fits = matched(g["init"].iloc[0], activation) and scale == 1  # a scaled init is no longer the rule's
        out.append(
            DepthFacts(
                name,
                phase,
                depth,
                first,
                last,
                per_layer,
                trend,
                *act,
                flat,
                dead,
                scale,
                fits,
                (trend == "steady") == fits,
                depth_reason(activation, fits, trend, flat, dead, scale, act),
            )
        )
    return out


@dataclass(frozen=True)
class MnistFacts:
    """What an MNIST comparison shows: the variant whose loss went lowest and its loss, those
    that never left chance (ids; None and () before any loss is known) and their losses, and,
    on the book's settings, the figure and whether the run agrees with it (σ = 0.01 stuck, He
    best)."""

    best: str | None
    stuck: tuple[str, ...]
    best_loss: float = math.nan
    book: str | None = None
    agrees: bool | None = None
    stuck_losses: tuple[float, ...] = ()


def mnist_facts(summary: pd.DataFrame, book: bool = False) -> MnistFacts:
    """`MnistFacts` of an `InitComparison` summary; `book`: the run used the book's settings."""
    done = summary.dropna(subset=["final_loss"])
    if done.empty:
        return MnistFacts(None, ())
    chance = done[done.final_loss > STUCK_SHARE * CHANCE_LOSS]
    stuck, best = tuple(chance["variant"]), done.loc[done.final_loss.idxmin()]
    figure, bad, good = BOOK_MNIST
    agrees = (bad in stuck and best["variant"] == good) if book else None
    losses = tuple(float(x) for x in chance["final_loss"])
    return MnistFacts(best["variant"], stuck, float(best["final_loss"]), figure if book else None, agrees, losses)


@dataclass(frozen=True)
class SymmetryFacts:
    """One variant at the end of a symmetry run: its distinct units per hidden layer, the
    layers' widths, its test accuracy, whether every layer (wider than one unit) is a single
    unit copied, and whether that is what its init predicts (zeros and constant stay copies)."""

    variant: str
    distinct: tuple[int, ...]
    widths: tuple[int, ...]
    accuracy: float
    symmetric: bool
    expected: bool


def symmetry_facts(hidden: tuple[int, ...], units: pd.DataFrame, summary: pd.DataFrame) -> list[SymmetryFacts]:
    """`SymmetryFacts` of every variant at the last recorded step of a `Symmetry` run."""
    last = units[units.step == units.step.max()].sort_values("layer", kind="stable")
    acc = summary.set_index("variant")["test_acc"] if "test_acc" in summary.columns else pd.Series(dtype=float)
    out = []
    for name, g in last.groupby("variant", sort=False):
        distinct = tuple(int(d) for d in g["distinct"])
        symmetric = all(d == 1 for d, w in zip(distinct, hidden) if w > 1) and max(hidden) > 1
        expected = symmetric == (g["init"].iloc[0] in SYMMETRIC_INITS) or max(hidden) == 1  # one unit: no copies
        out.append(SymmetryFacts(name, distinct, hidden, float(acc.get(name, math.nan)), symmetric, expected))
    return out


@dataclass(frozen=True)
class PReLUFacts:
    """What a PReLU run shows: each layer's learned slope at the last record, the largest move
    from the start, whether they moved at all (`SLOPE_MOVED`), the best and the worst test
    accuracy (variant ids and values) and whether they tie (`ACCURACY_TIE`)."""

    step: int
    slopes: tuple[float, ...]
    moved: float
    learned: bool
    best: str | None
    worst: str | None
    best_acc: float
    worst_acc: float
    tie: bool


def prelu_facts(slopes: pd.DataFrame, summary: pd.DataFrame) -> PReLUFacts:
    last = slopes[slopes.step == slopes.step.max()].sort_values("layer")
    moved = float((last["slope"] - PRELU_INIT).abs().max())
    acc = summary.dropna(subset=["test_acc"]) if "test_acc" in summary.columns else summary.iloc[:0]
    best = acc.loc[acc.test_acc.idxmax()] if len(acc) else None
    worst = acc.loc[acc.test_acc.idxmin()] if len(acc) else None
    return PReLUFacts(
        int(last["step"].max()),
        tuple(float(a) for a in last["slope"]),
        moved,
        moved >= SLOPE_MOVED,
        None if best is None else best["variant"],
        None if worst is None else worst["variant"],
        math.nan if best is None else float(best["test_acc"]),
        math.nan if worst is None else float(worst["test_acc"]),
        best is not None and round(float(best["test_acc"] - worst["test_acc"]), 4) < ACCURACY_TIE,  # as shown
    )


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

    def book_settings(self) -> bool:
        """Whether the stack is the book's (figures 6-10 to 6-14): 5 layers of 100 units, 1000
        inputs of 100 values, unscaled inits; only then is the book's reading comparable."""
        book = InitHistograms()
        return (self.depth, self.width, self.n_samples, self.n_in, self.init_scale) == (
            book.depth,
            book.width,
            book.n_samples,
            book.n_in,
            book.init_scale,
        )

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

    def book_settings(self) -> bool:
        """Whether this is figure 6-15's run (the book's network, data, SGD and iterations, with
        at least its σ = 0.01 and He inits), so that the book's reading applies."""
        _, bad, good = BOOK_MNIST
        return {bad, good} <= set(self.inits) and replace(self, inits=InitComparison().inits) == InitComparison()

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
