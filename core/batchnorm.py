"""Batch normalization, taken apart for teaching.

The training code normalizes inside `core.nets.BatchedMLP`; this module shows the same formula
one stage at a time (raw pre-activations, normalized, scaled and shifted), how the running
estimates used at inference follow the batch statistics, and how a trained BN network behaves
when it is fed tiny batches with batch statistics instead of its running ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core import data
from core.nets import BN_EPS, BatchedMLP

EPS = BN_EPS
STAGES = ("raw", "normalized", "scaled")
LINEAR_ZONE = 1.5  # for |x| below this the sigmoid stays within 0.06 of its tangent 1/2 + x/4
UNIT_SPREAD = 0.01  # normalized stds within this of 1: BN reached spread 1 (shown to 3 decimals)
SETTLED = 0.05  # a running estimate within this share of the population value has settled
FORGOTTEN = 0.05  # the start's weight (1 - m)^steps below this: the running estimate forgot it


def batch_norm(h: np.ndarray, gamma: float | np.ndarray, beta: float | np.ndarray, eps: float = EPS) -> dict:
    """The course's formula on one mini-batch h [B, n]: per feature, mu and the biased variance
    over the batch, x^ = (h - mu) / sqrt(var + eps), y = gamma * x^ + beta."""
    mu = h.mean(0)
    var = ((h - mu) ** 2).mean(0)
    x_hat = (h - mu) / np.sqrt(var + eps)
    return {"mu": mu, "var": var, "normalized": x_hat, "scaled": gamma * x_hat + beta}


def layer_preactivations(batch_size: int, units: int = 3, seed: int = 0, std: float = 0.05) -> np.ndarray:
    """Real pre-activations [B, units] of a first layer: a batch of MNIST images times weights
    from N(0, std^2) plus a bias. Each unit gets its own offset and spread, as in a real net,
    so that normalizing visibly moves and rescales them."""
    if batch_size < 1:
        raise ValueError("the batch needs at least one example")
    x, _ = data.subset(batch_size, "mnist", "train", seed)
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(x.shape[1], units, generator=gen) * std * torch.linspace(0.5, 2.0, units)
    b = torch.linspace(-1.0, 1.5, units)
    return (x @ w + b).numpy().astype(np.float64)


def walkthrough(batch_size: int, gamma: float, beta: float, units: int = 3, seed: int = 0) -> pd.DataFrame:
    """One mini-batch through batch norm: tidy rows (unit, sample, stage, value) for the three
    stages, plus the sigmoid of the value, to show which part of the curve each stage uses."""
    h = layer_preactivations(batch_size, units, seed)
    out = batch_norm(h, gamma, beta)
    rows = []
    for stage, values in zip(STAGES, (h, out["normalized"], out["scaled"])):
        for u in range(units):
            rows.append(
                pd.DataFrame({"unit": u + 1, "sample": np.arange(batch_size), "stage": stage, "value": values[:, u]})
            )
    df = pd.concat(rows, ignore_index=True)
    df["sigmoid"] = 1.0 / (1.0 + np.exp(-df["value"]))
    return df


def stage_stats(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and (biased) standard deviation of each unit at each stage of `walkthrough`."""
    g = df.groupby(["stage", "unit"], sort=False)["value"]
    return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=0)}).reset_index()


def linear_share(df: pd.DataFrame, zone: float = LINEAR_ZONE) -> dict[str, float]:
    """Share of each stage's values of `walkthrough` inside the sigmoid's near-linear middle
    |x| < zone: normalized values land there mostly, which is why BN needs gamma and beta."""
    inside = df["value"].abs() < zone
    return {stage: float(inside[df.stage == stage].mean()) for stage in STAGES}


@dataclass(frozen=True)
class WalkFacts:
    """What one `walkthrough` shows: per stage the range over units of the batch mean and std
    (`stage_stats`), the share of values in the sigmoid's linear middle, and the case:
    "batch_one" (every x̂ is 0), "unit_spread" (x̂ reached std 1 in every unit) or "shrunk"
    (ε outweighed a unit's variance, so its x̂ has std below 1)."""

    batch_size: int
    mean: dict[str, tuple[float, float]]
    std: dict[str, tuple[float, float]]
    linear: dict[str, float]
    case: str


def walk_facts(df: pd.DataFrame) -> WalkFacts:
    stats = stage_stats(df)
    by = stats.groupby("stage", sort=False)
    mean = {s: (float(g["mean"].min()), float(g["mean"].max())) for s, g in by}
    std = {s: (float(g["std"].min()), float(g["std"].max())) for s, g in by}
    batch = int(df["sample"].nunique())
    lo, hi = std["normalized"]
    case = "batch_one" if batch == 1 else "unit_spread" if 1 - lo < UNIT_SPREAD and hi - 1 < UNIT_SPREAD else "shrunk"
    return WalkFacts(batch, mean, std, linear_share(df), case)


@dataclass(frozen=True)
class RunningFacts:
    """Where the running estimates of `running_estimates` ended, per statistic (mean, var):
    the last running value, the population value and the gap as a share of it; `settled` when
    every gap is within `SETTLED`. `forgotten` when the start (0 and 1) weighs less than
    `FORGOTTEN` after the steps, and `steps_to_forget`, the steps that takes at this momentum."""

    steps: int
    momentum: float
    running: dict[str, float]
    population: dict[str, float]
    gap: dict[str, float]
    settled: bool
    forgotten: bool
    steps_to_forget: int


