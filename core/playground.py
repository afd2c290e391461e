"""The 2-D optimizer playground's course data: its presets (book figure 6-8, the KNOU lecture's
races and one race per other surface), the rates that keep each method lively on the surfaces,
the lecture's printed results, where each path ended (or diverged) and the facts a lesson about
the race on screen is made of.

Everything here is keyed by method id; the page names the methods in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import SURFACES, path

# Book figure 6-8's rates, and rates as lively for the methods the figure leaves out.
PLAYGROUND_LR = {
    "sgd": 0.95,
    "momentum": 0.1,
    "nesterov": 0.1,
    "adagrad": 1.5,
    "rmsprop": 0.1,
    "adam": 0.3,
    "adamw": 0.3,
    "adadelta": 1.0,
}
# The KNOU lecture's printed end points: 100 steps from (-5, 4) at learning rate 0.01.
KNOU_PRINTED = {"sgd": (-0.663, -0.107), "momentum": (-0.020, -0.0230), "nesterov": (-0.00850, -0.00174)}
KNOU_STEPS = 100
REACHED = 1e-2  # a path that ends this close to a minimum has reached it
ESCAPED = 1.0  # on the saddle, a path with |y| at least this has left the saddle point


@dataclass(frozen=True)
class Race:
    """A playground setting: a surface, the racing methods with the hyperparameters they change,
    the number of steps, and whether each path gets its own panel (as in the book's figure)."""

    surface: str
    methods: dict[str, dict[str, float]]
    steps: int
    panels: bool = False

    def __post_init__(self):
        if self.surface not in SURFACES:
            raise ValueError(f"unknown surface {self.surface!r}")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ValueError(f"unknown optimizers {unknown}")

    def hypers(self) -> dict[str, dict[str, float]]:
        """Every method's hyperparameters in this race: those it gives, else the playground's
        rate and the method's defaults (the knobs of methods not racing get them too)."""
        return {
            m: {
                h.name: self.methods.get(m, {}).get(h.name, PLAYGROUND_LR[m] if h.name == "lr" else h.default)
                for h in method.hypers
            }
            for m, method in METHODS.items()
        }


PRESETS = {
    "book": Race(
        "book",
        {"sgd": {"lr": 0.95}, "momentum": {"lr": 0.1}, "adagrad": {"lr": 1.5}, "adam": {"lr": 0.3}},
        30,
        panels=True,
    ),
    "knou": Race("knou", {m: {"lr": 0.01} for m in ("sgd", "momentum", "nesterov")}, KNOU_STEPS),
    "knou_adaptive": Race(
        "knou", {"sgd": {"lr": 0.01}, "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.1, "rho": 0.9}}, KNOU_STEPS
    ),
    # a curved, nearly flat valley floor: fixed steps crawl, momentum and Adam follow the floor
    "rosenbrock": Race(
        "rosenbrock",
        {"sgd": {"lr": 0.001}, "momentum": {"lr": 0.0005}, "rmsprop": {"lr": 0.01, "rho": 0.9}, "adam": {"lr": 0.05}},
        1000,
    ),
    # y starts at 0.01, where the downhill direction is faint: SGD stays, the others leave
    "saddle": Race(
        "saddle",
        {"sgd": {"lr": 0.01}, "momentum": {"lr": 0.01}, "rmsprop": {"lr": 0.01, "rho": 0.9}, "adam": {"lr": 0.05}},
        100,
    ),
    # from (0, 0) SGD and Adam settle in the nearest minimum, momentum rolls on into another
    "himmelblau": Race("himmelblau", {"sgd": {"lr": 0.01}, "momentum": {"lr": 0.01}, "adam": {"lr": 0.3}}, 200),
}
# The preset a surface loads when it is chosen: its start point and rates that show its lesson.
SURFACE_PRESETS = {
    "book": "book",
    "knou": "knou",
    "rosenbrock": "rosenbrock",
    "saddle": "saddle",
    "himmelblau": "himmelblau",
}


def race(surface: str, specs: list[OptimizerSpec], start: tuple[float, float], steps: int) -> pd.DataFrame:
    """Every optimizer's path as one tidy frame: variant (the method id), method, step, x, y and
    the loss there; rows after a divergence are NaN."""
    f = SURFACES[surface].f
    frames = []
    for spec in specs:
        pts = path(surface, spec, start, steps)
        frames.append(
            pd.DataFrame(
                {
                    "variant": spec.method,
                    "method": spec.method,
                    "step": np.arange(len(pts)),
                    "x": pts[:, 0],
                    "y": pts[:, 1],
                    "loss": f(pts[:, 0], pts[:, 1]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def printed_point(spec: OptimizerSpec, surface: str, start: tuple[float, float], steps: int):
    """The lecture's printed end point for `spec`, only when the race is the lecture's own (its
    function, start, number of steps and this method's rate and momentum); else None."""
    method = spec.method
    if surface != "knou" or steps != KNOU_STEPS or tuple(start) != SURFACES["knou"].start:
        return None
    return KNOU_PRINTED.get(method) if method in KNOU_PRINTED and spec == OptimizerSpec.of(method, lr=0.01) else None


def endpoints(paths: pd.DataFrame, surface: str, steps: int, specs: Sequence[OptimizerSpec] = ()) -> pd.DataFrame:
    """Where each path of `race` ended: variant, method, x, y, loss, the step it diverged at
    (NaN if it did not) and, where `specs` run the lecture's race, the lecture's printed point
    (else None) and the distance from the app's point to it (`gap`, else NaN)."""
    by_method = {s.method: s for s in specs}
    rows = []
    for variant, g in paths.groupby("variant", sort=False):
        first, last = g.iloc[0], g.dropna().iloc[-1]
        method = last.method
        spec = by_method.get(method)
        printed = None if spec is None else printed_point(spec, surface, (first.x, first.y), steps)
        rows.append(
            {
                "variant": variant,
                "method": method,
                "x": last.x,
                "y": last.y,
                "loss": last.loss,
                "diverged_at": int(last.step) + 1 if last.step < steps else np.nan,
                "printed": printed,
                "gap": np.nan if printed is None else float(np.hypot(last.x - printed[0], last.y - printed[1])),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Ending:
    """Where one path ended: its point and loss, the step it diverged at (None if it did not),
    the index of the surface's minimum it reached (within `REACHED`; None if none), on the
    saddle whether it escaped (|y| at least `ESCAPED`), and how often it turned back along y
    (the zig-zag across a narrow valley)."""

    variant: str
    method: str
    x: float
    y: float
    loss: float
    diverged_at: int | None
    minimum: int | None
    escaped: bool
    turns: int


@dataclass(frozen=True)
class RaceFacts:
    """What a race on screen shows, for its lesson. `endings` run from the most progress to the
    least (lowest loss; on the saddle, furthest from y = 0), diverged paths last. `sgd_behind` is
    the textbook expectation that plain SGD makes the least progress of the paths that did not
    diverge: True or False, None where SGD is absent or has nothing to be compared with."""

    surface: str
    steps: int
    endings: tuple[Ending, ...]
    sgd_behind: bool | None

    @property
    def finished(self) -> tuple[Ending, ...]:
        return tuple(e for e in self.endings if e.diverged_at is None)

    @property
    def diverged(self) -> tuple[Ending, ...]:
        return tuple(e for e in self.endings if e.diverged_at is not None)

    @property
    def reached(self) -> tuple[Ending, ...]:
        return tuple(e for e in self.finished if e.minimum is not None)

    @property
    def basins(self) -> tuple[int, ...]:
        """The minima the paths reached, each once, in the order of `endings`."""
        return tuple(dict.fromkeys(e.minimum for e in self.reached))


def _progress(e: Ending, surface: str) -> float:
    """How far a path got, smaller is further: its loss, or on the saddle (no minimum, the loss
    falls without end) how little it left y = 0."""
    return -abs(e.y) if surface == "saddle" else e.loss


def turns(y: np.ndarray) -> int:
    """How many times a path's y coordinate changed direction (steps that do not move y skipped)."""
    dy = np.sign(np.diff(y[np.isfinite(y)]))
    dy = dy[dy != 0]
    return int(np.sum(dy[1:] != dy[:-1]))


def facts(paths: pd.DataFrame, ends: pd.DataFrame, surface: str, steps: int) -> RaceFacts:
    """The facts of a race from its `paths` and their `endpoints`."""
    minima = SURFACES[surface].minima
    ys = {v: g.sort_values("step")["y"].to_numpy() for v, g in paths.groupby("variant", sort=False)}
    endings = []
    for row in ends.itertuples():
        dist = [float(np.hypot(row.x - a, row.y - b)) for a, b in minima]
        near = int(np.argmin(dist)) if dist and min(dist) <= REACHED else None
        at = None if pd.isna(row.diverged_at) else int(row.diverged_at)
        endings.append(
            Ending(
                row.variant,
                row.method,
                float(row.x),
                float(row.y),
                float(row.loss),
                at,
                near,
                abs(row.y) >= ESCAPED,
                turns(ys[row.variant]),
            )
        )
    endings.sort(key=lambda e: (e.diverged_at is not None, _progress(e, surface)))
    done = [e for e in endings if e.diverged_at is None]
    sgd = [e for e in done if e.method == "sgd"]
    others = [e for e in done if e.method != "sgd"]
    behind = None
    if sgd and others:
        behind = _progress(sgd[0], surface) >= max(_progress(e, surface) for e in others)
    return RaceFacts(surface, steps, tuple(endings), behind)
