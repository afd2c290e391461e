"""Hyperparameter search on Optuna, the way the course does it and beyond.

The course's procedure: sample hyperparameters at random from log-uniform ranges, train each
configuration briefly, score it on the validation set, then narrow the ranges around the best
trials and search again; the test set is used once, at the very end. Optuna is the engine
(`RandomSampler` for the course, TPE and the median pruner beyond it) and its storage keeps the
study, so worker processes on other machines can join it (`python -m core search-worker`).

Trials are asked in batches (ask-and-tell) and the trials of a batch that share an architecture
and batch size train lockstep-batched with `core.train.train`: one batched network, each trial
with its own learning rate and weight decay, the same mini-batches and initial weights, so
differences between trials come from their hyperparameters alone.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
import torch
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState
from sqlalchemy.exc import SQLAlchemyError

from core import data
from core.nets import NetSpec
from core.optimizers import METHODS, OptimizerSpec
from core.spec import Progress, Result, Spec, Stop
from core.store import default_path
from core.train import Variant, train

optuna.logging.set_verbosity(optuna.logging.WARNING)

STORAGE_ENV = "LAB_OPTUNA_STORAGE"
SAMPLERS = ("random", "tpe")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
TEST_IMAGES = 10_000  # the test set the final step scores on: all of MNIST's (and Fashion-MNIST's)
ATTR = "search"  # study user attribute holding the search's settings, for joining workers
PRUNE_EVERY = 5  # epochs between pruning checks: each check reads the whole study from storage
# What may be searched: numeric ones within these limits, the others among these choices.
LIMITS = {"lr": (1e-7, 10.0), "weight_decay": (1e-10, 1.0), "dropout": (0.0, 0.9), "depth": (1, 10)}
CHOICES = {"batch_size": (25, 50, 100, 200), "width": (25, 50, 100, 200), "optimizer": OPTIMIZERS}
SEARCHABLE = ("lr", "weight_decay", "dropout", "batch_size", "depth", "width", "optimizer")


@dataclass(frozen=True)
class Param:
    """One searched hyperparameter: a range [low, high] (log-uniform when `log`, whole
    numbers when `integer`) or a set of `choices`."""

    name: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    integer: bool = False
    choices: tuple = ()

    def __post_init__(self):
        if isinstance(self.choices, list):
            object.__setattr__(self, "choices", tuple(self.choices))
        if self.name not in SEARCHABLE:
            raise ValueError(f"cannot search {self.name!r}; choose from {', '.join(SEARCHABLE)}")
        if self.name in CHOICES:
            if not self.choices:
                raise ValueError(f"{self.name}: choose at least one value")
            unknown = [c for c in self.choices if c not in CHOICES[self.name]]
            if unknown:
                raise ValueError(f"{self.name}: {unknown} not among {list(CHOICES[self.name])}")
            return
        low, high = LIMITS[self.name]
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low > self.high:
            raise ValueError(f"{self.name}: the range needs low <= high, got [{self.low:g}, {self.high:g}]")
        if self.low < low or self.high > high:
            raise ValueError(f"{self.name}: the range must lie within [{low:g}, {high:g}]")
        if self.log and self.low <= 0:
            raise ValueError(f"{self.name}: a log-uniform range needs low > 0")

    def distribution(self) -> BaseDistribution:
        if self.choices:
            return CategoricalDistribution(self.choices)
        if self.integer:
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        return FloatDistribution(self.low, self.high, log=self.log)

    def contains(self, value: Any) -> bool:
        if self.choices:
            return value in self.choices
        return self.low * (1 - 1e-9) <= value <= self.high * (1 + 1e-9)

    def width(self) -> float:
        """How wide the range is (in decades for log ranges; the number of choices otherwise)."""
        if self.choices:
            return float(len(self.choices))
        return math.log10(self.high / self.low) if self.log else self.high - self.low


DEFAULT_RANGES = {
    "lr": Param("lr", 1e-6, 1e-2, log=True),
    "weight_decay": Param("weight_decay", 1e-8, 1e-4, log=True),
    "dropout": Param("dropout", 0.0, 0.5),
    "batch_size": Param("batch_size", choices=(50, 100, 200)),
    "depth": Param("depth", 2, 8, integer=True),
    "width": Param("width", choices=(50, 100, 200)),
    "optimizer": Param("optimizer", choices=("sgd", "momentum", "adam")),
}
BOOK_SPACE = (DEFAULT_RANGES["lr"], DEFAULT_RANGES["weight_decay"])


@dataclass(frozen=True)
class HyperSearch(Spec):
    """One round of search: the fixed settings (book figure 6-24's by default), the searched
    ranges, and how to search them. The round's study lives in an Optuna storage."""

    kind = "hpo-round"
    dataset: str = "mnist"
    n_train: int = 500  # images taken from the training set, validation included
    val_fraction: float = 0.2
    epochs: int = 50
    depth: int = 6
    width: int = 100
    batch_size: int = 100
    optimizer: str = "sgd"
    lr: float = 0.01
    weight_decay: float = 0.0
    dropout: float = 0.0
    space: tuple[Param, ...] = BOOK_SPACE
    n_trials: int = 100
    sampler: str = "random"
    pruner: bool = False
    ask_batch: int = 0  # trials asked and trained together; 0: all of the round at once
    seed: int = 0
    storage: str = ""  # an Optuna storage URL; "" is $LAB_OPTUNA_STORAGE or a local SQLite file
    study: str = ""  # "" names the study after the round's settings

    def __post_init__(self):
        if any(isinstance(p, dict) for p in self.space):
            object.__setattr__(self, "space", tuple(p if isinstance(p, Param) else Param(**p) for p in self.space))
        if not all(isinstance(p, Param) for p in self.space):
            raise ValueError("give the searched ranges as Param objects or dicts (name, low, high, log, choices)")
        names = [p.name for p in self.space]
        if len(set(names)) != len(names):
            raise ValueError("each hyperparameter may be searched only once")
        if self.n_trials < 1 or self.epochs < 1:
            raise ValueError("trials and epochs must be at least 1")
        if self.ask_batch < 0:
            raise ValueError("the number of trials trained together cannot be negative (0: all at once)")
        if self.dataset not in data.DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose one of {', '.join(SAMPLERS)}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("the validation fraction must lie strictly between 0 and 1")
        n_val = round(self.n_train * self.val_fraction)
        if n_val < 1 or self.n_train - n_val < 1:
            raise ValueError("too few images: both training and validation need at least one")
        config(self, {})  # the fixed settings must make a valid network and optimizer

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        study = create_study(self, fresh=True)
        stopped = run_trials(study, self, self.n_trials, progress, stop)
        extras = {"study": study.study_name, "storage": shown_url(self.storage)}
        return Result(study_frames(study), extras, complete=not stopped)

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        # book_in_batches: the page's book setting, whose trials are asked and trained 20 at a time
        return {"book": cls(), "book_in_batches": cls(ask_batch=20), "quick": cls(n_trials=20, epochs=10)}

    def summary(self, result: Result) -> dict:
        return {"study": result.extras.get("study"), "best": best_trials(result.frames["trials"], 5)}

    def study_name(self) -> str:
        return self.study or f"lab-{self.key()[:12]}"

    def fixed(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SEARCHABLE}

    def final(self, params: dict[str, Any]) -> FinalTest:
        """The last step: this configuration, trained on train + validation, tested once."""
        keep = ("dataset", "n_train", "val_fraction", "epochs", "seed")
        chosen = {**self.fixed(), **params}
        return FinalTest(**{k: getattr(self, k) for k in keep}, config=tuple(sorted(chosen.items())))


def config(search: HyperSearch, params: dict[str, Any]) -> dict[str, Any]:
    """A trial's full configuration: the searched values over the fixed ones, validated."""
    cfg = {**search.fixed(), **params}
    variant(cfg, "check")
    if int(cfg["batch_size"]) < 1:
        raise ValueError("the batch size must be at least 1")
    return cfg


def optimizer_spec(method: str, lr: float) -> OptimizerSpec:
    """The method at its defaults with learning rate `lr`. The course samples rates down to
    1e-6, below the optimizer sliders' range, so the rate is checked here instead."""
    if method not in METHODS:
        raise ValueError(f"unknown optimizer {method!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError("the learning rate must be positive")
    base = OptimizerSpec.of(method)
    return dataclasses.replace(base, hyper=tuple(sorted({**base.hp, "lr": float(lr)}.items())))


def variant(cfg: dict[str, Any], name: str) -> Variant:
    """The network and optimizer of one configuration. Weight decay is the book's: the loss
    gains 0.5 * lambda * sum(W^2) over the weight matrices."""
    if cfg["weight_decay"] < 0:
        raise ValueError("weight decay cannot be negative")
    net = NetSpec((784, *(int(cfg["width"]),) * int(cfg["depth"]), 10), "relu", "he_normal", dropout=cfg["dropout"])
    return Variant(name, net, optimizer_spec(cfg["optimizer"], cfg["lr"]), l2=float(cfg["weight_decay"]))


@dataclass
class Outcome:
    """What training one trial gave: its final scores, per-epoch curves, and how it ended."""

    val_acc: float
    train_acc: float
    train_curve: list[float]
    val_curve: list[float]
    seconds: float
    diverged_at: int | None = None  # epoch
    pruned_at: int | None = None  # epoch


Prune = Callable[[int, int, float], bool]  # (trial index, epoch, validation accuracy) -> stop it?


def evaluate(
    search: HyperSearch,
    configs: Sequence[dict[str, Any]],
    split: data.Split,
    *,
    prune: Prune | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> list[Outcome] | None:
    """Train every configuration for `search.epochs` epochs and score it on the validation set.

    Configurations that share depth, width and batch size train as one batch; every trial
    starts from the same initial weights (seed `search.seed`) and sees the same mini-batches.
    Returns None when stopped before the end."""
    groups: dict[tuple, list[int]] = {}
    for i, cfg in enumerate(configs):
        groups.setdefault((int(cfg["batch_size"]), int(cfg["depth"]), int(cfg["width"])), []).append(i)
    outcomes: list[Outcome | None] = [None] * len(configs)
    done = 0
    for (batch_size, _, _), members in groups.items():
        per_epoch = math.ceil(len(split.x_train) / min(batch_size, len(split.x_train)))

        def on_eval(step, metrics, _groups, members=members, per_epoch=per_epoch):
            if prune is None or step % per_epoch:
                return ()
            acc = metrics["val_acc"]
            return [j for j, i in enumerate(members) if not np.isnan(acc[j]) and prune(i, step // per_epoch, acc[j])]

        def part(fraction, message, done=done, n=len(members)):
            if progress is not None:
                progress((done + fraction * n) / len(configs), message)

        run = train(
            [variant(configs[i], f"trial {i}") for i in members],
            split.x_train,
            split.y_train,
            batch_size=batch_size,
            steps=search.epochs * per_epoch,
            seed=search.seed,
            eval_every=per_epoch,
            eval_sets={"train": (split.x_train, split.y_train), "val": (split.x_val, split.y_val)},
            on_eval=on_eval,
            progress=part,
            stop=stop,
        )
        if run.stopped:
            return None
        for j, i in enumerate(members):
            outcomes[i] = _outcome(run, j, per_epoch)
        done += len(members)
    return outcomes


def _outcome(run, j: int, per_epoch: int) -> Outcome:
    row = run.summary.iloc[j]
    curves = run.curves[run.curves.variant == row.variant]
    whole = curves[curves.step % per_epoch == 0]  # the evaluation after a cut-short run is no epoch

    def curve(metric: str) -> list[float]:
        return [round(float(v), 5) for v in whole[whole.metric == metric].sort_values("step").value]

    def epoch(step) -> int | None:
        return None if pd.isna(step) else math.ceil(int(step) / per_epoch)

    return Outcome(
        val_acc=float(row.get("val_acc", math.nan)),
        train_acc=float(row.get("train_acc", math.nan)),
        train_curve=curve("train_acc"),
        val_curve=curve("val_acc"),
        seconds=float(row.seconds),
        diverged_at=epoch(row.diverged_at),
        pruned_at=epoch(row.stopped_at),
    )


# ---- Optuna storage and studies ---------------------------------------------------------


def storage_url(url: str = "") -> str:
    """The storage to use: `url`, else $LAB_OPTUNA_STORAGE, else a SQLite file beside the
    result store."""
    return url or os.environ.get(STORAGE_ENV) or f"sqlite:///{default_path().parent / 'studies.sqlite'}"


def shown_url(url: str = "") -> str:
    """The storage URL with any password masked, for messages and pages."""
    full = storage_url(url)
    if full.startswith("journal:"):
        return full
    try:
        from sqlalchemy.engine import make_url

        return make_url(full).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: shown as typed (it carries no parseable password)
        return full


def open_storage(url: str = "") -> optuna.storages.BaseStorage:
    """An Optuna storage from a URL: `sqlite:///file.db`, `postgresql://user:pw@host/db`,
    `mysql+pymysql://...` (any SQLAlchemy URL), or `journal:/path/file.log` (a journal file,
    for file systems where SQLite locking is unreliable). Raises ValueError with a message a
    student can act on when the URL is malformed or the database cannot be reached."""
    full = storage_url(url)
    shown = shown_url(url)
    if full.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend

        path = full[len("journal:") :].removeprefix("//")
        if not path:
            raise ValueError("a journal storage needs a file: journal:/path/to/study.log")
        try:
            return optuna.storages.JournalStorage(JournalFileBackend(path))
        except OSError as err:
            raise ValueError(f"cannot open the journal file {path}: {err.strerror or err}") from None
    if "://" not in full:
        raise ValueError(
            f"{shown!r} is not a storage URL; use e.g. sqlite:///studies.db, "
            "postgresql://user:password@host/database or journal:/path/study.log"
        )
    engine: dict[str, Any] = {}
    if full.startswith("sqlite"):
        path = _sqlite_path(full)
        if path:
            engine["creator"] = lambda: _sqlite_connect(path)
    elif full.startswith("postgresql"):
        engine["connect_args"] = {"connect_timeout": 10}
    try:
        return optuna.storages.RDBStorage(full, engine_kwargs=engine)
    except ModuleNotFoundError as err:
        raise ValueError(f"the database driver for {shown} is not installed ({err.name})") from None
    except Exception as err:  # SQLAlchemy's errors for bad URLs and unreachable servers vary
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise ValueError(f"cannot open the study storage {shown}: {reason}") from None


def _sqlite_path(url: str) -> str | None:
    """The file of a sqlite URL; None for an in-memory database or a URL SQLAlchemy rejects."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).database or None
    except Exception:
        return None


def _sqlite_connect(path: str) -> sqlite3.Connection:
    """A connection in write-ahead-log mode that syncs to disk at checkpoints, not at every
    commit: a round asks and tells hundreds of trials, one small transaction each, and with
    SQLite's defaults those commits took a fifth of the book round. Other processes can still
    read and write the file (WAL lets readers and one writer work at once)."""
    conn = sqlite3.connect(path, timeout=60, check_same_thread=False)  # workers wait for the lock
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def make_sampler(kind: str, seed: int | None) -> optuna.samplers.BaseSampler:
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=10)
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(on: bool) -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=5) if on else optuna.pruners.NopPruner()


def create_study(search: HyperSearch, fresh: bool = False, name: str | None = None) -> optuna.Study:
    """The study of `search` in its storage, created if needed; `fresh` first deletes a study
    of that name (a round recomputed from the start)."""
    storage = open_storage(search.storage)
    name = name or search.study_name()
    if fresh:
        try:
            optuna.delete_study(study_name=name, storage=storage)
        except KeyError:
            pass
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="maximize",
        load_if_exists=True,
        sampler=make_sampler(search.sampler, search.seed),
        pruner=make_pruner(search.pruner),
    )
    study.set_user_attr(ATTR, search.to_dict())
    return study


def join_study(name: str, url: str = "", seed: int | None = None) -> tuple[optuna.Study, HyperSearch]:
    """Load a study another process created, with the search settings it was created with.
    A worker's sampler gets its own `seed` (None: fresh randomness), or it would propose
    the very trials another worker already proposed."""
    storage = open_storage(url)
    try:
        summaries = optuna.get_all_study_summaries(storage)
    except Exception as err:
        raise ValueError(f"cannot read the study storage {shown_url(url)}: {err}") from None
    found = next((s for s in summaries if s.study_name == name), None)
    if found is None:
        names = ", ".join(s.study_name for s in summaries) or "none"
        raise ValueError(f"no study named {name!r} in {shown_url(url)} (studies there: {names})")
    if ATTR not in found.user_attrs:
        raise ValueError(f"study {name!r} was not created by this lab: it has no search settings")
    search = HyperSearch(**{**found.user_attrs[ATTR], "storage": url, "study": name})
    study = optuna.load_study(
        study_name=name,
        storage=storage,
        sampler=make_sampler(search.sampler, seed),
        pruner=make_pruner(search.pruner),
    )
    return study, search


Where = str | optuna.storages.BaseStorage  # a storage URL ("": the default) or an open storage


def _opened(where: Where) -> optuna.storages.BaseStorage:
    return open_storage(where) if isinstance(where, str) else where


def study_names(where: Where = "") -> list[str]:
    """The studies in a storage. Raises ValueError (from `open_storage`) for a bad URL."""
    return [s.study_name for s in optuna.get_all_study_summaries(_opened(where))]


def read_study(name: str, where: Where = "") -> tuple[dict[str, pd.DataFrame], tuple[Param, ...]] | None:
    """A study's finished trials (`study_frames`) and the ranges it searches, for watching a
    study that workers fill in; None when it does not exist (yet), was deleted, cannot be read
    or its database is away, so that a watcher can say so and try again later."""
    try:
        study = optuna.load_study(study_name=name, storage=_opened(where))
        settings = study.user_attrs.get(ATTR)
        space = HyperSearch(**settings).space if settings else ()
        return study_frames(study), space
    except (KeyError, ValueError, TypeError, SQLAlchemyError, optuna.exceptions.StorageInternalError):
        return None


def run_trials(
    study: optuna.Study,
    search: HyperSearch,
    n_trials: int,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> bool:
    """Ask `n_trials` trials in batches of `search.ask_batch`, train each batch lockstep and
    tell the scores. Returns True when stopped early (the unfinished batch is told FAIL, the
    finished batches stay in the study)."""
    split = data.make_split(search.n_train, search.val_fraction, 0, search.dataset, search.seed)
    distributions = {p.name: p.distribution() for p in search.space}
    batch = search.ask_batch or n_trials
    done = 0
    while done < n_trials:
        trials = [study.ask(distributions) for _ in range(min(batch, n_trials - done))]
        configs = [config(search, t.params) for t in trials]

        def prune(i: int, epoch: int, acc: float, trials=trials) -> bool:
            if epoch % PRUNE_EVERY:
                return False
            trials[i].report(float(acc), epoch)
            return trials[i].should_prune()

        def part(fraction: float, message: str, done=done, k=len(trials)) -> None:
            if progress is not None:
                progress((done + fraction * k) / n_trials, f"trial {done + 1}-{done + k} of {n_trials}: {message}")

        outcomes = evaluate(search, configs, split, prune=prune if search.pruner else None, progress=part, stop=stop)
        if outcomes is None:
            for t in trials:
                study.tell(t, state=TrialState.FAIL)
            return True
        for t, out in zip(trials, outcomes):
            t.set_user_attr("result", dataclasses.asdict(out))
            if out.pruned_at is not None:
                study.tell(t, state=TrialState.PRUNED)
            else:
                study.tell(t, out.val_acc if math.isfinite(out.val_acc) else 0.0)
        done += len(trials)
    return False


# ---- results ----------------------------------------------------------------------------


def study_frames(study: optuna.Study) -> dict[str, pd.DataFrame]:
    """The finished trials as two tidy frames: `trials` (one row per trial: its parameters,
    validation and training accuracy, state) and `curves` (trial, epoch, set, accuracy)."""
    rows, curves = [], []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
        res = t.user_attrs.get("result")
        if res is None:
            continue
        state = "pruned" if t.state == TrialState.PRUNED else "diverged" if res["diverged_at"] else "complete"
        rows.append(
            {
                "trial": t.number,
                **t.params,
                "val_acc": res["val_acc"],
                "train_acc": res["train_acc"],
                "state": state,
                "epochs": len(res["val_curve"]),
                "seconds": res["seconds"],
            }
        )
        for name, values in (("train", res["train_curve"]), ("validation", res["val_curve"])):
            curves.extend((t.number, e, name, v) for e, v in enumerate(values, start=1))
    trials = pd.DataFrame(rows, columns=None if rows else ["trial", "val_acc", "train_acc", "state", "epochs"])
    return {"trials": trials, "curves": pd.DataFrame(curves, columns=["trial", "epoch", "set", "acc"])}


def best_trials(trials: pd.DataFrame, k: int) -> list[dict]:
    """The `k` trials with the highest validation accuracy, best first."""
    if trials.empty:
        return []
    top = trials.sort_values(["val_acc", "trial"], ascending=[False, True]).head(k)
    return json_records(top)


def json_records(df: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict("records")]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def trial_params(trial: pd.Series, space: Sequence[Param]) -> dict[str, Any]:
    """The searched values of one row of `trials`, as plain Python values (for `HyperSearch.final`)."""
    return {p.name: _plain(trial[p.name]) for p in space}


def narrow(trials: pd.DataFrame, space: Sequence[Param], top_k: int = 10, margin: float = 0.1) -> tuple[Param, ...]:
    """The next round's ranges: around the `top_k` best trials, widened by `margin` of their
    spread on each side (in decades on log ranges) and kept inside the previous range.
    Choices keep only the values the best trials used."""
    top = trials.sort_values("val_acc", ascending=False).head(top_k)
    if top.empty:
        return tuple(space)
    out = []
    for p in space:
        values = top[p.name].tolist()
        if p.choices:
            out.append(dataclasses.replace(p, choices=tuple(c for c in p.choices if c in values)))
            continue
        lo, hi = min(values), max(values)
        if p.log:
            a, b = math.log10(lo), math.log10(hi)
            pad = margin * (b - a)
            lo, hi = 10 ** (a - pad), 10 ** (b + pad)
        else:
            pad = margin * (hi - lo)
            lo, hi = lo - pad, hi + pad
        if p.integer:
            lo, hi = math.floor(lo), math.ceil(hi)
        out.append(dataclasses.replace(p, low=max(lo, p.low), high=min(hi, p.high)))
    return tuple(out)


# ---- the final test -----------------------------------------------------------------------


@dataclass(frozen=True)
class FinalTest(Spec):
    """The chosen configuration trained on training + validation images together, then
    scored on the test set: once, at the very end, as the course insists."""

    kind = "hpo-final"
    dataset: str = "mnist"
    n_train: int = 500
    val_fraction: float = 0.2
    epochs: int = 50
    seed: int = 0
    config: tuple[tuple[str, Any], ...] = tuple(sorted(HyperSearch().fixed().items()))

    def __post_init__(self):
        if self.config and isinstance(self.config[0], list):
            object.__setattr__(self, "config", tuple(tuple(c) for c in self.config))
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")
        variant(self.settings(), "check")

    def settings(self) -> dict[str, Any]:
        return {**HyperSearch().fixed(), **dict(self.config)}

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        split = data.make_split(self.n_train, self.val_fraction, 0, self.dataset, self.seed)
        x = torch.cat([split.x_train, split.x_val])
        y = torch.cat([split.y_train, split.y_val])
        cfg = self.settings()
        batch = min(int(cfg["batch_size"]), len(x))
        run = train(
            [variant(cfg, "final")],
            x,
            y,
            batch_size=batch,
            steps=self.epochs * math.ceil(len(x) / batch),
            seed=self.seed,
            eval_sets={"train": (x, y), "test": (split.x_test, split.y_test)},
            progress=progress,
            stop=stop,
        )
        row = run.summary.iloc[0]
        extras = {
            "test_acc": float(row.get("test_acc", math.nan)),
            "train_acc": float(row.get("train_acc", math.nan)),
            "n_train": len(x),
            "n_test": len(split.x_test),
            "diverged": bool(pd.notna(row.diverged_at)),
        }
        return Result({"curves": run.curves}, extras, complete=not run.stopped)

    def summary(self, result: Result) -> dict:
        return result.extras
