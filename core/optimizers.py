"""The optimizers of the course as pure update rules.

Each rule maps (weights, gradient, state, hyperparameters, step t) to new weights using only
arithmetic and `** 0.5`, so the same code runs on NumPy points (2-D playground), on tensors of
one network, and on weights stacked over a leading variant axis with per-variant
hyperparameters. These rules are the definitions the app shows and tests against torch.optim;
network training runs their in-place twins in `core.inplace`, which a test holds equal to them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Tensorish = Any  # float, numpy array or torch tensor: anything with + - * / and ** 0.5


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: its default and the range a slider offers (log scale where apt)."""

    name: str
    default: float
    low: float
    high: float
    log: bool = False


def rate(hp: Mapping, t: int) -> Tensorish:
    """Keras-style time decay `lr / (1 + decay * (t - 1))`; decay 0 keeps the rate fixed."""
    decay = hp["decay"]
    return hp["lr"] if isinstance(decay, float) and decay == 0.0 else hp["lr"] / (1.0 + decay * (t - 1))


def _l2(w: Tensorish, g: Tensorish, hp: Mapping) -> Tensorish:
    """Coupled weight decay as in `torch.optim`: the L2 term's gradient is added to g."""
    wd = hp["weight_decay"]
    return g if isinstance(wd, float) and wd == 0.0 else g + wd * w


def sgd(w, g, s, hp, t):
    return w - rate(hp, t) * _l2(w, g, hp)


def momentum(w, g, s, hp, t):
    s["v"] = hp["momentum"] * s.get("v", 0.0) - rate(hp, t) * _l2(w, g, hp)
    return w + s["v"]


def nesterov(w, g, s, hp, t):
    # Stores the look-ahead point u = w + m*v (as torch and Keras do), so the gradient the
    # training loop computes at the stored weights is the look-ahead gradient of the course's
    # rule; `position` turns u back into the course's w.
    v_old = s.get("v", 0.0)
    s["v"] = hp["momentum"] * v_old - rate(hp, t) * _l2(w, g, hp)
    return w - hp["momentum"] * v_old + (1.0 + hp["momentum"]) * s["v"]


def _nesterov_position(w, s, hp):
    return w - hp["momentum"] * s.get("v", 0.0)


def adagrad(w, g, s, hp, t):
    g = _l2(w, g, hp)
    s["h"] = s.get("h", 0.0) + g * g
    return w - rate(hp, t) * g / (s["h"] ** 0.5 + hp["eps"])


def rmsprop(w, g, s, hp, t):
    g = _l2(w, g, hp)
    s["s"] = hp["rho"] * s.get("s", 0.0) + (1.0 - hp["rho"]) * g * g
    return w - rate(hp, t) * g / (s["s"] ** 0.5 + hp["eps"])


def _adam_core(w, g, s, hp, t, book):
    b1, b2 = hp["beta1"], hp["beta2"]
    s["m"] = b1 * s.get("m", 0.0) + (1.0 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1.0 - b2) * g * g
    if book:  # the book folds both corrections into the rate; eps then sits on the raw sqrt(v)
        lr_t = rate(hp, t) * (1.0 - b2**t) ** 0.5 / (1.0 - b1**t)
        return w - lr_t * s["m"] / (s["v"] ** 0.5 + hp["eps"])
    # lr*m_hat/(sqrt(v_hat)+eps), with the scalar factors combined before they touch a tensor
    step = rate(hp, t) / (1.0 - b1**t)
    return w - step * s["m"] / (s["v"] ** 0.5 / (1.0 - b2**t) ** 0.5 + hp["eps"])


def adam(w, g, s, hp, t, book=False):
    return _adam_core(w, _l2(w, g, hp), s, hp, t, book)


def adamw(w, g, s, hp, t, book=False):
    # decoupled: shrink the weights directly, the decay never enters the adaptive statistics
    return _adam_core(w * (1.0 - rate(hp, t) * hp["weight_decay"]), g, s, hp, t, book)


def adadelta(w, g, s, hp, t):
    g = _l2(w, g, hp)
    rho, eps = hp["rho"], hp["eps"]
    s["v"] = rho * s.get("v", 0.0) + (1.0 - rho) * g * g
    delta = (s.get("u", 0.0) + eps) ** 0.5 / (s["v"] + eps) ** 0.5 * g
    s["u"] = rho * s.get("u", 0.0) + (1.0 - rho) * delta * delta
    return w - rate(hp, t) * delta


@dataclass(frozen=True)
class Method:
    """An optimizer of the course: its update rule, knobs and formula for display."""

    key: str
    label: str
    step: Callable
    hypers: tuple[Hyper, ...]
    latex: str
    position: Callable = field(default=lambda w, s, hp: w)
    has_book_rule: bool = False

    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hypers}

    def hyper(self, name: str) -> Hyper:
        return next(h for h in self.hypers if h.name == name)


def _lr_hyper(default: float) -> Hyper:
    return Hyper("lr", default, 1e-5, 10.0, log=True)


_COMMON = (Hyper("weight_decay", 0.0, 0.0, 1.0), Hyper("decay", 0.0, 0.0, 1.0))
_MOMENTUM = Hyper("momentum", 0.9, 0.0, 0.999)
_EPS = Hyper("eps", 1e-7, 1e-12, 1e-2, log=True)

