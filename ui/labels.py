"""Names in the reader's language for what core keys its results by.

Core never writes display text: every variant of a run is a language-neutral id in the `variant`
column, and what tells the variants apart sits in key columns (`method`, `lr`, `init`, `bn`, ...,
see `KEYS`). This module is the one place that turns those keys into words
(`assets/i18n/<lang>/labels.json`) and picks the colour key of a series (`ui.colors`).
"""

from __future__ import annotations

import math

import pandas as pd

from ui.i18n import number, t

# Key columns in the order their names are read; a label uses the first one and adds the others
# only where they tell variants apart (the learning rate appears when one method runs twice).
KEYS = (
    "method",
    "remedy",
    "decay",
    "clipping",
    "schedule",
    "normalization",
    "placement",
    "bn",
    "init",
    "activation",
    "scale",
    "lr",
    "member",
)
NUMBERS = ("lr", "scale", "member")  # keys whose value is a number, shown through a template
MODIFIERS = {"init": ("std", "init_value", "init_scale")}  # shown with their key wherever it appears


def name(column: str, value: object) -> str:
    """One key value in the reader's language: name("method", "adam") -> "Adam"."""
    if column in NUMBERS or column in {m for ms in MODIFIERS.values() for m in ms}:
        return t(f"labels.{column}", value=number(float(value)))
    if column == "bn":
        return t(f"labels.bn_{'on' if value else 'off'}")
    return t(f"labels.{column}_{value}")


def kind(kind: str) -> str:
    """An experiment's name (its spec's `kind`, e.g. "optimizers-mnist") in the reader's language."""
    return t(f"labels.kind_{kind.replace('-', '_')}")


def namer(column: str):
    """A `format_func` for a select whose options are values of `column`."""
    return lambda value: name(column, value)


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def _label(row: pd.Series, columns: list[str]) -> str:
    parts = []
    for col in columns:
        if not _present(row[col]):
            continue
        text = name(col, row[col])
        for mod in MODIFIERS.get(col, ()):
            if mod in row.index and _present(row[mod]) and not (mod == "init_scale" and row[mod] == 1):
                text += " " + name(mod, row[mod])
        parts.append(text)
    return " · ".join(parts)


def columns(frame: pd.DataFrame) -> list[str]:
    """The key columns a label of `frame`'s variants uses: the first present, then each other
    that tells more variants apart."""
    present = [c for c in KEYS if c in frame.columns and frame[c].map(_present).any()]
    rows = frame.drop_duplicates("variant") if "variant" in frame.columns else frame
    chosen: list[str] = []
    for col in present:
        if not chosen or _distinct(rows, [*chosen, col]) > _distinct(rows, chosen):
            chosen.append(col)
    return chosen


def _distinct(rows: pd.DataFrame, cols: list[str]) -> int:
    return len(rows[cols].astype(str).drop_duplicates())


def variant_names(frame: pd.DataFrame) -> dict[str, str]:
    """variant id -> its name in the reader's language, from `frame`'s key columns."""
    rows = frame.drop_duplicates("variant")
    cols = columns(rows)
    if not cols:
        return {v: str(v) for v in rows["variant"]}
    return {row["variant"]: _label(row, cols) for _, row in rows.iterrows()}


def hue(frame: pd.DataFrame) -> dict[str, str]:
    """variant id -> its colour key (`ui.colors`): the value of its first key column."""
    rows = frame.drop_duplicates("variant")
    cols = columns(rows)
    if not cols:
        return {v: str(v) for v in rows["variant"]}
    first = cols[0]
    if first == "bn":
        return {r["variant"]: "batchnorm" if r["bn"] else "no_batchnorm" for _, r in rows.iterrows()}
    return {r["variant"]: str(r[first]) for _, r in rows.iterrows()}


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with `label` (the variant's name) and `hue` (its colour key) columns,
    ready for `ui.charts`: charts colour a `label` series by its `hue`."""
    out = frame.copy()
    out["label"] = out["variant"].map(variant_names(frame))
    out["hue"] = out["variant"].map(hue(frame))
    return out
