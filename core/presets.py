"""The course presets of every page, computed once and shipped with the repository.

`python -m core warm --ship` computes each preset of every experiment and writes them, as an
export (`core.exchange`), to `assets/presets.json.gz`. A fresh or restarted deployment loads that
file into its store, so the first visitor of a class sees every course figure at once. The file
is versioned with the result format (an export of another format is refused), and
`tests/core/test_presets.py` recomputes some presets and holds them equal to the shipped ones.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from core import exchange, experiments, hpo  # noqa: F401  (registers every experiment)
from core.spec import Spec
from core.store import Store

SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "presets.json.gz"


def every_preset() -> list[Spec]:
    """Each preset of each experiment once, in a fixed order."""
    found: dict[str, Spec] = {}
    for kind in sorted(Spec.registry):
        for spec in Spec.registry[kind].presets().values():
            found.setdefault(spec.key(), spec)
    return list(found.values())


def ship(store: Store, specs: list[Spec]) -> int:
    """Write the stored results of `specs` to SHIPPED; returns the file's size in bytes."""
    raw = exchange.export_json(store, [s.key() for s in specs]).encode()
    SHIPPED.write_bytes(gzip.compress(raw, 9, mtime=0))
    return SHIPPED.stat().st_size


def load_shipped(store: Store) -> int:
    """Put the shipped presets that `store` lacks into it (as computed here, not imported: the
    tests hold them equal to this code's results); returns how many were added."""
    if not SHIPPED.exists():
        return 0
    present = set(store.entries()["key"])
    if {s.key() for s in every_preset()} <= present:
        return 0
    return len(exchange.import_json(store, gzip.decompress(SHIPPED.read_bytes()), imported=False).added)
