"""Losses with a local and a global minimum, gradient descent on them, and a verdict on the
learning rate: converged, slow, oscillating or diverged.

The update rules are `core.optimizers`' own (they work on NumPy arrays); the gradients are
written out by hand, so a path of a thousand steps costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.optimizers import OptimizerSpec
from core.surfaces import trajectory

VERDICTS = ("converged", "slow", "oscillating", "diverged")
MINIMA = ("global_min", "local_min")  # what each landscape's minima are, in the order it lists them
LR_GRID = tuple(float(f"{10 ** (k / 10):.3g}") for k in range(-40, 11))  # 1e-4 .. 10, ten per decade


def _double_well(x: np.ndarray) -> np.ndarray:
    return x**4 - 4 * x**2 + x


def _double_well_grad(x: np.ndarray) -> np.ndarray:
    return 4 * x**3 - 8 * x + 1


@dataclass(frozen=True)
class Landscape:
    """A loss over 1 or 2 weights; `f` takes the coordinates as separate arrays."""

    key: str
    latex: str
    f: Callable[..., np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, ...]
    view: tuple[float, ...]  # x_min, x_max (, y_min, y_max)
    minima: tuple[tuple[float, ...], ...]  # the global minimum first

    @property
    def dim(self) -> int:
        return len(self.start)

    def loss(self, p: np.ndarray) -> np.ndarray:
        """Loss of points p [..., dim]."""
        p = np.asarray(p, dtype=np.float64)
        return self.f(*(p[..., i] for i in range(self.dim)))


def _polish(grad: Callable, hess: Callable, guess: tuple[float, ...]) -> tuple[float, ...]:
    """A minimum found from a nearby guess by Newton's method, so the markers sit exactly."""
    p = np.asarray(guess, dtype=np.float64)
    for _ in range(50):
        p = p - np.linalg.solve(np.atleast_2d(hess(p)), np.atleast_1d(grad(p)))
    return tuple(float(v) for v in p)


def _make() -> dict[str, Landscape]:
    hess1 = lambda p: 12 * p**2 - 8  # noqa: E731
    g1 = lambda p: _double_well_grad(np.asarray(p))  # noqa: E731
    one = Landscape(
        "well_1d",
        r"L(w) = w^4 - 4w^2 + w",
        _double_well,
        g1,
        (2.0,),
        (-2.5, 2.8),
        (_polish(g1, hess1, (-1.5,)), _polish(g1, hess1, (1.3,))),
    )

    def f2(x, y):
        return _double_well(x) + 2 * y**2 + x * y

    def g2(p):
        x, y = p
        return np.array([_double_well_grad(x) + y, 4 * y + x])

    def h2(p):
        return np.array([[12 * p[0] ** 2 - 8, 1.0], [1.0, 4.0]])

    two = Landscape(
        "well_2d",
        r"L(w_1, w_2) = w_1^4 - 4w_1^2 + w_1 + 2w_2^2 + w_1 w_2",
        f2,
        g2,
        (2.0, 1.5),
        (-2.5, 2.8, -2.5, 2.5),
        (_polish(g2, h2, (-1.5, 0.4)), _polish(g2, h2, (1.3, -0.3))),
    )
    return {one.key: one, two.key: two}


LANDSCAPES = _make()


def descend(key: str, opt: OptimizerSpec, start: tuple[float, ...], steps: int) -> np.ndarray:
    """Positions [steps + 1, dim], the start first; rows after a divergence are NaN."""
    land = LANDSCAPES[key]
    if len(start) != land.dim:
        raise ValueError(f"this loss has {land.dim} weight(s); the start has {len(start)}")
    return trajectory(land.grad, opt, start, steps)


@dataclass(frozen=True)
class Verdict:
    """What became of a run: `kind` is one of VERDICTS; `minimum` the index of the minimum it
    settled in (0 = global) when it converged, `step` the step it got there or diverged."""

    kind: str
    minimum: int | None = None
    step: int | None = None


def verdict(key: str, points: np.ndarray, tol: float = 1e-3, window: int = 20) -> Verdict:
    """Judge a path by its end: diverged if it escaped, converged if it stopped within `tol`
    of a minimum, oscillating if its late steps keep reversing direction, slow otherwise."""
    land = LANDSCAPES[key]
    ok = ~np.isnan(points).any(axis=1)
    if not ok.all():
        return Verdict("diverged", step=int(np.argmin(ok)))
    minima = np.asarray(land.minima)
    dist = np.linalg.norm(points[:, None, :] - minima[None, :, :], axis=2)  # [T, n_minima]
    near = dist.min(axis=1) < tol
    if near[-1]:
        arrived = len(near) - int(np.argmin(near[::-1])) if not near.all() else 0
        return Verdict("converged", int(dist[-1].argmin()), arrived)
    moves = np.diff(points[-(window + 1) :], axis=0)
    if len(moves) >= 3:
        turns = np.sum(moves[1:] * moves[:-1], axis=1) < 0
        if turns.mean() > 0.5:
            return Verdict("oscillating")
    return Verdict("slow")


def grid(key: str, n: int = 80) -> tuple[np.ndarray, ...]:
    """x, y and loss over the view of a 2-D landscape (x and loss for a 1-D one)."""
    land = LANDSCAPES[key]
    if land.dim == 1:
        xs = np.linspace(land.view[0], land.view[1], n * 4)
        return xs, land.f(xs)
    x0, x1, y0, y1 = land.view
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return gx, gy, land.f(gx, gy)


@dataclass(frozen=True)
class Walk:
    """Gradient descent on one landscape from its start: what the page's knobs choose."""

    landscape: str = "well_1d"
    method: str = "sgd"
    lr: float = 0.0501
    steps: int = 100

    def __post_init__(self):
        if self.landscape not in LANDSCAPES:
            raise ValueError(f"unknown landscape {self.landscape!r}; choose one of {', '.join(LANDSCAPES)}")
        if self.steps < 1:
            raise ValueError("the walk needs at least 1 step")
        self.optimizer()  # validates the method and the rate

    def optimizer(self) -> OptimizerSpec:
        return OptimizerSpec.of(self.method, lr=self.lr)

    def points(self) -> np.ndarray:
        """Positions [steps + 1, dim]; rows after a divergence are NaN."""
        return descend(self.landscape, self.optimizer(), LANDSCAPES[self.landscape].start, self.steps)

    def frame(self, points: np.ndarray) -> pd.DataFrame:
        """The finite part of the path as rows (step, loss, x[, y]), keyed by the rate."""
        land = LANDSCAPES[self.landscape]
        out = pd.DataFrame(
            {"step": np.arange(len(points)), "loss": land.loss(points), "variant": "walk", "lr": self.lr}
        )
        for i, axis in enumerate(("x", "y")[: land.dim]):
            out[axis] = points[:, i]
        return out.dropna()

    @classmethod
    def presets(cls) -> dict[str, Walk]:
        """The lecture's four rates with plain SGD on the one-weight loss: too large, too small,
        bouncing, fine."""
        return {"diverge": cls(lr=10.0), "crawl": cls(lr=0.001), "oscillate": cls(lr=0.126), "good": cls(lr=0.0501)}
