"""Gradient checking: two-sided numerical differences against autograd, in float64.

For every parameter tensor the relative error ||g_num - g_bp|| / (||g_num|| + ||g_bp||) is
reported. A "planted bug" swaps in a custom autograd function with a wrong backward for one
layer, so the student sees what a real backprop mistake looks like to the check.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core import device
from core.nets import ACTIVATIONS as NET_ACTIVATIONS
from core.nets import BatchedMLP, NetSpec, activate, recommended_init
from core.train import per_variant_loss

BUGS = ("none", "activation", "weight")
NO_SIGNAL = 1e-6  # a tensor whose gradient norm is this small next to the largest one has none
GREAT, SUSPECT, BUG = 1e-7, 1e-5, 1e-3  # the course's marks: great, worth a look, a bug
READINGS = ("great", "look", "bug", "none")  # `reading` of a tensor: its band, or no signal at all
ACTIVATIONS = tuple(a for a in NET_ACTIVATIONS if a != "prelu")  # PReLU's slope would be one more tensor
EPS_GRID = tuple(10.0**k for k in range(-12, -1))
TINY_EPS = 1e-9  # below this, float64 rounding swamps the difference J(θ + ε) − J(θ − ε)


class _SkipActivationGrad(torch.autograd.Function):
    """The activation forward, but a backward that forgets its derivative (passes the
    gradient straight through, as if the activation were the identity)."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, name: str) -> torch.Tensor:
        return activate(name, h)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, None


class _ScaledWeightGrad(torch.autograd.Function):
    """The identity on a weight, with a backward that returns 1.1 times the gradient: a wrong
    constant factor, the kind of slip a hand-written backward makes."""

    @staticmethod
    def forward(ctx, w: torch.Tensor) -> torch.Tensor:
        return w.view_as(w)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad * 1.1


@dataclass(frozen=True)
class GradCheckSpec:
    """What to check. `bug_layer` is the hidden layer (0-based) where a bug is planted."""

    depth: int = 3
    width: int = 8
    n_in: int = 5
    n_out: int = 3
    activation: str = "tanh"
    batchnorm: bool = False
    batch: int = 8
    eps: float = 1e-6
    bug: str = "none"
    bug_layer: int = 0
    seed: int = 0

    def __post_init__(self):
        if not 1 <= self.depth <= 10:
            raise ValueError("the depth (hidden layers) must be between 1 and 10")
        if min(self.width, self.n_in, self.n_out, self.batch) < 1:
            raise ValueError("width, inputs, outputs and batch size must be at least 1")
        if not 0 < self.eps < 1:
            raise ValueError("epsilon must be between 0 and 1")
        if self.bug not in BUGS:
            raise ValueError(f"unknown bug {self.bug!r}; choose one of {', '.join(BUGS)}")
        if not 0 <= self.bug_layer < self.depth:
            raise ValueError("the bug must sit in one of the hidden layers")
        if self.activation == "prelu":
            raise ValueError("PReLU is not offered here; its slope would be one more tensor to check")
        self.net()

    def net(self) -> NetSpec:
        sizes = (self.n_in, *(self.width,) * self.depth, self.n_out)
        return NetSpec(sizes, self.activation, recommended_init(self.activation), batchnorm=self.batchnorm)


@dataclass(frozen=True)
class TensorCheck:
    """One parameter tensor's result. `no_signal` marks a tensor whose true gradient is zero
    (e.g. a bias right before batch norm, which subtracts it again): both gradients are then
    rounding noise and their relative error means nothing."""

    name: str
    shape: tuple[int, ...]
    rel_error: float
    norm_numeric: float
    norm_backprop: float
    no_signal: bool = False


def forward(model: BatchedMLP, x: torch.Tensor, bug: str = "none", bug_layer: int = 0) -> torch.Tensor:
    """The network's forward pass (train mode, no dropout), with the planted bug if any."""
    h = x
    for i in range(len(model.sizes) - 1):
        W = getattr(model, f"W{i}")
        if bug == "weight" and i == bug_layer:
            W = _ScaledWeightGrad.apply(W)
        h = torch.bmm(h.expand(model.K, *h.shape) if h.dim() == 2 else h, W)
        if model.bias:
            h = h + getattr(model, f"b{i}")
        if i == model.n_hidden:
            return h
        if model.batchnorm:
            h = model.normalize(i, h)
        if bug == "activation" and i == bug_layer:
            h = _SkipActivationGrad.apply(h, model.specs[0].activation)
        else:
            h = model.hidden_activation(i, h)
    return h


def setup(spec: GradCheckSpec) -> tuple[BatchedMLP, torch.Tensor, torch.Tensor]:
    """The float64 network and a random batch with random labels, on the current device, or on
    the CPU where that device has no float64 (Apple's MPS)."""
    dev = device.for_dtype(torch.float64)
    model = BatchedMLP([spec.net()], [spec.seed]).to(dev, torch.float64)
    gen = torch.Generator().manual_seed(spec.seed + 1)
    x = torch.randn(spec.batch, spec.n_in, generator=gen, dtype=torch.float64)
    y = torch.randint(0, spec.n_out, (spec.batch,), generator=gen)
    return model, x.to(dev), y.to(dev)


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """||a - b|| / (||a|| + ||b||); 0 when both are exactly zero."""
    denom = float(a.norm() + b.norm())
    return float((a - b).norm()) / denom if denom > 0 else 0.0


