"""Settings in the address (`ui.links`, `ui.addresses`): a link to a run opens its page with the
run's settings, on its tab, without starting anything; a link with garbage in it opens the page
with its first values and says what it dropped. Pages are only opened here, never trained."""

import dataclasses
from urllib.parse import parse_qsl, urlsplit

import pytest

from core import gradcheck
from core import input_normalization as norm
from core import loss_functions as lf
from core.experiments import batchnorm as bn
from core.experiments import initialization as init
from core.experiments import learning_rate as lr
from core.experiments import regularization as reg
from core.experiments.clipping import ClippingComparison
from core.experiments.mnist_lab import MnistLab
from core.experiments.optimizers import OptimizerComparison
from core.hpo import DEFAULT_RANGES, HyperSearch
from core.landscapes import Walk
from core.nets import recommended_init
from core.optimizers import OptimizerSpec
from core.spec import Spec
from tests.app.apptest import open_page
from ui import addresses, links, nav, runner
from ui.i18n import catalog

BOOK = reg.Overfitting.presets()
BN = bn.BatchNormComparison.presets()
SEARCH = HyperSearch.presets()["book_in_batches"]

# For every kind a page makes, a run unlike the page's first one in several settings
RUNS: list[Spec] = [
    ClippingComparison(hidden=(100,) * 6, init_scale=2.5, lr=0.2, clip_norm=2.0, iterations=150),
    init.PReLUSlopes(iterations=480, every=20),
    lr.LRSweep(lrs=(0.01, 0.1), optimizer="adam", iterations=120, n_train=1500),
    lr.ScheduleComparison(names=("constant", "cosine"), lr=0.2, final=0.05, warmup=20, iterations=300),
    lr.LRFinder(lr_min=0.0001, lr_max=2.0, optimizer="momentum", n_train=3000),
    reg.Overfitting(n_train=1000, hidden=(50,) * 3, epochs=20),
    reg.Overfitting(regularizer=("none", "l1"), l1=0.003, optimizer="adam", lr=reg.BOOK_LR["adam"], epochs=40),
    reg.Overfitting(regularizer=("none", "dropout"), dropout=0.3, input_dropout=0.2, dropout_scaling="test", epochs=30),
    reg.Overfitting(regularizer=BOOK["compare_all"].regularizer, l2=0.03, l1=0.001, dropout=0.25, patience=7, epochs=9),
    reg.DecayVsL2(lam=0.03),
    dataclasses.replace(
        reg.EarlyStoppingRun.presets()["quick"], n_train=20000, epochs=12, monitor="val_acc", restore_best=False
    ),
    dataclasses.replace(reg.Ensemble.presets()["book"], members=3, dropout=0.2, epochs=7),
    dataclasses.replace(
        MnistLab.presets()["default"],
        hidden=(64, 32),
        optimizer=OptimizerSpec.of("sgd", lr=0.05),
        batchnorm=True,
        schedule="cosine",
        epochs=3,
    ),
    dataclasses.replace(
        SEARCH, n_trials=40, sampler="tpe", seed=3, epochs=9, space=(DEFAULT_RANGES["lr"], DEFAULT_RANGES["dropout"])
    ),
    OptimizerComparison(
        hidden=(50, 50),
        iterations=300,
        optimizers=(OptimizerSpec.of("sgd", book=True, lr=0.05), OptimizerSpec.of("adam", book=True, lr=0.002)),
    ),
    dataclasses.replace(bn.BatchNormGrid.presets()["book"], n_train=500, epochs=5, lr=0.05, eps=bn.EPSILONS[0]),
    dataclasses.replace(
        BN["learning_rates"],
        lrs=(0.01, 0.1),
        hidden=(100,) * 3,
        epochs=5,
        activation="tanh",
        init=recommended_init("tanh"),
    ),
    dataclasses.replace(BN["placement"], placements=("none", "after"), lrs=(0.01,), hidden=(100,) * 4, epochs=3),
    bn.BatchNormInference(),
    dataclasses.replace(
        init.InitHistograms.presets()["book-sigmoid-std1"], activation="tanh", inits=("xavier",), depth=3, width=50
    ),
    init.Symmetry(activation="tanh", inits=("zeros", "xavier"), init_value=0.5, hidden=(20, 20), steps=150, every=10),
    dataclasses.replace(init.DepthProfile.presets()["tanh"], depth=12, width=60, steps=40, lr=0.05),
    init.InitComparison(activations=("relu", "tanh"), hidden=(50, 50), iterations=500, lr=0.05),
]


