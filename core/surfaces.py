"""Two-dimensional loss surfaces and optimizer paths on them.

Gradients are written out by hand in NumPy: a path of 1000 steps is a few thousand tiny array
operations, far cheaper than autograd on two numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.optimizers import OptimizerSpec


@dataclass(frozen=True)
class Surface:
    key: str
    latex: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    view: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    minima: tuple[tuple[float, float], ...]


def _rosen_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def _himmel_grad(p):
    x, y = p
    a, b = x * x + y - 11, x + y * y - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


SURFACES: dict[str, Surface] = {
    s.key: s
    for s in (
        Surface(
            "book",
            r"f(x, y) = \frac{x^2}{20} + y^2",
            lambda x, y: x**2 / 20 + y**2,
            lambda p: np.array([p[0] / 10, 2 * p[1]]),
            (-7.0, 2.0),
            (-10.0, 10.0, -5.0, 5.0),
            ((0.0, 0.0),),
        ),
        Surface(
            "knou",
            r"J(x) = x_1^2 + (2x_2)^2 - x_1 x_2",
            lambda x, y: x**2 + 4 * y**2 - x * y,
            lambda p: np.array([2 * p[0] - p[1], 8 * p[1] - p[0]]),
            (-5.0, 4.0),
            (-6.0, 6.0, -5.0, 5.0),
            ((0.0, 0.0),),
        ),
        Surface(
            "rosenbrock",
            r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
            lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
            _rosen_grad,
            (-1.5, 2.0),
            (-2.0, 2.0, -1.0, 3.0),
            ((1.0, 1.0),),
        ),
        Surface(
            "saddle",
            r"f(x, y) = x^2 - y^2",
            lambda x, y: x**2 - y**2,
            lambda p: np.array([2 * p[0], -2 * p[1]]),
            (-4.0, 0.01),
            (-5.0, 5.0, -5.0, 5.0),
            (),
        ),
        Surface(
            "himmelblau",
            r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
            _himmel_grad,
            (0.0, 0.0),
            (-5.0, 5.0, -5.0, 5.0),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        ),
    )
}

ESCAPE = 1e6  # a coordinate this large means the path has left any sensible view: diverged


def trajectory(
    grad: Callable[[np.ndarray], np.ndarray], opt: OptimizerSpec, start: tuple[float, ...], steps: int
) -> np.ndarray:
    """Positions [steps + 1, dim] of `opt` following `grad` from `start`, the start first; the
    rows after a divergence are NaN."""
    if steps < 0:
        raise ValueError("the number of steps must be at least 0")
    w = np.asarray(start, dtype=np.float64)
    out = np.full((steps + 1, w.size), np.nan)
    out[0] = w
    state: dict = {}
    hp = opt.hp
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            w = opt.step(w, grad(w), state, t, hp)  # for Nesterov, w is the stored look-ahead point
            p = opt.position(w, state, hp)
            if not all(abs(v) <= ESCAPE for v in p.tolist()):  # also catches NaN
                break
            out[t] = p
    return out


def path(surface: str, opt: OptimizerSpec, start: tuple[float, float], steps: int) -> np.ndarray:
    """An optimizer's path [steps + 1, 2] on one of the 2-D surfaces."""
    return trajectory(SURFACES[surface].grad, opt, start, steps)


def view(surface: str, start: tuple[float, float]) -> tuple[float, float, float, float]:
    """The surface's default view, grown (with a margin of a tenth) to hold `start`, so that a
    start point off the usual map still shows with its path."""
    x0, x1, y0, y1 = SURFACES[surface].view
    sx, sy = start
    mx, my = 0.1 * (max(x1, sx) - min(x0, sx)), 0.1 * (max(y1, sy) - min(y0, sy))
    return (
        x0 if sx >= x0 else sx - mx,
        x1 if sx <= x1 else sx + mx,
        y0 if sy >= y0 else sy - my,
        y1 if sy <= y1 else sy + my,
    )


def grid(
    surface: str, n: int = 120, bounds: tuple[float, float, float, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and f over `bounds` (the surface's default view if None), for contour drawing."""
    x0, x1, y0, y1 = SURFACES[surface].view if bounds is None else bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, SURFACES[surface].f(gx, gy)