METHODS: dict[str, Method] = {
    m.key: m
    for m in (
        Method(
            "sgd",
            "SGD",
            sgd,
            (_lr_hyper(0.01), *_COMMON),
            r"w \leftarrow w - \eta\,\frac{\partial L}{\partial w}",
        ),
        Method(
            "momentum",
            "Momentum",
            momentum,
            (_lr_hyper(0.01), _MOMENTUM, *_COMMON),
            r"\begin{aligned} v &\leftarrow \alpha v - \eta\,\frac{\partial L}{\partial w} \\ w &\leftarrow w + v \end{aligned}",
        ),
        Method(
            "nesterov",
            "Nesterov",
            nesterov,
            (_lr_hyper(0.01), _MOMENTUM, *_COMMON),
            r"\begin{aligned} v &\leftarrow \alpha v - \eta\,\nabla L(w + \alpha v) \\ w &\leftarrow w + v \end{aligned}",
            position=_nesterov_position,
        ),
        Method(
            "adagrad",
            "AdaGrad",
            adagrad,
            (_lr_hyper(0.01), _EPS, *_COMMON),
            r"\begin{aligned} h &\leftarrow h + g \odot g \\ w &\leftarrow w - \eta\,\frac{g}{\sqrt{h} + \epsilon} \end{aligned}",
        ),
        Method(
            "rmsprop",
            "RMSProp",
            rmsprop,
            (_lr_hyper(0.01), Hyper("rho", 0.99, 0.0, 0.9999), _EPS, *_COMMON),
            r"\begin{aligned} s &\leftarrow \rho s + (1-\rho)\, g \odot g \\ "
            r"w &\leftarrow w - \eta\,\frac{g}{\sqrt{s} + \epsilon} \end{aligned}",
        ),
        Method(
            "adam",
            "Adam",
            adam,
            (
                _lr_hyper(0.001),
                Hyper("beta1", 0.9, 0.0, 0.999),
                Hyper("beta2", 0.999, 0.0, 0.99999),
                _EPS,
                *_COMMON,
            ),
            r"\begin{aligned} m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ v &\leftarrow \beta_2 v + (1-\beta_2)\, g^2 \\ "
            r"w &\leftarrow w - \eta\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon} \end{aligned}",
            has_book_rule=True,
        ),
        Method(
            "adamw",
            "AdamW",
            adamw,
            (
                _lr_hyper(0.001),
                Hyper("beta1", 0.9, 0.0, 0.999),
                Hyper("beta2", 0.999, 0.0, 0.99999),
                _EPS,
                Hyper("weight_decay", 0.01, 0.0, 1.0),
                Hyper("decay", 0.0, 0.0, 1.0),
            ),
            r"\begin{aligned} w &\leftarrow w - \eta\lambda w \\ m, v, w &\leftarrow \mathrm{Adam}(m, v, w, g) \end{aligned}",
            has_book_rule=True,
        ),
        Method(
            "adadelta",
            "Adadelta",
            adadelta,
            (
                _lr_hyper(1.0),
                Hyper("rho", 0.95, 0.0, 0.9999),
                Hyper("eps", 1e-7, 1e-12, 1e-2, log=True),
                *_COMMON,
            ),
            r"\begin{aligned} v &\leftarrow \rho v + (1-\rho)\, g^2 \\ \Delta &= \frac{\sqrt{u+\epsilon}}{\sqrt{v+\epsilon}}\, g \\ "
            r"u &\leftarrow \rho u + (1-\rho)\,\Delta^2 \\ w &\leftarrow w - \eta\,\Delta \end{aligned}",
        ),
    )
}


@dataclass(frozen=True)
class OptimizerSpec:
    """A method with its hyperparameters, as plain sorted pairs so specs hash stably.

    `book=True` selects the book's own Adam arithmetic (only Adam and AdamW differ).
    """

    method: str
    hyper: tuple[tuple[str, float], ...] = ()
    book: bool = False

    @classmethod
    def of(cls, method: str, book: bool = False, **hyper: float) -> OptimizerSpec:
        if method not in METHODS:
            raise ValueError(f"unknown optimizer {method!r}; choose one of {', '.join(METHODS)}")
        m = METHODS[method]
        unknown = set(hyper) - set(m.defaults())
        if unknown:
            raise ValueError(f"{m.label} has no hyperparameter {', '.join(sorted(unknown))}")
        values = {**m.defaults(), **{k: float(v) for k, v in hyper.items()}}
        for name, value in values.items():
            h = m.hyper(name)
            if not h.low <= value <= h.high:
                raise ValueError(f"{m.label}: {name} = {value:g} is outside [{h.low:g}, {h.high:g}]")
        return cls(method, tuple(sorted(values.items())), book and m.has_book_rule)

    @classmethod
    def from_dict(cls, d: object) -> OptimizerSpec:
        """The spec `dataclasses.asdict` wrote, rebuilt through `of`, so that an unknown method or a
        value out of range (say, in an imported file) is a ValueError, never a page error later."""
        if not isinstance(d, dict) or not isinstance(d.get("hyper"), list | tuple):
            raise ValueError("an optimizer must be an object with a method and its hyperparameters")
        try:
            spec = cls.of(d["method"], bool(d.get("book", False)), **dict(map(tuple, d["hyper"])))
        except (KeyError, TypeError) as err:
            raise ValueError(f"this is not an optimizer ({err})") from err
        if spec.book != bool(d.get("book", False)) or set(spec.hp) != {k for k, _ in d["hyper"]}:
            raise ValueError("this is not an optimizer of the lab")
        return spec

    @property
    def hp(self) -> dict[str, float]:
        return dict(self.hyper)

    @property
    def label(self) -> str:
        return METHODS[self.method].label

    def step(self, w, g, state: dict, t: int, hp: Mapping | None = None):
        """One update; `hp` may override the values with per-variant tensors."""
        method = METHODS[self.method]
        hp = self.hp if hp is None else hp
        if method.has_book_rule:
            return method.step(w, g, state, hp, t, book=self.book)
        return method.step(w, g, state, hp, t)

    def position(self, w, state: dict, hp: Mapping | None = None):
        return METHODS[self.method].position(w, state, self.hp if hp is None else hp)
