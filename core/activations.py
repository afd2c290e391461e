"""Activation functions as curves: f(x), its slope f'(x), and where that slope is almost zero.

The slope is what backpropagation multiplies by at every layer, so a region where it is nearly
zero (sigmoid and tanh far from 0, ReLU below 0) passes almost no gradient back. Slopes come
from autograd on the very functions the networks use (`core.nets.activate`), so the curves
cannot drift from the training code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from core.nets import ACTIVATIONS, LEAKY_SLOPE, PRELU_INIT, activate

CURVES = ("step", *ACTIVATIONS)  # the step function is drawn for history; no network uses it
FLAT = 0.05  # a slope below 5 % of the function's steepest slope counts as "almost no gradient"
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def curve(name: str, x: torch.Tensor, slope: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) and f'(x) of activation `name` on the points `x`. `slope` is the negative-side slope
    of leaky ReLU and PReLU (default: 0.01 and PReLU's starting value 0.25)."""
    if name not in CURVES:
        raise ValueError(f"unknown activation {name!r}")
    if name == "step":
        return (x > 0).to(x.dtype), torch.zeros_like(x)
    with torch.enable_grad():  # also inside no_grad probes
        z = x.detach().clone().requires_grad_(True)
        f = negative_slope_activation(name, z, slope)
        (df,) = torch.autograd.grad(f.sum(), z)
    return f.detach(), df


def negative_slope_activation(name: str, z: torch.Tensor, slope: float | None) -> torch.Tensor:
    """Leaky ReLU and PReLU with a chosen negative-side slope; every other activation as is."""
    if name in ("leaky_relu", "prelu"):
        default = LEAKY_SLOPE if name == "leaky_relu" else PRELU_INIT
        a = torch.tensor(default if slope is None else float(slope), dtype=z.dtype)
        return activate("prelu", z, a)
    return activate(name, z)


def slope(
    name: str, z: torch.Tensor, h: torch.Tensor | None = None, prelu_slope: torch.Tensor | None = None
) -> torch.Tensor:
    """f'(z) elementwise, for statistics on recorded pre-activations z (and, when given, the
    activations h = f(z), which make sigmoid's and tanh's slopes free)."""
    if name == "sigmoid":
        s = torch.sigmoid(z) if h is None else h
        return s * (1 - s)
    if name == "tanh":
        return 1 - (torch.tanh(z) if h is None else h) ** 2
    if name == "relu":
        return (z > 0).to(z.dtype)
    if name in ("leaky_relu", "prelu"):
        a = LEAKY_SLOPE if name == "leaky_relu" else prelu_slope
        return torch.where(z >= 0, torch.ones_like(z), a * torch.ones_like(z))
    if name == "linear":
        return torch.ones_like(z)
    _, df = curve(name, z)
    return df


@cache
def max_slope(name: str, slope_value: float | None = None) -> float:
    """The steepest slope of f over a wide range, the yardstick for "almost flat"."""
    x = torch.linspace(-20, 20, 4001, dtype=torch.float64)
    return float(curve(name, x, slope_value)[1].abs().max())


def flat(name: str, df: torch.Tensor, slope_value: float | None = None) -> torch.Tensor:
    """Where |f'| is below `FLAT` times the steepest slope: hardly any gradient passes there."""
    top = max_slope(name, slope_value)
    return df.abs() < FLAT * top if top > 0 else torch.ones_like(df, dtype=torch.bool)


@dataclass(frozen=True)
class CurveFacts:
    """What one drawn curve shows on the range drawn: its steepest slope there, the share of
    the range where it is almost flat (`flat`), and the flat point nearest to 0 (`flat_from`;
    None when no point is flat)."""

    name: str
    steepest: float
    flat: float
    flat_from: float | None


def curve_facts(name: str, x: torch.Tensor, slope_value: float | None = None) -> CurveFacts:
    """`CurveFacts` of activation `name` on the points `x`, with the flat test of `flat`."""
    _, df = curve(name, x, slope_value)
    low = flat(name, df, slope_value)
    edge = round(float(x[low][x[low].abs().argmin()]), 6) + 0.0 if bool(low.any()) else None  # no "-0"
    return CurveFacts(name, float(df.abs().max()), float(low.double().mean()), edge)
