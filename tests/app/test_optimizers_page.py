"""The home page and the Optimizers page run with defaults, every preset and extreme knobs."""

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.experiments.optimizers import OptimizerComparison
from core.spec import Result
from core.store import Store
from core.train import with_keys
from tests.app.apptest import open_page
from ui import runner


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_page(lang):
    at = open_page(lang=lang)
    assert at.title[0].value
    assert not at.error


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_optimizers_defaults_draw_the_book_figure(lang):
    at = open_page("optimizers", lang)
    assert charts(at) >= 5  # four panels of the book figure and the loss curves
    assert not at.error and not at.warning


@pytest.mark.parametrize("preset", ["book", "knou", "knou_adaptive"])
def test_each_playground_preset(preset):
    at = open_page("optimizers")
    at.button(key=f"opt2d.preset.{preset}").click()
    at.run()
    assert not at.exception and not at.error
    assert charts(at) >= 2
    if preset == "knou":
        table = at.dataframe[0].value
        assert table.shape[0] == 3 and any("printed" in str(c).lower() for c in table.columns)


def test_extreme_knobs_show_divergence_not_an_exception():
    at = open_page("optimizers")
    at.toggle(key="opt2d.panels").set_value(False)
    at.number_input(key="opt2d.sgd.lr").set_value(10.0)
    at.number_input(key="opt2d.steps").set_value(1000)
    at.run()
    assert not at.exception
    notes = at.dataframe[0].value.astype(str).to_string()
    assert "diverged" in notes
    at.number_input(key="opt2d.steps").set_value(1)
    at.selectbox(key="opt2d.surface.en").set_value("saddle")
    at.run()
    assert not at.exception and charts(at) >= 2


def test_all_optimizers_on_every_surface():
    at = open_page("optimizers")
    at.multiselect(key="opt2d.methods.en").set_value(
        ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta"]
    )
    for surface in ("book", "knou", "rosenbrock", "saddle", "himmelblau"):
        at.selectbox(key="opt2d.surface.en").set_value(surface)
        at.run()
        assert not at.exception, surface


def test_no_optimizer_chosen_is_a_hint():
    at = open_page("optimizers")
    at.multiselect(key="opt2d.methods.en").set_value([])
    at.run()
    assert not at.exception and at.info


def test_mnist_comparison_trains_and_shows_results():
    at = open_page("optimizers")
    at.number_input(key="optmnist.iterations").set_value(15)
    at.number_input(key="optmnist.depth").set_value(1)
    at.number_input(key="optmnist.width").set_value(8)
    at.run()
    before = {job.key for job in runner.queue().jobs()}
    at.button(key="optmnist.train").click()
    at.run()
    assert not at.exception
    started = [job for job in runner.queue().jobs() if job.key not in before]
    assert len(started) == 1, "the Train button starts exactly one background job"
    job = runner.wait(started[0].spec, timeout=300)
    assert job.done and job.error is None
    at.run()
    assert not at.exception
    texts = " ".join(str(df.value.to_string()) for df in at.dataframe)
    assert "SGD" in texts and "Adam" in texts and "%" in texts


def test_a_damaged_stored_result_becomes_a_message_not_a_traceback(monkeypatch):
    """A stored entry damaged in a way no check foresaw (its curves lack a column the charts
    read): the page says so in the visitor's language instead of showing a traceback."""
    monkeypatch.delenv("LAB_STRICT")
    spec = OptimizerComparison()  # what the MNIST tab shows first
    broken = pd.DataFrame({"variant": ["SGD"], "step": [1], "value": [2.3]})
    Store().put(spec, Result({"curves": broken, "summary": pd.DataFrame({"variant": ["SGD"]})}), 1.0)
    try:
        at = open_page("optimizers", lang="ko")
        assert not at.exception
        assert any("처리하지 못한 문제" in e.value for e in at.error)
    finally:
        Store().delete([spec.key()])


def chart_text(chart) -> str:
    """A chart's spec as readable text (legend domains, titles), non-ASCII unescaped."""
    return json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)


def english_names_shown(at: AppTest) -> list[str]:
    """English method names (other than those Korean spells the same) in the tables, the
    options of the selects and the charts' specs (legend domains, panel titles)."""
    english = ("Momentum", "Nesterov")
    shown = [df.value.to_string() for df in at.dataframe]
    shown += [str(o) for w in at.get("multiselect") for o in w.options]
    shown += [chart_text(chart) for chart in at.get("vega_lite_chart")]
    return [name for name in english if any(name in text for text in shown)]


@pytest.mark.parametrize("preset", ["book", "knou"])
def test_the_playground_in_korean_names_the_optimizers_in_korean(preset):
    at = open_page("optimizers")
    at.button(key=f"opt2d.preset.{preset}").click()
    at.run()
    at.session_state["lang"] = "ko"  # AppTest formats options in the test's thread: switch last
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "모멘텀" in table.iloc[:, 0].tolist()
    assert any("모멘텀" in chart_text(chart) for chart in at.get("vega_lite_chart"))  # a legend or panel title
    assert not english_names_shown(at)


def test_mnist_presets_come_from_the_spec():
    at = open_page("optimizers")
    for name, spec in OptimizerComparison.presets().items():
        at.button(key=f"optmnist.preset.{name}").click()
        at.run()
        assert at.number_input(key="optmnist.iterations").value == spec.iterations
        assert at.number_input(key="optmnist.batch_size").value == spec.batch_size
        assert at.number_input(key="optmnist.depth").value == len(spec.hidden)
        assert at.multiselect(key="optmnist.methods.en").value == [o.method for o in spec.optimizers]


def stored_result(spec: OptimizerComparison) -> Result:
    """A made-up result of `spec` shaped as training makes it: curves and summary keyed by
    the variants' method and rate."""
    variants = spec.variants()
    curves = pd.DataFrame(
        [(v.name, step, 0.0, "loss", 2.3 / step) for v in variants for step in range(1, 11)],
        columns=["variant", "step", "epoch", "metric", "value"],
    )
    summary = pd.DataFrame(
        {
            "variant": [v.name for v in variants],
            "final_loss": 0.5,
            "test_acc": 0.9,
            "seconds": 1.0,
            "diverged_at": np.nan,
        }
    )
    return Result({"curves": with_keys(curves, variants), "summary": with_keys(summary, variants)})


def test_the_mnist_results_in_korean_name_the_optimizers_in_korean():
    spec = OptimizerComparison()  # what the MNIST tab shows first
    Store().put(spec, stored_result(spec), 1.0)
    try:
        at = open_page("optimizers", lang="ko")
        assert not at.exception
        results = at.dataframe[-1].value
        assert results.iloc[:, 0].tolist() == ["SGD", "모멘텀", "AdaGrad", "Adam"]
        assert not any(v.name in results.to_string() for v in spec.variants() if v.name != "sgd")  # no raw ids
        assert not english_names_shown(at)
    finally:
        Store().delete([spec.key()])
