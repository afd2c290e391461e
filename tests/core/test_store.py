"""The result store: round trips, one computation per spec under concurrency, damage tolerance."""

import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.spec import Result, Spec
from core.store import Store, decode, encode

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Counted(Spec):
    """A spec whose run is slow and counted, to see how often it is computed."""

    kind = "test-counted"
    value: int = 1
    delay: float = 0.0
    calls = []  # noqa: RUF012 - shared on purpose: counts runs across instances

    def run(self, progress=None, stop=None) -> Result:
        Counted.calls.append(self.value)
        for i in range(10):
            if stop is not None and stop():
                return Result({"x": pd.DataFrame({"i": range(i)})}, complete=False)
            time.sleep(self.delay / 10)
            if progress:
                progress((i + 1) / 10, "working")
        return Result({"x": pd.DataFrame({"i": range(10), "sq": [float(v * v) for v in range(10)]})}, {"v": self.value})


@pytest.fixture
def store(tmp_path):
    Counted.calls.clear()
    return Store(tmp_path / "r.sqlite")


def test_encode_decode_round_trip_keeps_values_and_dtypes():
    df = pd.DataFrame(
        {
            "variant": ["a", "b"],
            "step": np.array([1, 2], dtype=np.int64),
            "value": [0.5, np.nan],
            "stop": pd.array([3, None], dtype="Int64"),
        }
    )
    back = decode(encode(Result({"curves": df}, {"note": "ok", "nums": [1, 2]})))
    pd.testing.assert_frame_equal(back.frames["curves"], df)
    assert back.extras == {"note": "ok", "nums": [1, 2]} and back.complete


def test_get_or_run_computes_once_then_reads(store):
    spec = Counted(7)
    first = store.get_or_run(spec)
    second = store.get_or_run(spec)
    assert Counted.calls == [7]
    pd.testing.assert_frame_equal(first.frames["x"], second.frames["x"])
    assert store.get(Counted(8)) is None


def test_key_is_stable_and_depends_on_every_field():
    assert Counted(1).key() == Counted(1).key()
    assert Counted(1).key() != Counted(2).key() != Counted(1, delay=0.1).key()


def test_two_sessions_asking_at_once_compute_once(store):
    spec = Counted(3, delay=0.5)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get_or_run(spec))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counted.calls == [3]
    assert len(results) == 3 and all(r.extras == {"v": 3} for r in results)


def test_two_processes_asking_at_once_compute_once(tmp_path):
    """Separate processes share the store file: the second waits for the first one's claim."""
    db = tmp_path / "shared.sqlite"
    code = (
        f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r});"
        "from test_store import Counted; from core.store import Store;"
        f"r = Store({str(db)!r}).get_or_run(Counted(5, delay=1.0)); print(len(Counted.calls), r.extras['v'])"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert sorted(int(o[0]) for o in outs) == [0, 1]  # exactly one process ran it
    assert all(o[1] == "5" for o in outs)


def test_corrupt_entry_is_recomputed_not_fatal(store):
    spec = Counted(4)
    store.get_or_run(spec)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE results SET payload = ? WHERE key = ?", (b"not zlib at all", spec.key()))
    assert store.get(spec) is None
    again = store.get_or_run(spec)
    assert Counted.calls == [4, 4] and again.extras == {"v": 4}
    assert store.get(spec) is not None


def test_old_format_entry_is_recomputed(store):
    spec = Counted(6)
    store.get_or_run(spec)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE results SET format = format - 1")
    store.get_or_run(spec)
    assert Counted.calls == [6, 6]


def test_stopped_run_is_kept_but_not_served_as_complete(store):
    spec = Counted(9, delay=0.2)
    partial = store.get_or_run(spec, stop=lambda: len(Counted.calls) > 0)
    assert not partial.complete
    entries = store.entries()
    assert entries.loc[0, "complete"] == 0
    assert store.get(spec) is None  # asking again trains for real
    assert store.load(spec.key()) is not None  # but what was trained is still there


def test_clear_policy_own_protects_other_visitors(store, monkeypatch):
    monkeypatch.setenv("LAB_CLEAR", "own")
    store.get_or_run(Counted(1), owner="alice")
    store.get_or_run(Counted(2), owner="bob")
    assert store.clear(owner="alice") == 1
    assert store.entries()["owner"].tolist() == ["bob"]
    assert store.clear(owner=None) == 0


def test_clear_policy_none_and_all(store, monkeypatch):
    store.get_or_run(Counted(1), owner="alice")
    monkeypatch.setenv("LAB_CLEAR", "none")
    assert store.clear(owner="alice") == 0
    monkeypatch.setenv("LAB_CLEAR", "all")
    assert store.clear(owner="someone else") == 1
    assert store.entries().empty
