"""`run` and `list`: any registered experiment from a preset, with `--field value` overrides."""

from __future__ import annotations

import dataclasses
import json
import sys

from core import experiments  # noqa: F401  (registers every spec)
from core.spec import Spec, coerce
from core.store import Store


def register(sub) -> None:
    p = sub.add_parser("run", help="run an experiment, e.g. `run optimizers-mnist --preset book`")
    p.add_argument("experiment", choices=sorted(Spec.registry))
    p.add_argument("--preset", help="a named preset of the experiment (see `list`)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--store", action="store_true", help="keep (and reuse) the result in the store")
    p.set_defaults(handler=run, accepts_extra=True)
    q = sub.add_parser("list", help="list the experiments and their presets and settings")
    q.set_defaults(handler=list_experiments)


def build(kind: str, preset: str | None, extra: list[str]) -> Spec:
    """The preset (or the defaults) with every `--field value` of `extra` applied."""
    cls = Spec.registry[kind]
    presets = cls.presets()
    if preset is not None and preset not in presets:
        raise ValueError(f"{kind} has no preset {preset!r}; presets: {', '.join(presets) or 'none'}")
    spec = presets[preset] if preset else cls()
    changes = {}
    it = iter(extra)
    for arg in it:
        if not arg.startswith("--"):
            raise ValueError(f"expected --setting value, got {arg!r}")
        name, _, value = arg[2:].partition("=")
        if not value:
            value = next(it, None)
            if value is None:
                raise ValueError(f"--{name} needs a value")
        name = name.replace("-", "_")
        changes[name] = coerce(cls, name, value)
    return dataclasses.replace(spec, **changes)


def progress_bar(fraction: float, message: str) -> None:
    width = 30
    done = int(fraction * width)
    print(f"\r[{'#' * done}{'.' * (width - done)}] {message:<30}", end="", file=sys.stderr, flush=True)
    if fraction >= 1:
        print(file=sys.stderr)


def run(args, extra) -> int:
    spec = build(args.experiment, args.preset, extra)
    bar = progress_bar if sys.stderr.isatty() else None
    result = Store().get_or_run(spec, bar) if args.store else spec.run(bar)
    summary = spec.summary(result)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        for name, values in summary.items():
            print(f"{name}: {values}")
    return 0


def list_experiments(args, extra) -> int:
    for kind, cls in sorted(Spec.registry.items()):
        settings = ", ".join(f.name for f in dataclasses.fields(cls))
        print(f"{kind}\n  presets: {', '.join(cls.presets()) or '-'}\n  settings: {settings}")
    return 0
