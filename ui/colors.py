"""One colour per named thing across the whole app: SGD is the same blue on every page."""

from __future__ import annotations

import re

import altair as alt

FIXED = {
    # optimizers
    "sgd": "#1f77b4",
    "momentum": "#ff7f0e",
    "nesterov": "#8c564b",
    "adagrad": "#2ca02c",
    "rmsprop": "#9467bd",
    "adam": "#d62728",
    "adamw": "#e377c2",
    "adadelta": "#17becf",
    # initializations
    "zeros": "#7f7f7f",
    "constant": "#bcbd22",
    "normal": "#1f77b4",
    "xavier": "#ff7f0e",
    "xavier_normal": "#ff7f0e",
    "xavier_uniform": "#ffbb78",
    "he_normal": "#2ca02c",
    "he_uniform": "#98df8a",
    # activations
    "sigmoid": "#1f77b4",
    "tanh": "#ff7f0e",
    "relu": "#2ca02c",
    "leaky_relu": "#d62728",
    "prelu": "#9467bd",
    "elu": "#8c564b",
    "softplus": "#e377c2",
    "gelu": "#17becf",
    "linear": "#7f7f7f",
    # common variants and data splits
    "train": "#1f77b4",
    "validation": "#ff7f0e",
    "test": "#2ca02c",
    "batchnorm": "#d62728",
    "no_batchnorm": "#7f7f7f",
}
PALETTE = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)


def color(name: str) -> str:
    """The colour of `name` (case and spacing ignored); unknown names get a stable palette colour."""
    base = name.split(" (")[0]  # "Adam (lr 0.01)" shares Adam's colour
    key = re.sub(r"[\s\-/]+", "_", base.strip().lower())
    return FIXED.get(key) or PALETTE[sum(map(ord, name)) % len(PALETTE)]


def scale(names: list[str]) -> alt.Scale:
    """An Altair colour scale that gives each of `names` its fixed colour."""
    names = list(dict.fromkeys(names))
    return alt.Scale(domain=names, range=[color(n) for n in names])
