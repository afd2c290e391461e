"""Every stored run described in one row: which page made it, its key settings, when, how
long it took and how well it ended; and the curves of several runs on one set of axes.

Runs of different pages share the tidy `curves` format (variant, step, epoch, metric, value,
plus the key columns that say what each variant is), so any of them can be overlaid.
"""

from __future__ import annotations

import json
import math

import pandas as pd

from core import experiments  # noqa: F401  (registers every kind, so each run finds its page)
from core.spec import Result, Spec
from core.train import CURVE_COLUMNS
from core.verify import Verification

METRICS = ("test_acc", "test_loss", "val_acc", "val_loss", "train_acc", "train_loss", "final_loss")
MAX_SETTING_CHARS = 160


def page_of(kind: str) -> str:
    """The topic of `kind`: the module of `core/experiments` (or `core.hpo`) that defines it;
    `ui.nav.page_of` says which page shows that topic."""
    cls = Spec.registry.get(kind)
    return cls.__module__.rsplit(".", 1)[-1] if cls else kind


def describe(settings: dict) -> str:
    """Key settings in one line: `hidden=100-100, lr=0.001, optimizer=adam, ...`."""
    parts = []
    for name, value in settings.items():
        text = _short(value)
        if text:
            parts.append(f"{name}={text}")
    line = ", ".join(parts)
    return line if len(line) <= MAX_SETTING_CHARS else line[: MAX_SETTING_CHARS - 1] + "…"


def _short(value) -> str:
    if isinstance(value, dict):
        if "method" in value:
            lr = dict(map(tuple, value.get("hyper", []))).get("lr")
            return value["method"] + (f"(lr {lr:g})" if lr is not None else "")
        return ""
    if isinstance(value, list):
        return "/".join(filter(None, (_short(v) for v in value))) if value else "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def final_metrics(result: Result) -> dict[str, float]:
    """The run's end results: a lab run's test metrics, else the best variant's per metric."""
    out: dict[str, float] = {}
    summary = result.frames.get("summary")
    if summary is not None:
        for m in METRICS:
            if m in summary.columns:
                values = pd.to_numeric(summary[m], errors="coerce").dropna()
                if len(values):
                    out[m] = float(values.max() if m.endswith("_acc") else values.min())
    for m in METRICS:
        value = result.extras.get(m)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out[m] = float(value)
    return out


def tidy_curves(result: Result) -> pd.DataFrame | None:
    """The run's curves if they are the tidy kind every page shares (a search round's per-trial
    curves are not), else None."""
    curves = result.frames.get("curves")
    return curves if curves is not None and set(CURVE_COLUMNS) <= set(curves.columns) else None


def table(entries: pd.DataFrame, results: dict[str, Result | None]) -> pd.DataFrame:
    """One row per entry of `Store.entries()`; `results` maps keys to their loaded results."""
    rows = []
    for e in entries.itertuples():
        if e.kind == Verification.kind:  # a verification's verdict, not a run of a page
            continue
        result = results.get(e.key)
        settings = json.loads(e.spec) if isinstance(e.spec, str) else {}
        row = {
            "key": e.key,
            "page": page_of(e.kind),
            "kind": e.kind,
            "settings": describe(settings),
            "created": pd.to_datetime(e.created, unit="s"),
            "seconds": float(e.seconds),
            "complete": bool(e.complete),
            "curves": result is not None and tidy_curves(result) is not None,
            "owner": e.owner,
            "imported": bool(e.imported),
        }
        row.update(final_metrics(result) if result is not None else {})
        rows.append(row)
    cols = [
        "key",
        "page",
        "kind",
        "settings",
        "created",
        "seconds",
        "complete",
        "curves",
        "owner",
        "imported",
        *METRICS,
    ]
    df = pd.DataFrame(rows, columns=cols)
    return df.drop(columns=[m for m in METRICS if df[m].isna().all()]) if len(df) else df  # metrics no run has


def search(df: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rows whose page, kind or settings contain every word of `text` (any case)."""
    words = text.lower().split()
    if not words:
        return df
    hay = (df["page"] + " " + df["kind"] + " " + df["settings"] + " " + df["key"]).str.lower()
    mask = pd.Series(True, index=df.index)
    for w in words:
        mask &= hay.str.contains(w, regex=False)
    return df[mask]


def overlay(results: dict[str, Result]) -> pd.DataFrame:
    """The curves of several runs in one tidy frame: a `run` column (the run's key) beside each
    run's own columns, key columns included, so that the UI names every series in the reader's
    language. A key column one run lacks is empty (NaN) on the other runs' rows."""
    frames = []
    for key, result in results.items():
        curves = tidy_curves(result)
        if curves is not None and not curves.empty:
            frames.append(curves.assign(run=key))
    if not frames:
        return pd.DataFrame(columns=["run", *CURVE_COLUMNS])
    return pd.concat(frames, ignore_index=True)