def running_facts(est: pd.DataFrame, momentum: float) -> RunningFacts:
    last = est[est.step == est["step"].max()].set_index("statistic")
    running = {s: float(last.loc[s, "running"]) for s in ("mean", "var")}
    population = {s: float(last.loc[s, "population"]) for s in ("mean", "var")}
    gap = {s: abs(running[s] - population[s]) / abs(population[s]) for s in running}
    steps = int(est["step"].max())
    keep = 1.0 - momentum
    forget = 1 if keep == 0 else math.ceil(math.log(FORGOTTEN) / math.log(keep))
    return RunningFacts(
        steps,
        momentum,
        running,
        population,
        gap,
        settled=max(gap.values()) <= SETTLED,
        forgotten=steps >= forget,
        steps_to_forget=forget,
    )


def running_estimates(batch_size: int, momentum: float, steps: int, unit: int = 3, seed: int = 0) -> pd.DataFrame:
    """How the running mean and variance (what inference uses) follow the batch statistics.

    Batches of `batch_size` pre-activations are drawn from a pool of 5000 images; after each,
    running <- (1 - momentum) * running + momentum * batch statistic, with the unbiased batch
    variance, starting from mean 0 and variance 1 (PyTorch's rule and start). The population
    values are the pool's. `unit` is one of the three units of `walkthrough`.
    Columns: step, statistic (mean/var), batch, running, population."""
    if not 0.0 < momentum <= 1.0:
        raise ValueError("the momentum must be in (0, 1]")
    if batch_size < 2:
        raise ValueError("an unbiased variance needs a batch of at least two")
    pool = layer_preactivations(5000, 3, seed)[:, unit - 1]
    rng = np.random.default_rng(seed)
    mean, var = 0.0, 1.0
    rows = []
    for step in range(1, steps + 1):
        batch = pool[rng.choice(len(pool), batch_size, replace=False)]
        b_mean, b_var = batch.mean(), batch.var(ddof=1)
        mean += momentum * (b_mean - mean)
        var += momentum * (b_var - var)
        rows.append((step, "mean", b_mean, mean, pool.mean()))
        rows.append((step, "var", b_var, var, pool.var(ddof=1)))
    return pd.DataFrame(rows, columns=["step", "statistic", "batch", "running", "population"])


@contextmanager
def kept_statistics(model: BatchedMLP) -> Iterator[BatchedMLP]:
    """Run the model in training mode (batch statistics) and give back its running statistics
    and mode untouched afterwards: looking must not change what inference will use."""
    saved = [b.clone() for b in model.buffers()]
    was = model.training
    model.train()
    try:
        with torch.no_grad():
            yield model
    finally:
        for b, s in zip(model.buffers(), saved):
            b.copy_(s)
        model.train(was)


def bn_inputs_spread(model: BatchedMLP, x: torch.Tensor) -> torch.Tensor:
    """[K] the smallest, over BN layers, median over units of √(σ_B² / (σ_B² + ε)) on the batch
    x: the spread x̂ gets in the layer where ε weighs most. 1 when σ_B² ≫ ε; far below 1 when
    the batch variance is smaller than ε, so x̂ = (x − μ)/√(σ_B² + ε) is squashed toward 0."""
    spreads: list[torch.Tensor] = []
    normalize = model.normalize

    def spy(i: int, h: torch.Tensor) -> torch.Tensor:
        var = h.var(1, unbiased=False)
        spreads.append((var / (var + model.bn_eps)).sqrt().median(-1).values)
        return normalize(i, h)

    with kept_statistics(model):
        model.normalize = spy  # an instance attribute: forward calls it instead of the method
        try:
            model(x)
        finally:
            del model.normalize
    return torch.stack(spreads).min(0).values


def preactivations(model: BatchedMLP, x: torch.Tensor) -> list[torch.Tensor]:
    """Each hidden layer's input to its activation [K, B, n] on x, as a training step sees it."""
    record: list = []
    with kept_statistics(model):
        model(x, record=record)
    return [z for z, _ in record]


def accuracy_by_batch(
    model: BatchedMLP, x: torch.Tensor, y: torch.Tensor, batch_size: int, batch_stats: bool
) -> np.ndarray:
    """Accuracy [K] when x is predicted in chunks of `batch_size`: with each chunk's own batch
    statistics (`batch_stats`, a BN net left in training mode) or with the running ones (eval
    mode, where a prediction cannot depend on the other images of its chunk). With batch
    statistics a chunk of one normalizes every unit to 0, so the prediction ignores the image."""
    correct = torch.zeros(model.K, device=x.device)
    with kept_statistics(model):
        model.train(batch_stats)
        for s in range(0, len(x), batch_size):
            correct += (model(x[s : s + batch_size]).argmax(-1) == y[s : s + batch_size]).sum(1)
    return (correct / len(x)).cpu().numpy()


def histograms(values: list[np.ndarray], bins: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Counts of each array in `values` on shared edges spanning the 0.5-99.5 % range of all of
    them, so snapshots of one layer over training can be compared bar by bar; values outside
    fall into the edge bins. Returns (edges, counts as fractions)."""
    pooled = np.concatenate([v.ravel() for v in values])
    pooled = pooled[np.isfinite(pooled)]
    lo, hi = np.percentile(pooled, [0.5, 99.5]) if len(pooled) else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    out = []
    for v in values:
        v = v.ravel()
        v = np.clip(v[np.isfinite(v)], lo, hi)
        counts, _ = np.histogram(v, edges)
        out.append(counts / max(len(v), 1))
    return edges, out
