"""Share stored runs: export them as JSON (exact, re-importable) or CSV (tidy curves, for a
spreadsheet), and import a JSON export into another store.

An import is checked as a whole before anything is written: the file's size, its schema, every
frame's shape and type, every run's settings (they must build a valid spec whose key is the run's
key, so an imported result can only ever be found by the experiment it really belongs to), and
every result as its spec's `check` reads it (a saved network must be that spec's network). A file
that fails any check changes nothing. Imported runs are marked as such in the store; `core.verify`
recomputes one and says whether its numbers were real.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass

import pandas as pd

from core import experiments  # noqa: F401  (registers every kind an export may hold)
from core.spec import FORMAT, KEY, Result, Spec
from core.store import Store, decode, encode

SCHEMA = "nn-training-lab/runs"
VERSION = 1
MAX_BYTES = 50 * 1024 * 1024
MAX_RUNS = 500
MAX_CELLS = 5_000_000  # values over all frames of one file
DTYPES = ("int64", "int32", "float64", "float32", "bool", "object", "str", "string", "Int64", "Float64", "boolean")
RUN_FIELDS = {"key", "kind", "spec", "created", "seconds", "complete", "frames", "extras"}


class ImportRejected(ValueError):
    """The file is not a valid export; nothing was stored."""


@dataclass(frozen=True)
class Imported:
    added: list[str]
    skipped: list[str]  # already in the store: kept as they were


def _payload(result: Result) -> dict:
    """A result as the store's JSON document (frames column-wise, extras, complete)."""
    return json.loads(zlib.decompress(encode(result)))


def export_json(store: Store, keys: list[str]) -> str:
    """The given runs, complete with frames and extras, as one JSON document."""
    entries = store.entries().set_index("key")
    runs = []
    for key in keys:
        result = store.load(key)
        if key not in entries.index or result is None:
            continue
        e = entries.loc[key]
        doc = _payload(result)
        runs.append(
            {
                "key": key,
                "kind": e["kind"],
                "spec": json.loads(e["spec"]),
                "created": float(e["created"]),
                "seconds": float(e["seconds"]),
                "complete": bool(doc["complete"]),
                "frames": doc["frames"],
                "extras": doc["extras"],
            }
        )
    return json.dumps({"schema": SCHEMA, "version": VERSION, "format": FORMAT, "runs": runs})


def export_csv(store: Store, keys: list[str]) -> str:
    """The curves of the given runs as one tidy table, each row tagged with its run and kind."""
    kinds = store.entries().set_index("key")["kind"]
    frames = []
    for key in keys:
        result = store.load(key)
        if result is not None and key in kinds.index and "curves" in result.frames:
            frames.append(result.frames["curves"].assign(run=key, kind=kinds[key]))
    if not frames:
        return "run,kind,variant,step,epoch,metric,value\n"
    df = pd.concat(frames, ignore_index=True)
    first = ["run", "kind"]
    return df[first + [c for c in df.columns if c not in first]].to_csv(index=False)


def import_json(store: Store, raw: bytes, owner: str | None = None, imported: bool = True) -> Imported:
    """Validate an export as a whole, then store its runs that are not stored yet, marked as
    imported (the lab's own shipped presets are not: tests hold them equal to this code's runs)."""
    runs = parse(raw)
    present = set(store.entries()["key"])
    added, skipped = [], []
    for spec, run, result in runs:
        if run["key"] in present:
            skipped.append(run["key"])
            continue
        store.put(spec, result, run["seconds"], owner, created=run["created"], imported=imported)
        added.append(run["key"])
    return Imported(added, skipped)


def parse(raw: bytes) -> list[tuple[Spec, dict, Result]]:
    """Every run of an export with its spec and decoded result, each checked by its spec as the
    pages will read it; `ImportRejected` says what is wrong."""
    if len(raw) > MAX_BYTES:
        raise ImportRejected(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ImportRejected(f"the file is not JSON ({err})") from err
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ImportRejected("the file is not an export of this app")
    if doc.get("version") != VERSION or doc.get("format") != FORMAT:
        raise ImportRejected("the file was written by another version of this app")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RUNS:
        raise ImportRejected(f"the file must hold 1 to {MAX_RUNS} runs")
    keys = [r.get("key") if isinstance(r, dict) else None for r in runs]
    if len(set(keys)) != len(keys):
        raise ImportRejected("the file holds the same run twice")
    cells = 0
    out = []
    for i, run in enumerate(runs, start=1):
        try:
            cells += _check_run(run)
            spec = Spec.registry[run["kind"]].from_dict(run["spec"])
            if spec.key() != run["key"]:
                raise ImportRejected("its key does not match its settings (the file was altered)")
            result = decode(zlib.compress(json.dumps(_store_doc(run)).encode()))
            spec.check(result)
        except ImportRejected as err:
            raise ImportRejected(f"run {i}: {err}") from err
        except (ValueError, TypeError, KeyError) as err:
            raise ImportRejected(f"run {i}: its data cannot be read ({err})") from err
        if cells > MAX_CELLS:
            raise ImportRejected(f"the file holds more than {MAX_CELLS:,} values")
        out.append((spec, run, result))
    return out


def _store_doc(run: dict) -> dict:
    return {"frames": run["frames"], "extras": run["extras"], "complete": run["complete"]}


def _check_run(run: object) -> int:
    """Schema checks of one run; returns how many values its frames hold."""
    if not isinstance(run, dict) or set(run) != RUN_FIELDS:
        raise ImportRejected(f"a run must have exactly the fields {', '.join(sorted(RUN_FIELDS))}")
    if not isinstance(run["key"], str) or not KEY.fullmatch(run["key"]):
        raise ImportRejected("its key is not a result key")
    if run["kind"] not in Spec.registry:
        raise ImportRejected(f"unknown experiment {run['kind']!r}")
    if not isinstance(run["spec"], dict):
        raise ImportRejected("its settings must be an object")
    for name in ("created", "seconds"):
        value = run[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ImportRejected(f"{name} must be a non-negative number")
    if not isinstance(run["complete"], bool) or not isinstance(run["extras"], dict):
        raise ImportRejected("complete must be true or false and extras an object")
    if not isinstance(run["frames"], dict):
        raise ImportRejected("frames must be an object")
    return sum(_check_frame(name, f) for name, f in run["frames"].items())


def _check_frame(name: str, frame: object) -> int:
    if not isinstance(frame, dict) or set(frame) != {"columns", "dtypes", "data"}:
        raise ImportRejected(f"frame {name!r} must have columns, dtypes and data")
    cols, dtypes, data = frame["columns"], frame["dtypes"], frame["data"]
    if not all(isinstance(v, list) for v in (cols, dtypes, data)) or not len(cols) == len(dtypes) == len(data):
        raise ImportRejected(f"frame {name!r}: columns, dtypes and data differ in length")
    if not all(isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        raise ImportRejected(f"frame {name!r}: column names must be distinct strings")
    if any(d not in DTYPES for d in dtypes):
        raise ImportRejected(f"frame {name!r}: unsupported column type")
    if not all(isinstance(col, list) for col in data) or len({len(col) for col in data}) > 1:
        raise ImportRejected(f"frame {name!r}: its columns differ in length")
    return sum(len(col) for col in data)
