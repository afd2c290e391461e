"""Subcommands of `python -m core`, one module each, found by `core.__main__`."""
