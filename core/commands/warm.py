"""`warm`: compute every preset of every page into the store, and ship them with `--ship`."""

from __future__ import annotations

import sys
import time

from core import presets
from core.store import Store


def register(sub) -> None:
    p = sub.add_parser("warm", help="compute every preset of every page into the store (course figures at once)")
    p.add_argument("--ship", action="store_true", help=f"then write them to {presets.SHIPPED} for the repository")
    p.set_defaults(handler=run)


def run(args, extra) -> int:
    store = Store()
    specs = presets.every_preset()
    start = time.perf_counter()
    for i, spec in enumerate(specs, start=1):
        t0 = time.perf_counter()
        done = store.get(spec) is not None
        if not done:
            store.get_or_run(spec)
        how = "stored already" if done else f"{time.perf_counter() - t0:.1f} s"
        print(f"[{i}/{len(specs)}] {spec.kind}: {how}", file=sys.stderr, flush=True)
    print(f"{len(specs)} presets in the store ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.ship:
        size = presets.ship(store, specs)
        print(f"wrote {presets.SHIPPED} ({size / 1e6:.1f} MB)", file=sys.stderr)
    return 0
