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


def color(key: str) -> str:
    """The colour of `key`, an id such as "adam" or "he_normal" (case and spacing ignored);
    unknown keys get a stable palette colour."""
    norm = re.sub(r"[\s\-/]+", "_", str(key).strip().lower())
    return FIXED.get(norm) or PALETTE[sum(map(ord, str(key))) % len(PALETTE)]


def scale(names: list[str], hues: list[str] | None = None) -> alt.Scale:
    """An Altair colour scale over `names` (the labels a legend shows); each gets the colour of
    its hue (the same position in `hues`, from `ui.labels.labelled`), or of the name itself.
    Labels of one hue (Adam at two rates) get that colour, then palette colours, so that every
    line stays apart."""
    pairs = dict(zip(names, hues if hues is not None else names))
    used: set[str] = set()
    colours = []
    for i, (name, key) in enumerate(pairs.items()):
        c = color(key)
        if c in used:
            c = PALETTE[(sum(map(ord, str(name))) + i) % len(PALETTE)]
        used.add(c)
        colours.append(c)
    return alt.Scale(domain=list(pairs), range=colours)
