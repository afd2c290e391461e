"""Hyperparameter search on Optuna, the way the course does it and beyond.

The course's procedure: sample hyperparameters at random from log-uniform ranges, train each
configuration briefly, score it on the validation set, then narrow the ranges around the best
trials and search again; the test set is used once, at the very end. Optuna is the engine
(`RandomSampler` for the course, TPE and the median pruner beyond it) and its storage keeps the
study, so worker processes on other machines can join it (`python -m core search-worker`).

Trials are asked in batches (ask-and-tell) and the trials of a batch that share an architecture
and batch size train lockstep-batched with `core.train.train`: one batched network, each trial
with its own learning rate and weight decay and, as in the book, which builds a new network for
every trial, its own initial weights (seeded by the trial's number, so a round is reproducible).
All trials see the same mini-batches.
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
from core.spec import Phase, Progress, Result, Spec, Stop
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
# Narrowing the range for the next round, and which trials count as the good ones.
GOOD_SHARE = 0.2  # the good trials: the best fifth of a round (the book shows its best 20 of 100)
MIN_TOP_K = 3  # narrowing around fewer trials would follow one lucky trial
MARGIN = 0.1  # a narrowed range reaches this share of the best trials' spread beyond them
MIN_DECADES = 0.5  # a narrowed log range spans at least half a decade ...
MIN_SPAN = 0.1  # ... a linear one at least this share of its limits (LIMITS) ...
MIN_CHOICES = 2  # ... and a set of choices keeps at least two, so the next round's trials differ


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


def variant(cfg: dict[str, Any], name: str, init_seed: int | None = None) -> Variant:
    """The network and optimizer of one configuration. Weight decay is the book's: the loss
    gains 0.5 * lambda * sum(W^2) over the weight matrices."""
    if cfg["weight_decay"] < 0:
        raise ValueError("weight decay cannot be negative")
    net = NetSpec((784, *(int(cfg["width"]),) * int(cfg["depth"]), 10), "relu", "he_normal", dropout=cfg["dropout"])
    opt = optimizer_spec(cfg["optimizer"], cfg["lr"])
    return Variant(name, net, opt, l2=float(cfg["weight_decay"]), init_seed=init_seed)


def trial_seed(seed: int, number: int) -> int:
    """The initial-weight seed of trial `number` of a search seeded `seed`: every trial its own
    network, as the book builds one per trial, and the same one whenever the round is redone
    (or a worker trains that trial number)."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


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
    numbers: Sequence[int] | None = None,
    prune: Prune | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> list[Outcome] | None:
    """Train every configuration for `search.epochs` epochs and score it on the validation set.

    Configurations that share depth, width and batch size train as one batch; configuration i
    starts from its own initial weights (`trial_seed` of its trial number `numbers[i]`, by
    default i) and every one sees the same mini-batches. Returns None when stopped before the end."""
    numbers = list(range(len(configs))) if numbers is None else list(numbers)
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
            [variant(configs[i], f"trial {numbers[i]}", trial_seed(search.seed, numbers[i])) for i in members],
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

        def part(fraction: float, message: Phase | str, done=done, k=len(trials)) -> None:
            """A batch's own progress (steps, epochs) where it holds every trial, else the trials reached."""
            if progress is not None:
                phase = message if k == n_trials else Phase("trial", done + k, n_trials)
                progress((done + fraction * k) / n_trials, phase)

        outcomes = evaluate(
            search,
            configs,
            split,
            numbers=[t.number for t in trials],
            prune=prune if search.pruner else None,
            progress=part,
            stop=stop,
        )
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
    return [] if trials.empty else json_records(ranked(trials).head(k))


def json_records(df: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict("records")]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def trial_params(trial: pd.Series, space: Sequence[Param]) -> dict[str, Any]:
    """The searched values of one row of `trials`, as plain Python values (for `HyperSearch.final`)."""
    return {p.name: _plain(trial[p.name]) for p in space}


@dataclass(frozen=True)
class Narrowing:
    """The next round's ranges and how they were made: around the `k` best trials (`asked_k`
    was asked for; fewer than MIN_TOP_K would follow one lucky trial), and the parameters whose
    range the minimum width kept wider than those trials' spread (`widened`), which a page
    should point out."""

    space: tuple[Param, ...]
    k: int
    asked_k: int
    widened: tuple[str, ...]


