"""Verifying a stored run: compute its spec again here and compare every number.

An imported run is only as honest as the file it came from: its settings are checked on import,
but a score typed into the file by hand looks like any other. `Verification` recomputes the
spec on this machine, lists every number of the stored result that the new one contradicts, and
stores the recomputed result in its place (no longer marked imported).
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.spec import KEY, Progress, Result, Spec, Stop
from core.store import Store

# A run recomputed on other hardware or another PyTorch build rounds differently, and training
# carries the difference along; a number changed by hand (an accuracy of 0.9408 made 0.999) is far
# outside this.
RTOL, ATOL = 1e-2, 1e-3
TIMINGS = re.compile(r"(^|_)seconds$")  # how long something took is not a result to verify
MAX_LISTED = 50
SKIPPED = {"model"}  # extras not compared: a network's bytes (the predictions and scores it makes are)


def differences(stored: Result, fresh: Result) -> list[tuple[str, object, object]]:
    """(where, stored value, recomputed value) for every number the two results disagree on, and
    for every frame, column or extra that one has and the other lacks."""
    out: list[tuple[str, object, object]] = []
    for name, df in fresh.frames.items():
        old = stored.frames.get(name)
        if old is None or list(old.columns) != list(df.columns) or len(old) != len(df):
            out.append((f"{name}: shape", None if old is None else f"{old.shape}", f"{df.shape}"))
            continue
        for col in df.columns:
            if TIMINGS.search(str(col)):
                continue
            a, b = old[col], df[col]
            if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
                x, y = a.to_numpy(dtype=float, na_value=np.nan), b.to_numpy(dtype=float, na_value=np.nan)
                bad = ~np.isclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True)
            else:
                bad = a.astype(str).to_numpy() != b.astype(str).to_numpy()
            out.extend((f"{name}.{col}[{i}]", a.iloc[i], b.iloc[i]) for i in np.flatnonzero(bad))
    for name in sorted(set(stored.frames) - set(fresh.frames)):
        out.append((f"{name}: shape", f"{stored.frames[name].shape}", None))
    plain = json.loads(json.dumps(fresh.extras, default=str))  # as stored: tuples become lists
    out.extend(_extras("extras", stored.extras, plain))
    return out


def _extras(where: str, a: object, b: object) -> list[tuple[str, object, object]]:
    if isinstance(b, dict):
        if not isinstance(a, dict) or set(a) != set(b):
            return [(where, _short(a), _short(b))]
        kept = [k for k in b if k not in SKIPPED and not TIMINGS.search(k)]
        return [d for k in kept for d in _extras(f"{where}.{k}", a[k], b[k])]
    if isinstance(b, int | float) and not isinstance(b, bool):
        ok = isinstance(a, int | float) and not isinstance(a, bool)
        if ok and (math.isclose(a, b, rel_tol=RTOL, abs_tol=ATOL) or (math.isnan(a) and math.isnan(b))):
            return []
        return [(where, a, b)]
    return [] if a == b else [(where, _short(a), _short(b))]


def _short(value: object) -> object:
    text = json.dumps(value, default=str)
    return value if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Verification(Spec):
    """Recompute the stored run `run_key`, as stored at `created` (its store stamp, so that a
    verdict never outlives the entry it is about), and compare: frames `differences` (where,
    stored, recomputed), extras `matches`, `n_differences` and `checked_kind`."""

    kind = "verify"
    run_key: str = ""
    created: float = 0.0

    def __post_init__(self):
        if not KEY.fullmatch(self.run_key):
            raise ValueError("a run's key is 32 hexadecimal digits (see Compare runs or `python -m core list`)")

    @classmethod
    def of_stored(cls, store: Store, run_key: str) -> Verification:
        """The verification of the entry `run_key` as it is stored now."""
        stamp = store.stamp(run_key) if KEY.fullmatch(run_key) else None
        return cls(run_key=run_key, created=stamp[0] if stamp else 0.0)

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        store = Store()
        entries = store.entries().set_index("key")
        stored = store.load(self.run_key)
        if self.run_key not in entries.index or stored is None:
            raise ValueError(f"no readable stored run has the key {self.run_key}")
        entry = entries.loc[self.run_key]
        if float(entry["created"]) != self.created:
            raise ValueError("the stored run changed since this verification was asked for; verify it again")
        spec = Spec.registry[entry["kind"]].from_dict(json.loads(entry["spec"]))
        start = time.perf_counter()
        fresh = spec.run(progress, stop)
        if not fresh.complete:
            return Result(complete=False)
        found = differences(stored, fresh)
        store.put(spec, fresh, time.perf_counter() - start, entry["owner"], imported=False)
        frame = pd.DataFrame(
            [(w, str(a), str(b)) for w, a, b in found[:MAX_LISTED]], columns=["where", "stored", "recomputed"]
        )
        return Result(
            {"differences": frame}, {"matches": not found, "n_differences": len(found), "checked_kind": spec.kind}
        )

    def summary(self, result: Result) -> dict:
        return {**result.extras, "differences": result.frames["differences"].to_dict("records")}