def backprop(spec: GradCheckSpec, model: BatchedMLP, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Autograd's gradient of every parameter, through the (possibly bugged) backward."""
    model.zero_grad()
    per_variant_loss(forward(model, x, spec.bug, spec.bug_layer), y).sum().backward()
    return {name: p.grad[0].detach().clone() for name, p in model.named_parameters()}


def numeric(spec: GradCheckSpec, model: BatchedMLP, x: torch.Tensor, y: torch.Tensor, chunk: int = 128):
    """Two-sided differences (L(t + eps) - L(t - eps)) / (2 eps) for every single weight.

    Instead of two forward passes per weight, one network per perturbed copy of the weights
    runs in a single batched pass (the variant axis of `BatchedMLP`), `chunk` weights at a time."""
    base = {name: p.detach()[0] for name, p in model.named_parameters()}
    flat = torch.cat([v.reshape(-1) for v in base.values()])
    total = flat.numel()
    K = 2 * min(chunk, total)
    copies = BatchedMLP([spec.net()] * K, [spec.seed] * K).to(flat.device, torch.float64)
    grads = torch.empty_like(flat)
    with torch.no_grad():
        for start in range(0, total, chunk):
            idx = torch.arange(start, min(start + chunk, total), device=flat.device)
            rows = torch.arange(len(idx), device=flat.device) * 2
            theta = flat.expand(K, total).clone()
            theta[rows, idx] += spec.eps
            theta[rows + 1, idx] -= spec.eps
            offset = 0
            for name, value in base.items():
                n = value.numel()
                getattr(copies, name).copy_(theta[:, offset : offset + n].view(K, *value.shape))
                offset += n
            loss = per_variant_loss(forward(copies, x), y)
            grads[idx] = (loss[rows] - loss[rows + 1]) / (2 * spec.eps)
    out, offset = {}, 0
    for name, value in base.items():
        out[name] = grads[offset : offset + value.numel()].view(value.shape)
        offset += value.numel()
    return out


def check(spec: GradCheckSpec) -> list[TensorCheck]:
    """Relative error of backprop against two-sided differences, per parameter tensor."""
    model, x, y = setup(spec)
    bp, num = backprop(spec, model, x, y), numeric(spec, model, x, y)
    largest = max(float(g.norm()) for g in bp.values())
    out = []
    for name, g in bp.items():
        n_norm, b_norm = float(num[name].norm()), float(g.norm())
        out.append(
            TensorCheck(
                name,
                tuple(g.shape),
                relative_error(num[name], g),
                n_norm,
                b_norm,
                max(n_norm, b_norm) <= NO_SIGNAL * largest,
            )
        )
    return out


def band(rel_error: float) -> str:
    """The course's reading of a relative error."""
    if rel_error < GREAT:
        return "great"
    if rel_error < BUG:
        return "look"
    return "bug"


def reading(check: TensorCheck) -> str:
    """How to read one tensor's result (`READINGS`): its band, or "none" where the true gradient
    is zero and the relative error means nothing."""
    return "none" if check.no_signal else band(check.rel_error)


def notes(spec: GradCheckSpec, checks: list[TensorCheck]) -> list[str]:
    """What a reader should know about this check: "batch_one" (batch norm over one example
    normalizes everything to 0, so the check passes vacuously), else "no_signal" (some tensors
    have no gradient to compare), and "tiny_eps" (ε too small for float64)."""
    out = []
    if spec.batchnorm and spec.batch == 1:
        out.append("batch_one")
    elif any(c.no_signal for c in checks):
        out.append("no_signal")
    if spec.eps < TINY_EPS:
        out.append("tiny_eps")
    return out


LARGE_EPS = 1e-4  # above this the two-sided difference's own error (about ε²) shows in the check
KINKED = ("relu", "leaky_relu")  # activations with a kink at 0, which a finite difference may straddle


@dataclass(frozen=True)
class CheckFacts:
    """What a check shows. `case`: "clean" (no bug planted, every tensor great), "caught" (the
    planted bug reads as a bug), "missed" (a planted bug that no tensor shows), "false_alarm" (no
    bug planted, yet some tensor reads worse than great), "vacuous" (batch norm over one example:
    nothing was tested). `reason` says why a check is not what the textbook expects: "tiny_eps",
    "large_eps", "kink" or None (nothing in the settings explains it)."""

    case: str
    worst: str | None  # the tensor with the largest relative error among those with a gradient
    worst_error: float | None
    flagged: tuple[str, ...]  # tensors read "bug"
    looked: tuple[str, ...]  # tensors read "look"
    reason: str | None = None


def reason(spec: GradCheckSpec) -> str | None:
    """What in the settings, other than a bug, makes the numerical gradient inexact."""
    if spec.eps < TINY_EPS:
        return "tiny_eps"
    if spec.eps > LARGE_EPS:
        return "large_eps"
    return "kink" if spec.activation in KINKED else None


def facts(spec: GradCheckSpec, checks: list[TensorCheck]) -> CheckFacts:
    signal = [c for c in checks if not c.no_signal]
    worst = max(signal, key=lambda c: c.rel_error) if signal else None
    flagged = tuple(c.name for c in signal if band(c.rel_error) == "bug")
    looked = tuple(c.name for c in signal if band(c.rel_error) == "look")
    if spec.batchnorm and spec.batch == 1:
        case = "vacuous"
    elif spec.bug != "none":
        case = "caught" if flagged else "missed"
    else:
        case = "false_alarm" if flagged or looked else "clean"
    why = reason(spec) if case in ("missed", "false_alarm") else None
    return CheckFacts(case, worst and worst.name, worst and worst.rel_error, flagged, looked, why)
