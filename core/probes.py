"""Per-layer statistics of a network: what the activations look like and how much gradient
reaches each layer. They show, layer by layer, whether the signal survives the depth of the
network (initialization, vanishing and exploding gradients, dead ReLUs) and whether the units
of a layer have become different from each other (symmetry breaking).

The statistics functions take a `BatchedMLP` and return one row per variant (column `k`) and
layer, layers counted from 1 (the first hidden layer).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch

from core import device
from core.activations import BOUNDED, FLAT, max_slope, slope
from core.nets import BatchedMLP
from core.train import per_variant_loss

UNIT_TOLERANCE = 1e-6  # units whose weights differ by less than this (relative) count as one


def _f64(t: torch.Tensor) -> torch.Tensor:
    """`t` in float64 for exact statistics: on its device where that has float64, else on the CPU."""
    return t.double() if device.supports(t.device, torch.float64) else t.cpu().double()


@contextmanager
def eval_mode(model: BatchedMLP) -> Iterator[None]:
    """Probe as the network predicts (running batch norm, no dropout), then restore its mode."""
    was = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was)


def record(model: BatchedMLP, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each hidden layer's (pre-activation, activation), both [K, B, n], in eval mode."""
    rec: list[tuple[torch.Tensor, torch.Tensor]] = []
    with eval_mode(model):
        model(x, record=rec)
    return rec


def _slopes(model: BatchedMLP, i: int, k: int, z: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """f'(z) of variant k's activation at hidden layer i."""
    a = getattr(model, f"a{i}", None)
    return slope(model.specs[k].activation, z, h, None if a is None else a[k].detach())


@torch.no_grad()
def activation_stats(model: BatchedMLP, x: torch.Tensor, rec: list | None = None) -> pd.DataFrame:
    """Per variant and layer: mean and std (`act_std`, named apart from an init's `std` key
    column) of the activations, the fraction `flat` of entries where the activation's slope is
    below 5 % of its steepest (saturated sigmoid/tanh, ReLU below 0: hardly any gradient passes),
    and the fraction `dead` of units whose slope is zero for every input of `x` (dead ReLUs). `rec` reuses a forward pass already recorded on x."""
    rows = []
    for i, (z, h) in enumerate(record(model, x) if rec is None else rec):
        z, h = z.detach(), h.detach()
        for k in range(model.K):
            d = _slopes(model, i, k, z[k], h[k])
            top = max_slope(model.specs[k].activation)
            hk = _f64(h[k])
            rows.append(
                {
                    "k": k,
                    "layer": i + 1,
                    "mean": float(hk.mean()),
                    "act_std": float(hk.std(unbiased=False)),
                    "flat": float(_f64(d.abs() < FLAT * top).mean()),
                    "dead": float(_f64((d == 0).all(dim=0)).mean()),
                }
            )
    return pd.DataFrame(rows)


def histogram_range(name: str, activations: list[torch.Tensor]) -> tuple[float, float]:
    """The x-range of a row of histograms: the activation's own range when it is bounded (the
    book draws sigmoid over (0, 1)), else from the smallest value to the 99.5th percentile of
    all layers together, so that layers are drawn on one scale and growth or shrinkage shows."""
    if name in BOUNDED:
        return BOUNDED[name]
    pooled = _f64(torch.cat([a.reshape(-1) for a in activations]))
    pooled = pooled[torch.isfinite(pooled)]
    if pooled.numel() == 0:
        return (0.0, 1.0)
    lo = float(pooled.min())
    sample = torch.randperm(pooled.numel(), generator=torch.Generator().manual_seed(0))[:100_000].to(pooled.device)
    hi = float(torch.quantile(pooled[sample], 0.995))  # quantile() refuses very large inputs
    if not hi > lo:
        hi = lo + max(abs(lo), 1.0)
    return (lo, hi)


@torch.no_grad()
def histograms(model: BatchedMLP, x: torch.Tensor, bins: int = 30) -> pd.DataFrame:
    """Per variant and layer: the share of activations in each of `bins` equal bins (values
    beyond the range are counted in the outermost bins). Columns k, layer, left, right, share."""
    rec = record(model, x)
    rows = []
    for k in range(model.K):
        acts = [h[k] for _, h in rec]
        lo, hi = histogram_range(model.specs[k].activation, acts)
        edges = np.linspace(lo, hi, bins + 1)
        for i, a in enumerate(acts):
            values = _f64(a).reshape(-1).clamp(lo, hi)
            counts = torch.histc(values, bins=bins, min=lo, max=hi).cpu().numpy()
            share = counts / max(values.numel(), 1)
            rows.extend(
                {"k": k, "layer": i + 1, "left": edges[b], "right": edges[b + 1], "share": float(share[b])}
                for b in range(bins)
            )
    return pd.DataFrame(rows)


def layer_stats(model: BatchedMLP, x: torch.Tensor, y: torch.Tensor) -> pd.DataFrame:
    """`activation_stats` plus, per variant and hidden layer, `signal`: the norm of
    dLoss/d(pre-activation), the gradient backpropagation delivers to the layer, and `grad_norm`:
    the norm of the gradient of the weights into the layer. One forward and one backward pass;
    the training gradients are left untouched."""
    rec: list[tuple[torch.Tensor, torch.Tensor]] = []
    with eval_mode(model), torch.enable_grad():
        loss = per_variant_loss(model(x, record=rec), y)
        zs = [z for z, _ in rec]
        weights = model.weights()[: len(rec)]
        grads = torch.autograd.grad(loss.sum(), zs + weights, allow_unused=True)
    n = len(rec)
    rows = [
        {"k": k, "layer": i + 1, "signal": _norm(grads[i], k), "grad_norm": _norm(grads[n + i], k)}
        for i in range(n)
        for k in range(model.K)
    ]
    return activation_stats(model, x, rec).merge(pd.DataFrame(rows), on=["k", "layer"])


def _norm(g: torch.Tensor | None, k: int) -> float:
    return 0.0 if g is None else float(_f64(g[k]).norm())


@torch.no_grad()
def unit_stats(model: BatchedMLP) -> pd.DataFrame:
    """Per variant and hidden layer: how many distinct units the layer has (units whose incoming
    weights and bias agree within a relative 1e-6 count as one) and `spread`, the mean over
    incoming connections of the standard deviation across units. Zero or constant weights keep
    every unit of a layer identical: one distinct unit, spread 0."""
    rows = []
    for i in range(model.n_hidden):
        W = getattr(model, f"W{i}")
        b = getattr(model, f"b{i}", None)
        for k in range(model.K):
            units = _f64(W[k].T)  # [n_out, n_in]: one row per unit
            if b is not None:
                units = torch.cat([units, _f64(b[k].T)], dim=1)
            rows.append(
                {"k": k, "layer": i + 1, "distinct": distinct_rows(units), "spread": float(units.std(0).mean())}
                if len(units) > 1
                else {"k": k, "layer": i + 1, "distinct": 1, "spread": 0.0}
            )
    return pd.DataFrame(rows)


def distinct_rows(rows: torch.Tensor) -> int:
    """The number of rows not within a relative `UNIT_TOLERANCE` (max-abs difference over the
    rows' scale) of any earlier row."""
    scale = float(rows.abs().max()) or 1.0
    close = torch.cdist(rows, rows, p=float("inf")) <= UNIT_TOLERANCE * scale
    return int((~torch.tril(close, diagonal=-1).any(dim=1)).sum())
