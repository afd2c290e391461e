"""`train --config FILE.json`: train an MNIST-lab model headless and keep it in the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.commands.run import progress_bar
from core.experiments.mnist_lab import MnistLab
from core.store import Store


def register(sub) -> None:
    p = sub.add_parser("train", help="train an MNIST-lab model from a JSON config and save it")
    p.add_argument("--config", required=True, type=Path, help="JSON object of MNIST-lab settings")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def run(args, extra) -> int:
    try:
        config = json.loads(args.config.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{args.config} is not valid JSON: {err}") from err
    spec = MnistLab.from_config(config)
    bar = progress_bar if sys.stderr.isatty() else None
    result = Store().get_or_run(spec, bar)
    summary = spec.summary(result)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for name, value in summary.items():
            print(f"{name}: {value}")
    return 0