def open_link(link: str, lang: str = "en"):
    """The page of `link` opened as a visitor who follows it (AppTest has no address bar: the
    page is opened, then its address changes)."""
    url = urlsplit(link)
    at = open_page(url.path.lstrip("/"), lang)
    for name, value in parse_qsl(url.query):
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def query(at) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def built(at, like: object) -> list:
    """The specs of `like`'s type that the page built in its last run."""
    return [b for b in at.session_state["_links.built"] if type(b) is type(like)]


def open_tab(at) -> str | None:
    group = at.session_state["_links.tab"]
    return at.session_state[group[0]] if group else None


def test_every_kind_a_page_makes_has_a_link_and_a_run_here() -> None:
    """So that a new kind of experiment cannot go without its link, or its round trip."""
    kinds = {k for k, cls in Spec.registry.items() if cls.__module__.startswith("core.")}  # not the tests' own
    assert set(addresses.SECTIONS) == kinds - set(addresses.UNLINKED)
    placed = {(r.kind, addresses.section_of(r).prefix) for r in RUNS}
    assert placed == {(k, s.prefix) for k, sections in addresses.SECTIONS.items() for s in sections}


@pytest.mark.parametrize("run", RUNS, ids=lambda r: f"{r.kind}-{addresses.section_of(r).prefix}")
def test_a_runs_link_opens_its_page_with_its_settings(run: Spec) -> None:
    link = addresses.link(run)
    section = addresses.section_of(run)
    asked = dict(parse_qsl(urlsplit(link).query))
    knobs = set(asked) - set(links.RESERVED)
    assert len(knobs) >= min(2, len(section.first_values())), link  # the run differs from the page's first one
    at = open_link(link)
    if section.first_values():  # a run without knobs (batch norm's tiny inference net) is not built from them
        assert run in built(at, run)
    assert query(at) == asked  # the page writes the address it was given
    assert open_tab(at) == (section.tab or (at.session_state["_links.tab"] or (None, None))[1])
    assert not at.sidebar.warning  # nothing refused
    assert runner.queue().get(run.key()) is None  # and nothing started


def test_a_run_that_no_knobs_make_has_no_link() -> None:
    """A clipping run on another number of images: the page's knobs would make a different run."""
    assert addresses.link(ClippingComparison(n_train=1000, iterations=60)) is None
    assert addresses.link(ClippingComparison(iterations=60)) == "/clipping?iterations=60"


def test_a_link_in_korean_opens_the_page_in_korean() -> None:
    run = RUNS[0]
    at = open_link(addresses.link(run) + "&lang=ko")
    assert at.session_state["lang"] == "ko"
    assert run in built(at, run)
    assert query(at)["lang"] == "ko"
    assert at.title[0].value == catalog("ko")["clipping.title"]


# Pages whose knobs are not a stored run's: their values, straight into the address
KNOBS = {
    "gradient_checking": (
        {
            "depth": 5,
            "width": 4,
            "activation": "relu",
            "eps": 1e-05,
            "bug": "weight",
            "bug_layer": 2,
            "batchnorm": True,
        },
        gradcheck.GradCheckSpec(
            depth=5, width=4, activation="relu", eps=1e-05, bug="weight", bug_layer=1, batchnorm=True
        ),
    ),
    "loss_functions": ({"case": 1, "lr": 0.2, "steps": 100}, lf.NeuronRun(case=1, lr=0.2, steps=100)),
    "learning_rate": (
        {"walk.landscape": "well_2d", "walk.lr": 0.01, "walk.method": "adam", "walk.steps": 50},
        Walk(landscape="well_2d", method="adam", lr=0.01, steps=50),
    ),
    "input_normalization": ({"ratio": norm.RATIOS[-1], "test_positive_share": 0.25}, None),
    "activations": ({"names": ["relu", "elu"], "slope": 0.2, "range": 3.0}, None),
}


