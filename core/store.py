"""Persistent result store: SQLite, keyed by a spec's stable hash.

Results are compressed JSON (never pickle), so a store file or an imported export can hold no
code. Entries that cannot be decoded or were written by an older result format count as
missing and are recomputed. The same spec asked for by two sessions (threads) or two processes
at once is computed once: the second waits for the first one's result.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from core.spec import FORMAT, Progress, Result, Spec, Stop

HEARTBEAT_TIMEOUT = 60.0  # a claim not refreshed for this long belongs to a dead process
CLEAR_POLICIES = ("all", "own", "none")

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, spec TEXT NOT NULL, format INTEGER NOT NULL,
    created REAL NOT NULL, seconds REAL NOT NULL, owner TEXT, complete INTEGER NOT NULL,
    payload BLOB NOT NULL, imported INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, heartbeat REAL NOT NULL);
"""
COLUMNS = ("key", "kind", "spec", "format", "created", "seconds", "owner", "complete", "payload", "imported")


def default_path() -> Path:
    env = os.environ.get("LAB_STORE")
    return Path(env) if env else Path.home() / ".cache" / "nn-training-lab" / "results.sqlite"


def clear_policy() -> str:
    """Who may delete results: 'all' (a laptop), 'own' (a shared deployment: each browser
    session only what it computed), 'none'. Set with LAB_CLEAR."""
    policy = os.environ.get("LAB_CLEAR", "all")
    return policy if policy in CLEAR_POLICIES else "own"


def encode(result: Result) -> bytes:
    frames = {
        name: {
            "columns": [str(c) for c in df.columns],
            "dtypes": [str(t) for t in df.dtypes],
            "data": [df[c].astype(object).where(df[c].notna(), None).tolist() for c in df.columns],
        }
        for name, df in result.frames.items()
    }
    doc = {"frames": frames, "extras": result.extras, "complete": result.complete}
    return zlib.compress(json.dumps(doc).encode(), 6)


def decode(payload: bytes, imported: bool = False) -> Result:
    doc = json.loads(zlib.decompress(payload))
    frames = {}
    for name, f in doc["frames"].items():
        df = pd.DataFrame(dict(zip(f["columns"], f["data"])), columns=f["columns"])
        frames[name] = df.astype(dict(zip(f["columns"], f["dtypes"])))
    return Result(frames, doc["extras"], doc["complete"], imported)


def _write_ahead_log(db: sqlite3.Connection) -> None:
    """Put the file in write-ahead-log mode (it stays so). Switching needs the file to itself and
    does not wait for other processes, so two processes opening a new store retry for a while."""
    for _ in range(100):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            time.sleep(0.05)
    db.execute("PRAGMA journal_mode=WAL")  # still locked after 5 s: let the error say so


