"""Decoded results kept in memory for every visitor, bounded by their size, not their count.

Entries are keyed `(result key, tag)`, so a deleted result's entries can be dropped together.
A course's results range from a few kilobytes (a playground path) to megabytes (a trained network
with its test predictions); a cap on the number of entries alone would let a few large ones fill
the server's memory. Least recently used entries go first; a miss adds and evicts nothing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable

from core.spec import Result


def size_of(result: Result) -> int:
    """Bytes a decoded result holds: its frames (deep, strings included) and its JSON extras."""
    frames = sum(int(df.memory_usage(index=True, deep=True).sum()) for df in result.frames.values())
    return frames + len(json.dumps(result.extras, default=str))


class ResultCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[Result, int]] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key: Hashable) -> Result | None:
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, result: Result) -> None:
        """Keep `result` unless it alone exceeds the budget; evict the oldest until it fits."""
        size = size_of(result)
        if size > self.max_bytes:
            return
        with self._guard:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._entries[key] = (result, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped

    def drop(self, keys: set[str]) -> None:
        """Forget every entry of these results (entries are keyed `(result key, anything)`)."""
        with self._guard:
            for entry_key in [k for k in self._entries if k[0] in keys]:
                self.bytes -= self._entries.pop(entry_key)[1]

    def __len__(self) -> int:
        return len(self._entries)