@pytest.mark.parametrize("page", KNOBS)
def test_a_link_sets_a_pages_own_knobs(page: str) -> None:
    values, spec = KNOBS[page]
    at = open_link(links.address(page, values))
    assert {name: at.session_state[f"{page}.{name}"] for name in values} == values
    if spec is not None:
        assert spec in built(at, spec)
    assert query(at) == {k: links.form(v) for k, v in values.items()}
    assert not at.sidebar.warning


def test_every_page_with_knobs_has_a_round_trip() -> None:
    made = {addresses.page_of(r, addresses.section_of(r)) for r in RUNS}
    with_knobs = {name for name, _ in nav.pages() if "defaults(" in (nav.PAGES_DIR / f"{name}.py").read_text()}
    assert with_knobs <= made | set(KNOBS)


GARBAGE = {
    "depth": "many",  # not a number
    "lr": "nan",  # not a finite one
    "iterations": "99999",  # beyond its widget
    "clip_norm": "1" * 10_000,  # far too long
    "bogus": "1",  # no such knob
    "hidden": "7,7",  # a field no knob of the page shows
    "tab": "nowhere",
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_link_with_garbage_keeps_the_first_values_and_says_what_it_dropped(lang: str) -> None:
    first = ClippingComparison()
    at = open_link(links.address("clipping", GARBAGE | {"lang": "xx", "init_scale": 2.5}), lang)
    assert at.session_state["lang"] == lang
    assert dataclasses.replace(first, init_scale=2.5) in built(at, first)  # the good one stays
    for knob in ("lr", "iterations", "clip_norm"):
        assert at.session_state[f"clipping.{knob}"] == getattr(first, knob)
    assert at.session_state["clipping.depth"] == len(first.hidden)
    assert query(at) == {"init_scale": "2.5"} | ({"lang": lang} if lang != "en" else {})
    note = at.sidebar.warning[0].value
    dropped = sorted([*GARBAGE, "lang"])
    assert note == catalog(lang)["common.link_refused"].format(names=", ".join(dropped))
    assert runner.queue().get(dataclasses.replace(first, init_scale=2.5).key()) is None


def test_a_link_that_makes_an_impossible_run_falls_back_to_the_first_one() -> None:
    """Each value fits its widget, together they do not: the page opens with its first values."""
    at = open_link(links.address("learning_rate", {"finder.lr_min": 1.0, "finder.lr_max": 0.001}))
    assert lr.LRFinder() in built(at, lr.LRFinder())
    assert not at.exception
    assert "finder.lr_min" in at.sidebar.warning[0].value
    assert query(at) == {}


@pytest.mark.parametrize("page", [name for name, _ in nav.pages()])
def test_a_page_opened_plainly_has_a_plain_address(page: str) -> None:
    """Its first values are not settings: nothing to write, nothing refused."""
    at = open_page(page)
    assert query(at) == {}
    assert not at.sidebar.warning


def test_a_link_to_an_unknown_tab_opens_the_first_one_and_says_so() -> None:
    at = open_link(links.address("regularization", {"tab": "nowhere", "see.epochs": "many"}), "ko")
    assert open_tab(at) == "see"
    assert at.session_state["regularization.see.epochs"] == reg.Overfitting().epochs
    assert at.sidebar.warning[0].value == catalog("ko")["common.link_refused"].format(names="see.epochs, tab")
    assert query(at) == {"lang": "ko"}


def test_a_link_with_choices_no_select_offers_keeps_the_first_ones() -> None:
    bad = {"walk.lr": "0.0123", "walk.method": "bogus", "sweep.lrs": "0.5,0.01", "schedules.names": "cosine,zzz"}
    at = open_link(links.address("learning_rate", bad))
    assert lr.LRSweep() in built(at, lr.LRSweep())
    assert lr.ScheduleComparison() in built(at, lr.ScheduleComparison())
    assert at.session_state["learning_rate.walk.method"] == Walk.presets()["good"].method
    assert at.sidebar.warning[0].value == catalog("en")["common.link_refused"].format(names=", ".join(sorted(bad)))
    assert query(at) == {}
