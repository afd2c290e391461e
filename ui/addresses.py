"""The address of a stored run: the page that made it, opened on its tab with its knobs set to
the run's settings (`ui.links` reads such a link back). Compare runs offers it as "Copy link".

`SECTIONS` says, for each experiment kind, which part of which page shows it: its widget-key
prefix, its tab, the spec its knobs start from, and the widget values that show a spec (most
knobs are one field; `hidden` is shown as a depth and a width, an optimizer as its method and
knobs). A link holds only the values that differ from the section's first ones, as the page
itself writes its address, so the link a teacher copies is the one the page then shows.
`tests/app/test_links.py` opens every kind's link and checks that the page builds the same spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields

from core import runs
from core.experiments.batchnorm import BatchNormComparison, BatchNormGrid, BatchNormInference
from core.experiments.clipping import ClippingComparison
from core.experiments.initialization import (
    DepthProfile,
    InitComparison,
    InitHistograms,
    PReLUSlopes,
    Symmetry,
)
from core.experiments.learning_rate import LRFinder, LRSweep, ScheduleComparison
from core.experiments.mnist_lab import MnistLab
from core.experiments.optimizers import OptimizerComparison
from core.experiments.regularization import DecayVsL2, EarlyStoppingRun, Ensemble, Overfitting
from core.hpo import DEFAULT_RANGES, HyperSearch
from core.optimizers import METHODS
from core.spec import Spec
from core.store import Store
from ui import links, nav
from ui.search_views import range_value


@dataclass(frozen=True)
class Section:
    """Where a page shows one kind of experiment: its widget-key `prefix`; `values(spec)`, the
    widget values (full keys) that show `spec`; `first()`, the run the page starts with, and
    `also()`, first values of knobs that run does not set (every optimizer's); `shown`, the
    fields the knobs set (a run that differs from the first one in another field is not one
    these knobs make); `tab`, None on a page's first tab (a link names only another one, as the
    page writes it); `page`, None where the topic's page (`ui.nav.page_of`) shows it; `fits`,
    whether this section (of several for one kind) shows `spec`."""

    prefix: str
    values: Callable[[Spec], dict]
    first: Callable[[], Spec]
    shown: tuple[str, ...]
    tab: str | None = None
    page: str | None = None
    fits: Callable[[Spec], bool] = lambda spec: True
    also: Callable[[], dict] = dict

    def first_values(self) -> dict:
        return self.also() | self.values(self.first())

    def makes(self, spec: Spec) -> bool:
        """Whether the knobs can make `spec`: every field they do not set is the first run's."""
        first = self.first()
        return all(getattr(spec, f.name) == getattr(first, f.name) for f in fields(spec) if f.name not in self.shown)


