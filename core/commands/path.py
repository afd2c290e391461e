"""`path`: one optimizer's path on a 2-D surface."""

from __future__ import annotations

import json

from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import SURFACES, path

OPTIONS = ("lr", "momentum", "rho", "beta1", "beta2", "eps", "weight_decay", "decay")


def register(sub) -> None:
    p = sub.add_parser("path", help="an optimizer's path on a 2-D loss surface")
    p.add_argument("--surface", choices=list(SURFACES), default="book")
    p.add_argument("--optimizer", choices=list(METHODS), default="sgd")
    p.add_argument("--start", nargs=2, type=float, metavar=("X", "Y"))
    p.add_argument("--steps", type=int, default=30)
    for name in OPTIONS:
        p.add_argument(f"--{name.replace('_', '-')}", type=float, dest=name)
    p.add_argument("--book", action="store_true", help="the book's own Adam arithmetic")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args, extra) -> int:
    given = {n: getattr(args, n) for n in OPTIONS if getattr(args, n) is not None}
    opt = OptimizerSpec.of(args.optimizer, book=args.book, **given)
    start = tuple(args.start) if args.start else SURFACES[args.surface].start
    points = path(args.surface, opt, start, args.steps)
    rows = [[None if v != v else float(v) for v in p] for p in points]
    if args.json:
        print(json.dumps({"path": rows, "final": rows[-1]}))
    else:
        for i, (x, y) in enumerate(rows):
            print(f"{i:5d}  {x}  {y}")
    return 0