def ranked(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials best first (ties: the earlier trial first)."""
    return trials.sort_values(["val_acc", "trial"], ascending=[False, True])


def good_count(n: int) -> int:
    """How many of `n` finished trials count as the good ones: the best GOOD_SHARE of them (the
    book looks at its best 20 of 100), at least MIN_TOP_K, at most all."""
    return min(n, max(MIN_TOP_K, round(n * GOOD_SHARE)))


def narrow(trials: pd.DataFrame, space: Sequence[Param], top_k: int | None = None, margin: float = MARGIN) -> Narrowing:
    """The next round's ranges: around the `top_k` best trials (default `good_count`, never
    fewer than MIN_TOP_K), widened by `margin` of their spread on each side (in decades on log
    ranges), at least MIN_DECADES (log) or MIN_SPAN of the parameter's limits wide, and kept
    inside the previous range. Choices keep the values the best trials used, at least
    MIN_CHOICES of them (the next best trials' values join). A range never collapses to a
    point, so the next round's trials differ."""
    asked = good_count(len(trials)) if top_k is None else int(top_k)
    k = min(len(trials), max(MIN_TOP_K, asked))
    if k == 0:
        return Narrowing(tuple(space), 0, asked, ())
    best = ranked(trials)
    top = best.head(k)
    out, widened = [], []
    for p in space:
        new, wider = _narrow_choices(p, top, best) if p.choices else _narrow_range(p, top[p.name], margin)
        out.append(new)
        if wider:
            widened.append(p.name)
    return Narrowing(tuple(out), k, asked, tuple(widened))


def _narrow_choices(p: Param, top: pd.DataFrame, best: pd.DataFrame) -> tuple[Param, bool]:
    used = set(top[p.name])
    keep = set(used)
    for value in [*dict.fromkeys(best[p.name]), *p.choices]:  # the next best trials' values first
        if len(keep) >= min(MIN_CHOICES, len(p.choices)):
            break
        keep.add(value)
    return dataclasses.replace(p, choices=tuple(c for c in p.choices if c in keep)), len(keep) > len(used)


def _narrow_range(p: Param, values: pd.Series, margin: float) -> tuple[Param, bool]:
    scale, back = (math.log10, lambda v: 10**v) if p.log else (float, float)
    floor, ceiling = scale(p.low), scale(p.high)
    a, b = scale(values.min()), scale(values.max())
    pad = margin * (b - a)
    a, b = a - pad, b + pad
    least = min(MIN_DECADES if p.log else MIN_SPAN * (LIMITS[p.name][1] - LIMITS[p.name][0]), ceiling - floor)
    wider = b - a < least
    if wider:  # as wide as the minimum, around the best trials, shifted back inside the old range
        mid = (a + b) / 2
        a = min(max(mid - least / 2, floor), ceiling - least)
        b = a + least
    lo, hi = back(max(a, floor)), back(min(b, ceiling))
    if p.integer:
        lo, hi = math.floor(lo), math.ceil(hi)
    return dataclasses.replace(p, low=max(lo, p.low), high=min(hi, p.high)), wider


# ---- what a round shows ------------------------------------------------------------------

CHANCE = 0.1  # ten classes: guessing scores this
DEAD_ACC = 0.2  # a trial at or below this validation accuracy learned next to nothing
NARROW_BAND = 0.5  # good trials within this share of the searched width (in decades): a narrow band
INFLUENCE_BINS = 4  # trials are sorted by a parameter into this many equal groups to measure its influence
NOISE_SE = 2  # a test score within this many standard errors of the validation score: within the noise
BOOK_BANDS = {"lr": (1e-3, 1e-2), "weight_decay": (1e-8, 1e-6)}  # where the book finds its good trials (fig. 6-24)


@dataclass(frozen=True)
class Band:
    """Where the good trials lie on one numeric parameter. `share` is the part of the searched
    width they span (in decades on log ranges); `influence` the share of the spread in
    validation accuracy that sorting the trials by this parameter into INFLUENCE_BINS groups
    explains (the correlation ratio, 0 to 1); `book` the band the book prints, on its settings."""

    name: str
    low: float
    high: float
    share: float
    influence: float
    book: tuple[float, float] | None = None

    @property
    def narrow(self) -> bool:
        return self.share <= NARROW_BAND


@dataclass(frozen=True)
class SearchFacts:
    """What a round's trials show, for its lesson. The textbook expects the good trials' learning
    rates to make a narrow band (`Band.narrow`), the trials that learned nothing to be the ones
    with too small a rate (`dead_in_band` is 0), and the rate to matter more than weight decay
    (`lr_leads`); None where the round cannot say (the parameter was not searched)."""

    finished: int
    planned: int
    best_trial: int
    best_acc: float
    learned: bool  # the best trial beat DEAD_ACC, so the ranking means something
    good: int  # the good trials: the best `good_count(finished)`, less those that learned nothing
    bands: tuple[Band, ...]
    dead: int
    diverged: int
    dead_in_band: int | None  # trials that learned nothing with a rate inside the good trials' range
    lr_leads: bool | None

    def band(self, name: str) -> Band | None:
        return next((b for b in self.bands if b.name == name), None)


def on_book_settings(search: HyperSearch) -> bool:
    """Whether `search` is the book's figure 6-24 round (any seed, batching or storage), whose
    printed bands may be set beside the run's."""
    return dataclasses.replace(search, ask_batch=0, seed=0, storage="", study="") == HyperSearch()


def influence(trials: pd.DataFrame, name: str) -> float:
    """The share of the spread in validation accuracy explained by sorting the trials by `name`
    into INFLUENCE_BINS equal groups (the correlation ratio: 0, no pattern; 1, the group decides)."""
    acc = trials.val_acc.to_numpy(float)
    total = float(((acc - acc.mean()) ** 2).sum())
    if len(acc) < 2 or total == 0:
        return 0.0
    groups = pd.qcut(trials[name], min(INFLUENCE_BINS, len(acc)), labels=False, duplicates="drop")
    means = trials.val_acc.groupby(np.asarray(groups)).agg(["mean", "size"])
    return float((means["size"] * (means["mean"] - acc.mean()) ** 2).sum() / total)


def search_facts(trials: pd.DataFrame, search: HyperSearch) -> SearchFacts | None:
    """The facts of a round's finished trials (None when none finished)."""
    if trials.empty:
        return None
    best = ranked(trials)
    good = best.head(good_count(len(best)))
    if (good.val_acc > DEAD_ACC).any():  # a trial that learned nothing is no good one, even among the best
        good = good[good.val_acc > DEAD_ACC]
    book = on_book_settings(search)
    bands = tuple(
        Band(
            p.name,
            float(good[p.name].min()),
            float(good[p.name].max()),
            _width(p, good[p.name].min(), good[p.name].max()) / p.width(),
            influence(trials, p.name),
            BOOK_BANDS.get(p.name) if book else None,
        )
        for p in search.space
        if not p.choices and p.width() > 0  # a range collapsed to a point has no band to find
    )
    dead = trials[trials.val_acc <= DEAD_ACC]
    rates = {b.name: b.influence for b in bands}
    in_band = int(dead.lr.between(good.lr.min(), good.lr.max()).sum()) if "lr" in rates else None
    return SearchFacts(
        finished=len(trials),
        planned=search.n_trials,
        best_trial=int(best.trial.iloc[0]),
        best_acc=float(best.val_acc.iloc[0]),
        learned=bool(best.val_acc.iloc[0] > DEAD_ACC),
        good=len(good),
        bands=bands,
        dead=len(dead),
        diverged=int((trials.state == "diverged").sum()),
        dead_in_band=in_band,
        lr_leads=rates["lr"] > rates["weight_decay"] if {"lr", "weight_decay"} <= rates.keys() else None,
    )


def _width(p: Param, low: float, high: float) -> float:
    return math.log10(high / low) if p.log else float(high - low)


@dataclass(frozen=True)
class RoundsFacts:
    """Successive rounds of one session, first and last: narrowing is expected to put more trials
    where the good values are, so the median trial improves (`expected`); the best may move little."""

    rounds: int
    first_best: float
    last_best: float
    first_median: float
    last_median: float

    @property
    def expected(self) -> bool:
        return self.last_median > self.first_median


def rounds_facts(rounds: Sequence[pd.DataFrame]) -> RoundsFacts | None:
    """The facts of two or more rounds' trials, in order (None for fewer)."""
    shown = [r for r in rounds if not r.empty]
    if len(shown) < 2:
        return None
    first, last = shown[0].val_acc, shown[-1].val_acc
    return RoundsFacts(len(shown), float(first.max()), float(last.max()), float(first.median()), float(last.median()))


@dataclass(frozen=True)
class FinalFacts:
    """The chosen trial's validation score beside its test score. A validation score of n images
    moves by about `noise` (one standard error) from sample to sample; the textbook expects the
    test score a little below the validation score that chose the trial, within the noise."""

    val_acc: float
    test_acc: float
    n_val: int
    n_test: int

    @property
    def gap(self) -> float:
        return self.test_acc - self.val_acc

    @property
    def noise(self) -> float:
        return math.sqrt(max(self.val_acc * (1 - self.val_acc), 1e-12) / self.n_val)

    @property
    def within_noise(self) -> bool:
        return abs(self.gap) <= NOISE_SE * self.noise


def final_facts(val_acc: float, test: Result, search: HyperSearch) -> FinalFacts:
    n_val = round(search.n_train * search.val_fraction)
    return FinalFacts(float(val_acc), float(test.extras["test_acc"]), n_val, int(test.extras["n_test"]))


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
