"""`search` and `search-worker`: hyperparameter search on Optuna from the command line.

`search` runs one round and prints the best trials. `search-worker` joins a study in a shared
storage (the page's, or one made with `--preset`) and adds trials to it; start several, on one
machine or many, against the same storage URL. A worker stops by itself after `--trials`
trials; Ctrl+C (or `kill <pid>`) stops it sooner and cleanly: the trials it was training are
marked failed, the finished ones stay in the study. A second Ctrl+C stops it at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator

import optuna
import sqlalchemy

from core import hpo
from core.commands.run import build, progress_bar


def register(sub) -> None:
    p = sub.add_parser("search", help="one round of hyperparameter search, e.g. `search --preset book --trials 100`")
    p.add_argument("--preset", default="book", help="book (figure 6-24) or quick")
    p.add_argument("--trials", type=int, help="how many trials (default: the preset's)")
    p.add_argument("--sampler", choices=hpo.SAMPLERS)
    p.add_argument("--pruner", action="store_true", help="stop poor trials early (median pruner)")
    p.add_argument("--storage", help=f"Optuna storage URL (default ${hpo.STORAGE_ENV} or a local SQLite file)")
    p.add_argument("--study", help="study name (default: named after the settings); an existing one is redone")
    p.add_argument("--top", type=int, default=5, help="how many of the best trials to print")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=search, accepts_extra=True)

    w = sub.add_parser("search-worker", help="join a study in a shared storage and run trials for it")
    w.add_argument("--study", required=True, help="the study to join")
    w.add_argument("--storage", default="", help="Optuna storage URL, e.g. postgresql://user:pw@host/db")
    w.add_argument("--trials", type=int, required=True, help="how many trials this worker runs")
    w.add_argument("--preset", help="create the study from this preset (with --setting value changes) if missing")
    w.add_argument("--seed", type=int, help="this worker's sampler seed (default: fresh randomness)")
    w.add_argument("--json", action="store_true")
    w.set_defaults(handler=worker, accepts_extra=True)


def search(args, extra) -> int:
    spec = build(hpo.HyperSearch.kind, args.preset, extra)
    changes = {"n_trials": args.trials, "sampler": args.sampler, "storage": args.storage, "study": args.study}
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.pruner:
        changes["pruner"] = True
    spec = dataclasses.replace(spec, **changes)
    result = spec.run(progress_bar if sys.stderr.isatty() else None)
    best = hpo.best_trials(result.frames["trials"], args.top)
    out = {**result.extras, "trials": len(result.frames["trials"]), "best": best}
    _print(out, args.json)
    return 0


def worker(args, extra) -> int:
    if args.trials < 1:
        raise ValueError("--trials must be at least 1")
    if extra and not args.preset:
        raise ValueError("settings such as --epochs only apply with --preset, when the study is created")
    if args.preset and args.study not in hpo.study_names(args.storage):
        made = dataclasses.replace(build(hpo.HyperSearch.kind, args.preset, extra), storage=args.storage)
        hpo.create_study(made, name=args.study)
    study, spec = hpo.join_study(args.study, args.storage, args.seed)
    try:
        with stop_on_signals() as stop:
            stopped = hpo.run_trials(study, spec, args.trials, progress_bar if sys.stderr.isatty() else None, stop)
        frames = hpo.study_frames(study)
    except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as err:
        print(
            f"error: this worker lost its connection to the study's storage ({type(err).__name__}); "
            "the trials that finished before are kept there. Start the worker again when the database is back.",
            file=sys.stderr,
        )
        return 3
    out = {
        "study": args.study,
        "storage": hpo.shown_url(args.storage),
        "ran": args.trials,
        "stopped": stopped,
        "study_trials": len(frames["trials"]),
        "best": hpo.best_trials(frames["trials"], 3),
    }
    _print(out, args.json)
    return 0


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """A stop flag that Ctrl+C (SIGINT) and `kill` (SIGTERM) raise instead of ending the process
    mid-trial, which would leave its trials "running" in the study for ever; a second signal
    interrupts at once. Only the main thread may handle signals: elsewhere the flag stays down."""
    raised = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield raised.is_set
        return

    def handler(signum, frame) -> None:
        if raised.is_set():
            raise KeyboardInterrupt
        raised.set()
        print("stopping: the trials in training are marked failed (again to stop at once)", file=sys.stderr)

    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield raised.is_set
    finally:
        for sig, old in before.items():
            signal.signal(sig, old)


def _print(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, indent=2, default=str))
        return
    for name, value in out.items():
        if name != "best":
            print(f"{name}: {value}")
    for row in out["best"]:
        print("  " + ", ".join(f"{k}={hpo_format(v)}" for k, v in row.items()))


def hpo_format(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
