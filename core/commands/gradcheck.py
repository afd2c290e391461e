"""`gradcheck`: numerical versus backprop gradients of a small float64 network."""

from __future__ import annotations

import dataclasses
import json

from core.gradcheck import BUGS, GradCheckSpec, band, check
from core.nets import ACTIVATIONS


def register(sub) -> None:
    d = GradCheckSpec()
    p = sub.add_parser("gradcheck", help="check backprop against two-sided numerical gradients (float64)")
    p.add_argument("--depth", type=int, default=d.depth, help="hidden layers")
    p.add_argument("--width", type=int, default=d.width, help="units per hidden layer")
    p.add_argument("--activation", choices=[a for a in ACTIVATIONS if a != "prelu"], default=d.activation)
    p.add_argument("--batchnorm", action="store_true")
    p.add_argument("--batch", type=int, default=d.batch, help="examples in the batch")
    p.add_argument("--eps", type=float, default=d.eps)
    p.add_argument("--bug", choices=BUGS, default=d.bug, help="plant a wrong backward in one layer")
    p.add_argument("--bug-layer", type=int, default=d.bug_layer)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args, extra) -> int:
    spec = GradCheckSpec(
        depth=args.depth,
        width=args.width,
        activation=args.activation,
        batchnorm=args.batchnorm,
        batch=args.batch,
        eps=args.eps,
        bug=args.bug,
        bug_layer=args.bug_layer,
        seed=args.seed,
    )
    results = check(spec)
    if args.json:
        rows = [{**dataclasses.asdict(r), "band": "no signal" if r.no_signal else band(r.rel_error)} for r in results]
        print(json.dumps({"spec": dataclasses.asdict(spec), "tensors": rows}, indent=2))
        return 0
    print(f"{'tensor':<8} {'shape':<10} {'relative error':>15}  reading")
    for r in results:
        reading = "no signal (true gradient is zero)" if r.no_signal else band(r.rel_error)
        print(f"{r.name:<8} {'x'.join(map(str, r.shape)):<10} {r.rel_error:>15.3e}  {reading}")
    return 0
