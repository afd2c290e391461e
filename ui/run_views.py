"""Names for the Compare-runs overlay, in the reader's language: each series is
"<run> · <variant>" (the variant named from its run's key columns by `ui.labels`), each metric
"Validation · Accuracy" and the like."""

from __future__ import annotations

import pandas as pd

from ui import labels
from ui.i18n import t

SPLITS = ("train", "val", "test")


def named(curves: pd.DataFrame, run_labels: dict[str, str]) -> pd.DataFrame:
    """`curves` of `core.runs.overlay` with a `series` column (the legend's name) and a `hue`
    column (its colour key). Variants are named within their own run, from the key columns that
    run has; a run of one variant that no key describes (a lab model) is named by the run alone."""
    parts = []
    for run, part in curves.groupby("run", sort=False):
        part = labels.labelled(part)
        run_label = run_labels.get(run, run[:8])
        if labels.columns(part) or part["variant"].nunique() > 1:
            part["series"] = run_label + " · " + part["label"]
        else:
            part["series"] = part["hue"] = run_label
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else curves.assign(label="", hue="", series="")


def metric_name(metric: str) -> str:
    """'val_acc' -> 'Validation · Accuracy' in the reader's language; a name this page does
    not know stays as it is."""
    if metric in ("loss", "grad_norm"):
        return t(f"compare_runs.metric_{metric}")
    split, _, kind = metric.rpartition("_")
    kinds = {"loss": t("common.loss"), "acc": t("common.accuracy")}
    if split in SPLITS and kind in kinds:
        return f"{t(f'compare_runs.set_{split}')} · {kinds[kind]}"
    return metric
