"""`python -m core`: the app's experiments without the app.

Each module in `core/commands/` adds one subcommand through its `register(subparsers)`.
"""

import argparse
import importlib
import pkgutil
import sys

from core import commands, device


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device", choices=device.CHOICES, help="where to compute (default: $LAB_DEVICE, else auto: CUDA if present)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in sorted(m.name for m in pkgutil.iter_modules(commands.__path__)):
        importlib.import_module(f"core.commands.{module}").register(sub)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    with device.using(args.device):
        if device.unusable():
            print(f"note: device {device.choice()!r} is not available here; running on the CPU", file=sys.stderr)
        try:
            return args.handler(args, extra) or 0
        except (ValueError, FileNotFoundError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
