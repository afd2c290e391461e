"""The 2-D optimizer playground's course data: its presets (book figure 6-8 and the KNOU lecture's
races), the rates that keep each method lively on the surfaces, the lecture's printed results,
and where each path ended (or diverged).

Everything here is keyed by method id; the page names the methods in the reader's language.
"""

from __future__ import annotations

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


def endpoints(paths: pd.DataFrame, surface: str, steps: int) -> pd.DataFrame:
    """Where each path of `race` ended: variant, method, x, y, loss, the step it diverged at
    (NaN if it did not) and, for the lecture's race, the lecture's printed point (else None)."""
    rows = []
    for variant, g in paths.groupby("variant", sort=False):
        last = g.dropna().iloc[-1]
        method = last.method
        printed = KNOU_PRINTED.get(method) if surface == "knou" and steps == KNOU_STEPS else None
        rows.append(
            {
                "variant": variant,
                "method": method,
                "x": last.x,
                "y": last.y,
                "loss": last.loss,
                "diverged_at": int(last.step) + 1 if last.step < steps else np.nan,
                "printed": printed,
            }
        )
    return pd.DataFrame(rows)
