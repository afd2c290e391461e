"""`bench NAME`: run a benchmark from `bench/` and print its measurements."""

from __future__ import annotations

import importlib
import json
import pkgutil

import bench
from core import device


def names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__))


def register(sub) -> None:
    p = sub.add_parser("bench", help="run a benchmark and print its figures")
    p.add_argument("name", nargs="?", choices=names(), help="which benchmark (all when left out)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args, extra) -> int:
    results = {}
    print(f"device: {device.describe()}")
    for name in [args.name] if args.name else names():
        results[name] = importlib.import_module(f"bench.{name}").run()
    if args.json:
        print(json.dumps(results, indent=2))
    failed = [f for r in results.values() for f in r.get("failures", [])]
    return 1 if failed else 0  # a benchmark with limits (classroom) fails when one is broken