class Store:
    _locks: dict[str, threading.Lock] = {}
    _locks_guard = threading.Lock()

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)
            if "imported" not in {row[1] for row in db.execute("PRAGMA table_info(results)")}:
                try:  # a store from before imports were marked: none of its runs was imported
                    db.execute("ALTER TABLE results ADD COLUMN imported INTEGER NOT NULL DEFAULT 0")
                except sqlite3.OperationalError:  # another process added it in the meantime
                    pass

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            _write_ahead_log(db)
            yield db
            db.commit()
        finally:
            db.close()

    def get(self, spec: Spec) -> Result | None:
        """The stored complete result, or None when missing, old-format, unreadable, or refused
        by its spec's `check` (damaged): then `get_or_run` computes it again."""
        with self._connect() as db:
            row = db.execute(
                "SELECT format, complete, payload, imported FROM results WHERE key = ?", (spec.key(),)
            ).fetchone()
        if row is None or row[0] != FORMAT or not row[1]:
            return None
        try:
            result = decode(row[2], imported=bool(row[3]))
            spec.check(result)
            return result
        except Exception:  # a damaged entry is just a miss: it will be recomputed
            return None

    def put(
        self,
        spec: Spec,
        result: Result,
        seconds: float,
        owner: str | None = None,
        created: float | None = None,
        imported: bool = False,
    ) -> None:
        """Store `result` under `spec`'s key; `created` keeps an imported run's original date, and
        `imported` marks a run that came from a file instead of being computed here."""
        with self._connect() as db:
            db.execute(
                f"INSERT OR REPLACE INTO results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                (
                    spec.key(),
                    spec.kind,
                    json.dumps(spec.to_dict(), sort_keys=True),
                    FORMAT,
                    time.time() if created is None else created,
                    seconds,
                    owner,
                    int(result.complete),
                    encode(result),
                    int(imported),
                ),
            )

    def get_or_run(
        self,
        spec: Spec,
        progress: Progress | None = None,
        stop: Stop | None = None,
        owner: str | None = None,
    ) -> Result:
        """The stored result, computing and storing it first if needed (once across sessions)."""
        key = spec.key()
        with self._key_lock(key):
            while True:
                found = self.get(spec)
                if found is not None:
                    return found
                if self._claim(key):
                    found = self.get(spec)  # it may have landed between our look and our claim
                    if found is None:
                        break
                    self._release(key)
                    return found
                if stop is not None and stop():
                    return Result(complete=False)
                time.sleep(0.2)  # another process computes it; wait for its result
        try:
            start = time.perf_counter()

            def beat(fraction: float, message: str) -> None:
                self._heartbeat(key)
                if progress is not None:
                    progress(fraction, message)

            result = spec.run(beat, stop)
            self.put(spec, result, time.perf_counter() - start, owner)
            return result
        finally:
            self._release(key)

    @classmethod
    def _key_lock(cls, key: str) -> threading.Lock:
        with cls._locks_guard:
            return cls._locks.setdefault(key, threading.Lock())

    def _claim(self, key: str) -> bool:
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM claims WHERE key = ? AND heartbeat < ?", (key, now - HEARTBEAT_TIMEOUT))
            cur = db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (key, now))
            return cur.rowcount == 1

    def _heartbeat(self, key: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE claims SET heartbeat = ? WHERE key = ?", (time.time(), key))

    def _release(self, key: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM claims WHERE key = ?", (key,))

    def entries(self) -> pd.DataFrame:
        """One row per stored result (no payloads): for listing, comparing and clearing."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT key, kind, spec, created, seconds, owner, complete, format, imported FROM results"
                " ORDER BY created DESC"
            ).fetchall()
        cols = ["key", "kind", "spec", "created", "seconds", "owner", "complete", "format", "imported"]
        return pd.DataFrame(rows, columns=cols)

    def stamp(self, key: str) -> tuple[float, bool] | None:
        """When the entry of `key` was stored and whether it is complete, without reading it;
        None when there is none in the current result format."""
        with self._connect() as db:
            row = db.execute("SELECT created, complete, format FROM results WHERE key = ?", (key,)).fetchone()
        return None if row is None or row[2] != FORMAT else (row[0], bool(row[1]))

    def load(self, key: str) -> Result | None:
        """A stored result by key, complete or not; None if missing or unreadable."""
        with self._connect() as db:
            row = db.execute("SELECT payload, imported FROM results WHERE key = ?", (key,)).fetchone()
        try:
            return decode(row[0], bool(row[1])) if row else None
        except Exception:
            return None

    def may_delete(self, owner: str | None, entry_owner: str | None) -> bool:
        policy = clear_policy()
        return policy == "all" or (policy == "own" and owner is not None and owner == entry_owner)

    def delete(self, keys: list[str], owner: str | None = None) -> int:
        """Delete the given results that `owner` may delete; returns how many went."""
        allowed = [
            row.key for row in self.entries().itertuples() if row.key in set(keys) and self.may_delete(owner, row.owner)
        ]
        with self._connect() as db:
            db.executemany("DELETE FROM results WHERE key = ?", [(k,) for k in allowed])
        return len(allowed)

    def clear(self, owner: str | None = None) -> int:
        """Delete every result `owner` may delete."""
        return self.delete(self.entries()["key"].tolist(), owner)
