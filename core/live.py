"""Rows a run publishes while it trains, for a page to draw before the result is stored.

The run opens its board under its spec key, adds rows as it goes and closes the board when it
ends (stopped or failed too); a page reads a copy of the rows so far, empty when no run is going.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Board:
    """Live rows of runs in progress, keyed by spec key, safe across the job threads."""

    def __init__(self) -> None:
        self._rows: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, key: str) -> Iterator[None]:
        """Collect rows under `key` while the block runs; they are gone once it ends."""
        with self._lock:
            self._rows[key] = []
        try:
            yield
        finally:
            with self._lock:
                self._rows.pop(key, None)

    def add(self, key: str, rows: list[dict]) -> None:
        """Publish `rows` for the run of `key` (ignored when it is not running)."""
        with self._lock:
            if key in self._rows:
                self._rows[key].extend(rows)

    def rows(self, key: str) -> list[dict]:
        """A copy of the rows of `key` so far."""
        with self._lock:
            return list(self._rows.get(key, []))
