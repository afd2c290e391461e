"""The saved models of the MNIST lab: every stored lab run keeps its trained network (see
`core.checkpoint`), so the store is the registry of models a student can evaluate or try.

This module reads that registry without any display text: the page names each model in the
reader's language from the fields of `SavedModel`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core import checkpoint
from core.experiments.mnist_lab import MnistLab
from core.nets import BatchedMLP
from core.spec import Result

Loader = Callable[[str, float], Result | None]  # (key, created) -> the stored result


@dataclass(frozen=True)
class SavedModel:
    """One stored lab run. `spec` is None when its stored settings are not ones this code reads
    (the entry still shows, as unreadable, so that it can be found and deleted)."""

    key: str
    created: float
    spec: MnistLab | None
    complete: bool
    imported: bool
    test_acc: float | None


def saved(entries: pd.DataFrame, load: Loader) -> list[SavedModel]:
    """The lab's runs among `entries` (`Store.entries()`, newest first), each with its settings
    and, where its result holds one, its test accuracy."""
    models = []
    for row in entries[entries["kind"] == MnistLab.kind].itertuples():
        try:
            spec = MnistLab.from_dict(json.loads(row.spec))
        except ValueError:
            spec = None
        result = load(row.key, row.created) if spec is not None else None
        acc = result.extras.get("test_acc") if result is not None else None
        models.append(
            SavedModel(
                key=row.key,
                created=float(row.created),
                spec=spec,
                complete=bool(row.complete),
                imported=bool(row.imported),
                test_acc=float(acc) if isinstance(acc, float) else None,
            )
        )
    return models


def network(spec: MnistLab, result: Result | None) -> BatchedMLP:
    """The trained network of a stored lab run, after `spec`'s check: a run stopped before it
    saved one, a damaged or a forged entry raises ValueError here, before anything reads it."""
    if result is None or "model" not in result.extras:
        raise ValueError("this result holds no trained model")
    spec.check(result)
    return checkpoint.unpack(result.extras["model"])
