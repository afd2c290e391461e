"""`verify KEY`: compute a stored run again and say whether its numbers were real."""

from __future__ import annotations

import json
import sys

from core import experiments  # noqa: F401  (registers every kind a stored run may have)
from core.store import Store
from core.verify import Verification


def register(sub) -> None:
    p = sub.add_parser("verify", help="recompute a stored (e.g. imported) run and compare every number")
    p.add_argument("key", help="the run's key (Compare runs shows it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args, extra) -> int:
    """Exit status 0 when every number agrees, 1 when some do not (the store then holds the
    recomputed run), 2 when the run cannot be verified."""

    def progress(fraction: float, message: str) -> None:
        print(f"\r{100 * fraction:5.1f}% {message}", end="", file=sys.stderr, flush=True)

    spec = Verification.of_stored(Store(), args.key)
    result = spec.run(progress)
    print(file=sys.stderr)
    summary = spec.summary(result)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    elif summary["matches"]:
        print(f"verified: the {summary['checked_kind']} run {args.key} computes to the stored numbers")
    else:
        print(f"NOT verified: {summary['n_differences']} numbers differ; the store now holds the recomputed run")
        for d in summary["differences"]:
            print(f"  {d['where']}: stored {d['stored']}, recomputed {d['recomputed']}")
    return 0 if summary["matches"] else 1
