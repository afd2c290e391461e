"""Experiment specs: frozen dataclasses of plain values with a stable key, and the registry.

A page reads its widgets into a spec, the store keys the result by `spec.key()`, and the
command line builds the same spec from a preset plus `--field value` overrides. Defining a
subclass with a `kind` registers it; nothing else has to be edited to add an experiment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

FORMAT = 4  # bump when the shape of stored results changes; older entries are recomputed
KEY = re.compile(r"[0-9a-f]{32}")  # what `Spec.key` returns
FRACTION = re.compile(r"(^|_)(acc|accuracy|share|fraction|flat|dead)$")

PHASES = ("data", "steps", "epoch", "evaluating", "trial")  # what a run can report it is doing


@dataclass(frozen=True)
class Phase:
    """What a run is doing, for a progress line a page words in the reader's language: `name`
    (one of `PHASES`) and, where it counts, `done` of `total` (steps, epochs, trials). Its
    `str` is the English the command line prints."""

    name: str
    done: int = 0
    total: int = 0

    def __post_init__(self):
        if self.name not in PHASES:
            raise ValueError(f"unknown phase {self.name!r}; choose one of {', '.join(PHASES)}")

    def __str__(self) -> str:
        return f"{self.name} {self.done}/{self.total}" if self.total else self.name


Progress = Callable[[float, "Phase | str"], None]  # plain strings: older reporters, shown as a percentage only
Stop = Callable[[], bool]


@dataclass
class Result:
    """Tidy frames plus small JSON-able extras; what the store keeps and pages draw. `imported`
    is the store's mark (never the payload's) of a run that came from a file."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    complete: bool = True
    imported: bool = False


class Spec:
    """Base of every experiment spec. Subclasses are frozen dataclasses that set `kind`,
    implement `run`, and may offer `presets()` and `summary()`."""

    kind: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Spec]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Spec.registry[cls.kind] = cls

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        raise NotImplementedError

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {}

    def summary(self, result: Result) -> dict:
        """What `python -m core run ... --json` prints."""
        return {}

    def check(self, result: Result) -> None:
        """Raise ValueError unless `result` is one this spec's run could have made, as far as the
        pages will read it: an import runs this before it stores anything, and the runner before
        it shows a stored result. Here, what holds for every experiment: every accuracy, share
        or fraction (histograms, dead units) lies in [0, 1]. Experiments whose results carry
        more (a trained network) extend it."""
        for name, df in result.frames.items():
            for col in df.columns:
                if FRACTION.search(str(col)) and pd.api.types.is_numeric_dtype(df[col]):
                    values = pd.to_numeric(df[col], errors="coerce").dropna()
                    if len(values) and not values.between(0.0, 1.0).all():
                        raise ValueError(f"{name}.{col} holds values outside [0, 1]")
        for key, value in result.extras.items():
            if FRACTION.search(key) and isinstance(value, int | float) and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must lie in [0, 1]")

    @classmethod
    def from_dict(cls, settings: object) -> Spec:
        """The spec that `to_dict` wrote as `settings`; ValueError when they do not make one
        (an unknown field, a wrong type, an impossible value)."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(settings, dict) or not set(settings) <= names:
            raise ValueError(f"these are not settings of {cls.kind}")
        hints = typing.get_type_hints(cls)
        values = {k: _tuples(v) if typing.get_origin(hints[k]) is tuple else v for k, v in settings.items()}
        try:
            spec = cls(**values)
        except (TypeError, KeyError, AttributeError) as err:
            raise ValueError(f"these settings do not make a {cls.kind} run ({err})") from err
        if spec.to_dict() != json.loads(json.dumps(settings)):
            raise ValueError(f"these settings do not make a {cls.kind} run")
        return spec

    def to_dict(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def canonical(self) -> str:
        return json.dumps({"kind": self.kind, "spec": self.to_dict(), "format": FORMAT}, sort_keys=True)

    def key(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:32]


def _tuples(value: Any) -> Any:
    """JSON lists back into the tuples a frozen spec holds."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def coerce(cls: type, name: str, text: str) -> Any:
    """Turn a command-line string into the type of field `name` of spec class `cls`."""
    hints = typing.get_type_hints(cls)
    if name not in hints:
        fields = ", ".join(f.name for f in dataclasses.fields(cls))
        raise ValueError(f"{cls.kind} has no setting {name!r}; settings: {fields}")
    hint = hints[name]
    origin = typing.get_origin(hint)
    if hint is bool:
        return text.lower() in ("1", "true", "yes", "on")
    if hint in (int, float, str):
        return hint(text)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        inner = int if inner is int else float if inner is float else str
        return tuple(inner(v) for v in text.split(",") if v)
    return json.loads(text)
