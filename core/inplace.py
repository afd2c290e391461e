"""The optimizers of `core.optimizers` once more, as in-place updates of stacked tensors.

The pure rules there are the definitions: they show the arithmetic and run on the 2-D
playground's NumPy points. Training calls these twins instead. Each overwrites the weights and
its state with fused kernels (`lerp_`, `addcmul_`, `addcdiv_`), so an update reads and writes
each number a few times instead of once per `+` or `*` of the formula: SGD's update is one pass
instead of three, and the book preset's four updates take about 40 % less time per step.
Where every setting is a plain float, Adam, AdamW, AdaGrad and (at a fixed rate) Momentum and
Nesterov go further and run PyTorch's own fused kernels (CPU and CUDA), one pass in all.
`tests/core/test_optimizers.py` holds every kernel equal to its rule.

Hyperparameters are floats or per-variant [k, 1] tensors, as in the pure rules; the state holds
tensors shaped like the weights, created at the first step. The step number `t` is an int, or a
0-dim tensor on the weights' device: then no number a kernel receives from Python changes from
one step to the next (rates with time decay and Adam's bias corrections are computed on the
device), which is what a CUDA graph needs to replay a step (`core.train.Stepper`). Where a fused
kernel would need such a number as a Python float, the public kernels run instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from core.optimizers import METHODS, rate

Number = float | torch.Tensor
Step = int | torch.Tensor  # the step number: an int, or a 0-dim tensor on the weights' device


def _is_zero(x: Number) -> bool:
    return isinstance(x, float) and x == 0.0


def _axpy(y: torch.Tensor, a: Number, x: torch.Tensor) -> None:
    """y += a * x."""
    if isinstance(a, torch.Tensor):
        y.addcmul_(x, a)
    else:
        y.add_(x, alpha=a)


def _axpy_div(y: torch.Tensor, a: Number, x: torch.Tensor, d: torch.Tensor) -> None:
    """y += a * x / d."""
    if isinstance(a, torch.Tensor):
        y.addcdiv_(x * a, d)
    else:
        y.addcdiv_(x, d, value=a)


def _ema(avg: torch.Tensor, x: torch.Tensor, beta: Number) -> torch.Tensor:
    """avg <- beta * avg + (1 - beta) * x."""
    return avg.lerp_(x, 1.0 - beta)


def _state(s: dict, key: str, like: torch.Tensor) -> torch.Tensor:
    if key not in s:
        s[key] = torch.zeros_like(like)
    return s[key]


def _coupled(w: torch.Tensor, g: torch.Tensor, hp: Mapping) -> torch.Tensor:
    """g + weight_decay * w, as `core.optimizers._l2`; the gradient buffer is left alone."""
    wd = hp["weight_decay"]
    if _is_zero(wd):
        return g
    return torch.addcmul(g, w, wd) if isinstance(wd, torch.Tensor) else torch.add(g, w, alpha=wd)


def sgd(w, g, s, hp, t):
    _axpy(w, -rate(hp, t), _coupled(w, g, hp))


FUSED_DEVICES = ("cpu", "cuda")  # where torch.optim documents fused=True for all four kernels used here
FUSED_KERNELS = ("_fused_sgd_", "_fused_adagrad_", "_fused_adam_", "_fused_adamw_")
# Private functions of torch (what torch.optim calls with fused=True): a PyTorch that drops one
# still trains here, through the public kernels below; tests/core/test_optimizers.py then fails
# on purpose, so that the lost speed is noticed.
FUSED = all(hasattr(torch, name) for name in FUSED_KERNELS)


def _fusable(w: torch.Tensor, hp: Mapping, *numbers: Number) -> bool:
    """PyTorch's fused kernels (the ones `torch.optim` runs with `fused=True`) update the
    weights in one pass instead of four to six, about three times faster on the CPU; they take
    plain-float settings only, so per-variant [k, 1] settings (and `numbers` computed from a
    step number held on the device) take the kernels below, and so does every device outside
    FUSED_DEVICES (Apple's MPS has no fused AdaGrad)."""
    plain = not any(isinstance(v, torch.Tensor) for v in (*hp.values(), *numbers))
    return FUSED and w.device.type in FUSED_DEVICES and plain


def _fused_momentum(w, g, s, hp, nesterov):
    """torch's SGD keeps b = -v / lr in place of the course's velocity v. While the rate stays
    fixed the steps are the same, Nesterov's included, so its fused kernel serves then."""
    torch._fused_sgd_(
        [w], [g], [_state(s, "v", w)],
        weight_decay=hp["weight_decay"], momentum=hp["momentum"], lr=hp["lr"], dampening=0.0,
        nesterov=nesterov, maximize=False, is_first_step=False,
    )  # fmt: skip


def _fixed_rate(w: torch.Tensor, hp: Mapping) -> bool:
    return _fusable(w, hp) and _is_zero(hp["decay"])


def momentum(w, g, s, hp, t):
    if _fixed_rate(w, hp):
        _fused_momentum(w, g, s, hp, nesterov=False)
        return
    v = _state(s, "v", w).mul_(hp["momentum"])
    _axpy(v, -rate(hp, t), _coupled(w, g, hp))
    w.add_(v)


def nesterov(w, g, s, hp, t):
    if _fixed_rate(w, hp):
        _fused_momentum(w, g, s, hp, nesterov=True)
        return
    m, v = hp["momentum"], _state(s, "v", w)
    g = _coupled(w, g, hp)
    _axpy(w, -m, v)  # w - m * v_old ...
    v.mul_(m)
    _axpy(v, -rate(hp, t), g)
    _axpy(w, 1.0 + m, v)  # ... + (1 + m) * v_new


def _step_count(s: dict, t: Step, like: torch.Tensor) -> list[torch.Tensor]:
    """The step number as the fused kernels read it: a float32 tensor on the weights' device
    (torch.optim's own choice), kept in the state and set in place, so a GPU step makes no copy."""
    if "_t" not in s:  # underscore: the kernel's bookkeeping, not a quantity of the rule
        s["_t"] = torch.zeros((), dtype=torch.float32, device=like.device)
    return [s["_t"].copy_(t) if isinstance(t, torch.Tensor) else s["_t"].fill_(float(t))]


def adagrad(w, g, s, hp, t):
    lr = rate(hp, t)
    if _fusable(w, hp, lr):
        torch._fused_adagrad_(
            [w], [g], [_state(s, "h", w)], _step_count(s, t, w),
            lr=lr, lr_decay=0.0, weight_decay=hp["weight_decay"], eps=hp["eps"], maximize=False,
        )  # fmt: skip
        return
    g = _coupled(w, g, hp)
    h = _state(s, "h", w).addcmul_(g, g)
    _axpy_div(w, -rate(hp, t), g, h.sqrt().add_(hp["eps"]))


def rmsprop(w, g, s, hp, t):
    g = _coupled(w, g, hp)
    sq = _ema(_state(s, "s", w), g * g, hp["rho"])
    _axpy_div(w, -rate(hp, t), g, sq.sqrt().add_(hp["eps"]))


def _fused_adam(kernel, w, g, s, hp, t, book) -> bool:
    """One step by torch's fused Adam kernel where it can take it; False where it cannot.
    torch's Adam divides by sqrt(v) / sqrt(1 - b2^t) + eps, the book by sqrt(v) + eps after
    folding sqrt(1 - b2^t) into the rate: the same step once eps is divided by sqrt(1 - b2^t)."""
    b1, b2 = hp["beta1"], hp["beta2"]
    eps = hp["eps"] / (1.0 - b2**t) ** 0.5 if book else hp["eps"]
    lr = rate(hp, t)
    if not _fusable(w, hp, eps, lr):
        return False
    kernel(
        [w], [g], [_state(s, "m", w)], [_state(s, "v", w)], [], _step_count(s, t, w),
        lr=lr, beta1=b1, beta2=b2, weight_decay=hp["weight_decay"], eps=eps, amsgrad=False, maximize=False,
    )  # fmt: skip
    return True


def _adam_core(w, g, s, hp, t, book):
    b1, b2 = hp["beta1"], hp["beta2"]
    m = _ema(_state(s, "m", w), g, b1)
    v = _ema(_state(s, "v", w), g * g, b2)
    if book:
        lr_t = rate(hp, t) * (1.0 - b2**t) ** 0.5 / (1.0 - b1**t)
        _axpy_div(w, -lr_t, m, v.sqrt().add_(hp["eps"]))
    else:
        denom = v.sqrt().div_((1.0 - b2**t) ** 0.5).add_(hp["eps"])
        _axpy_div(w, -rate(hp, t) / (1.0 - b1**t), m, denom)


def adam(w, g, s, hp, t, book=False):
    if not _fused_adam(torch._fused_adam_, w, g, s, hp, t, book):
        _adam_core(w, _coupled(w, g, hp), s, hp, t, book)


def adamw(w, g, s, hp, t, book=False):
    if _fused_adam(torch._fused_adamw_, w, g, s, hp, t, book):
        return
    if not _is_zero(hp["weight_decay"]):
        w.mul_(1.0 - rate(hp, t) * hp["weight_decay"])
    _adam_core(w, g, s, hp, t, book)


def adadelta(w, g, s, hp, t):
    g = _coupled(w, g, hp)
    rho, eps = hp["rho"], hp["eps"]
    v = _ema(_state(s, "v", w), g * g, rho)
    u = _state(s, "u", w)
    delta = (u + eps).sqrt_().div_((v + eps).sqrt_()).mul_(g)
    _ema(u, delta * delta, rho)
    _axpy(w, -rate(hp, t), delta)


KERNELS: dict[str, Callable] = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
    "adadelta": adadelta,
}


@torch.no_grad()
def step(method: str, book: bool, w: torch.Tensor, g: torch.Tensor, state: dict, t: Step, hp: Mapping) -> None:
    """Update `w` in place by `method` (the book's arithmetic where `book` and it has one)."""
    if METHODS[method].has_book_rule:
        KERNELS[method](w, g, state, hp, t, book)
    else:
        KERNELS[method](w, g, state, hp, t)