def knobs(prefix: str, spec: Spec, names: tuple[str, ...], **extra) -> dict:
    """`<prefix>.<name>` -> value for the spec fields `names` and the `extra` knobs that stand
    for fields (tuples as lists, as multiselects hold them)."""
    values = {f.name: getattr(spec, f.name) for f in fields(spec) if f.name in names} | extra
    return {f"{prefix}.{k}": list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def method_knobs(prefix: str, optimizers) -> dict:
    """Each optimizer's knobs under `<prefix>.<method>.<knob>` (its decay has no knob)."""
    return {f"{prefix}.{o.method}.{h}": v for o in optimizers for h, v in o.hp.items() if h != "decay"}


def method_defaults(prefix: str) -> dict:
    """The first value of every method's knobs: what `ui.widgets.optimizer_inputs` starts from."""
    return {f"{prefix}.{m}.{h.name}": h.default for m, method in METHODS.items() for h in method.hypers}


def section(
    prefix: str, first: Callable[[], Spec], names: tuple[str, ...], extra=None, derived: tuple[str, ...] = (), **where
) -> Section:
    """A section whose knobs are the fields `names` and `extra(spec)` (which set the fields
    `derived`), starting from `first()`."""

    def values(spec: Spec) -> dict:
        return knobs(prefix, spec, names, **(extra(spec) if extra else {}))

    return Section(prefix, values, first, names + derived, **where)


def depth_width(spec: Spec) -> dict:
    """A uniform `hidden` as the depth and width knobs that show it."""
    return {"depth": len(spec.hidden), "width": spec.hidden[0]}


def mnist_lab_values(spec: MnistLab) -> dict:
    """The MNIST lab's widget values that rebuild `spec`: its fields, the widths as text, the
    optimizer as its method and knobs. The page's presets come from here too."""
    widths = ", ".join(map(str, spec.hidden))
    return knobs("mnist_lab", spec, MNIST_LAB, hidden=widths, optimizer=spec.optimizer.method) | method_knobs(
        "mnist_lab.optimizer", (spec.optimizer,)
    )


MNIST_LAB = (
    "dataset",
    "n_train",
    "val_fraction",
    "activation",
    "init",
    "batchnorm",
    "dropout",
    "schedule",
    "final_lr_factor",
    "l2",
    "batch_size",
    "epochs",
    "patience",
)
HPS_FIELDS = ("n_trials", "sampler", "ask_batch", "seed", "pruner", "n_train", "epochs")
HPS_FIXED = ("depth", "width", "batch_size", "optimizer", "lr", "weight_decay", "dropout")


def search_values(search: HyperSearch) -> dict:
    """The search page's widget values that reproduce `search`: its fields (the fixed settings
    of every parameter, searched or not), the searched names and their ranges (as the sliders
    hold them)."""
    extra = {"params": [p.name for p in search.space], "val_pct": round(search.val_fraction * 100)}
    ranges = {f"hps.range.{p.name}": range_value(p) for p in search.space}  # pairs stay tuples, as sliders hold them
    return knobs("hps", search, HPS_FIELDS + HPS_FIXED, **extra) | ranges


def default_ranges() -> dict:
    """Every searchable parameter's range slider at its default."""
    return {f"hps.range.{n}": range_value(p) for n, p in DEFAULT_RANGES.items()}


def search_preset(search: HyperSearch) -> dict:
    """Widget values that load `search` into the search page: its own, every other range at its
    default (the page's preset button)."""
    return default_ranges() | search_values(search)


def optimizers_values(spec: OptimizerComparison) -> dict:
    """The optimizer page's MNIST knobs that show `spec`: the depth and width of `hidden`, the
    chosen methods and each one's settings."""
    methods = {"methods": [o.method for o in spec.optimizers], **depth_width(spec)}
    return knobs("optmnist", spec, ("dataset", "batch_size", "iterations"), **methods) | method_knobs(
        "optmnist", spec.optimizers
    )


def overfit_sections() -> tuple[Section, ...]:
    """The regularization page shows `Overfitting` runs in four tabs; the remedies say which."""
    book = Overfitting.presets()
    see, dropout, every = (book[n].regularizer for n in ("book", "book_dropout", "compare_all"))
    p = "regularization"
    return (
        section(
            f"{p}.see",
            lambda: book["book"],
            ("n_train", "epochs"),
            depth_width,
            ("hidden",),
            fits=lambda s: s.regularizer == see,
        ),
        section(
            f"{p}.dropout",
            lambda: book["book_dropout"],
            ("dropout", "input_dropout", "dropout_scaling", "epochs"),
            tab="dropout",
            fits=lambda s: s.regularizer == dropout,
        ),
        section(
            f"{p}.all",
            lambda: book["compare_all"],
            ("l2", "l1", "dropout", "patience", "epochs"),
            tab="all",
            fits=lambda s: s.regularizer == every,
        ),
        section(
            f"{p}.decay",
            lambda: book["book_l1"],
            ("regularizer", "l2", "l1", "optimizer", "epochs"),
            derived=("lr",),  # the optimizer's own rate
            tab="decay",
        ),
    )


def bn_compare_sections() -> tuple[Section, ...]:
    """Batch norm's comparisons: several rates in one tab, the placements in another."""
    presets = BatchNormComparison.presets()
    shown = ("activation", "epochs", "lrs")
    depth = lambda s: {"depth": len(s.hidden)}  # noqa: E731
    derived = ("hidden", "init")  # the init follows the activation
    several = lambda s: len(s.lrs) > 1 and s.placements == presets["learning_rates"].placements  # noqa: E731
    return (
        section("batch_norm.lr", lambda: presets["learning_rates"], shown, depth, derived, tab="lr", fits=several),
        section("batch_norm.place", lambda: presets["placement"], (*shown, "placements"), depth, derived, tab="place"),
    )


INITS = ("activation", "inits", "init_std", "init_value", "init_scale")
MNIST_COMMON = ("optimizer", "iterations", "n_train")
SECTIONS: dict[str, tuple[Section, ...]] = {
    "grad-clipping": (
        section(
            "clipping",
            ClippingComparison,
            ("init_scale", "lr", "clip_norm", "clip_value", "iterations"),
            lambda s: {"depth": len(s.hidden)},
            ("hidden",),
        ),
    ),
    "prelu-slopes": (section("activations", PReLUSlopes, ("iterations",), derived=("every",), page="activations"),),
    "lr-sweep": (section("learning_rate.sweep", LRSweep, ("lrs", *MNIST_COMMON)),),
    "lr-schedules": (
        section("learning_rate.schedules", ScheduleComparison, ("names", "lr", "final", "warmup", *MNIST_COMMON)),
    ),
    "lr-finder": (section("learning_rate.finder", LRFinder, ("lr_min", "lr_max", *MNIST_COMMON)),),
    "overfit": overfit_sections(),
    "weight-decay-vs-l2": (
        section(
            "regularization.decay",
            lambda: DecayVsL2(lam=Overfitting.presets()["book_l1"].l2),
            (),
            lambda s: {"l2": s.lam},
            ("lam",),
            tab="decay",
        ),
    ),
    "early-stopping": (
        section(
            "regularization.es",
            lambda: EarlyStoppingRun.presets()["quick"],
            ("n_train", "epochs", "monitor", "patience", "min_delta", "restore_best"),
            tab="es",
        ),
    ),
    "ensemble": (
        section("regularization.ens", lambda: Ensemble.presets()["book"], ("members", "dropout", "epochs"), tab="ens"),
    ),
    "mnist-lab": (
        Section(
            "mnist_lab",
            mnist_lab_values,
            lambda: MnistLab.presets()["default"],
            (*MNIST_LAB, "hidden", "optimizer"),
            also=lambda: method_defaults("mnist_lab.optimizer"),
        ),
    ),
    "hpo-round": (
        Section(
            "hps",
            search_values,
            lambda: HyperSearch.presets()["book_in_batches"],
            (*HPS_FIELDS, *HPS_FIXED, "val_fraction", "space"),
            also=default_ranges,
        ),
    ),
    "optimizers-mnist": (
        Section(
            "optmnist",
            optimizers_values,
            lambda: OptimizerComparison.presets()["book"],
            ("dataset", "batch_size", "iterations", "hidden", "optimizers"),
            tab="mnist",
            also=lambda: method_defaults("optmnist"),
        ),
    ),
    "batchnorm-grid": (
        section(
            "batch_norm.grid",
            lambda: BatchNormGrid.presets()["book"],
            ("n_train", "epochs", "lr", "batch_size", "eps"),
            tab="grid",
        ),
    ),
    "batchnorm-compare": bn_compare_sections(),
    "batchnorm-inference": (section("batch_norm.tiny", BatchNormInference, (), tab="infer"),),
    "init-histograms": (
        section("inithist", lambda: InitHistograms.presets()["book-sigmoid-std1"], (*INITS, "depth", "width")),
    ),
    "init-symmetry": (
        section(
            "initsym",
            Symmetry,
            ("activation", "inits", "init_value", "steps", "lr"),
            lambda s: {"width": s.hidden[0]},
            ("hidden", "every"),
            tab="symmetry",
        ),
    ),
    "init-depth": (
        section(
            "initdepth", lambda: DepthProfile.presets()["tanh"], (*INITS, "depth", "width", "steps", "lr"), tab="depth"
        ),
    ),
    "init-mnist": (
        section(
            "initmnist",
            InitComparison,
            ("dataset", "activations", *INITS[1:], "batch_size", "iterations", "lr"),
            lambda s: {"layers": len(s.hidden), "width": s.hidden[0]},
            ("hidden",),
            tab="mnist",
        ),
    ),
}
UNLINKED = ("hpo-final", "verify")  # a search's chosen trial, a check of another run: no knobs make them


def section_of(spec: Spec) -> Section | None:
    """The section that shows `spec` (None for a kind no page's knobs make)."""
    return next((s for s in SECTIONS.get(spec.kind, ()) if s.fits(spec)), None)


def page_of(spec: Spec, sec: Section) -> str:
    """The url path of the page whose section `sec` shows `spec`."""
    return sec.page or nav.page_of(runs.page_of(spec.kind))


def link(spec: Spec) -> str | None:
    """The path and query that open the page that made `spec`, on its tab, with its settings:
    only the values that differ from the page's first ones, named as the page names them. None
    where no page's knobs make `spec` (a preset with a setting no knob shows, say)."""
    sec = section_of(spec)
    if sec is None or not sec.makes(spec):
        return None
    page, first = page_of(spec, sec), sec.first_values()
    values = {
        links.name(key, page): value
        for key, value in sec.values(spec).items()
        if key not in first or not links.same(value, first[key])
    }
    return links.address(page, values | ({"tab": sec.tab} if sec.tab else {}))


def stored_link(store: Store, key: str) -> str | None:
    """The link of the stored run `key` (None where it has none, or its settings no longer
    make a spec: a run stored by an older version of the lab)."""
    entries = store.entries().set_index("key")
    if key not in entries.index:
        return None
    kind, settings = entries.loc[key, "kind"], entries.loc[key, "spec"]
    try:
        return link(Spec.registry[kind].from_dict(json.loads(settings)))
    except (KeyError, TypeError, ValueError):
        return None
