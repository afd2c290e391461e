"""The home page and the Optimizers page run with defaults, every preset and extreme knobs."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.experiments.optimizers import OptimizerComparison
from core.spec import Result
from core.store import Store
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
    at.multiselect(key="opt2d.methods").set_value(
        ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta"]
    )
    for surface in ("book", "knou", "rosenbrock", "saddle", "himmelblau"):
        at.selectbox(key="opt2d.surface.en").set_value(surface)
        at.run()
        assert not at.exception, surface


def test_no_optimizer_chosen_is_a_hint():
    at = open_page("optimizers")
    at.multiselect(key="opt2d.methods").set_value([])
    at.run()
    assert not at.exception and at.info


def test_mnist_comparison_trains_and_shows_results():
    at = open_page("optimizers")
    at.number_input(key="optmnist.iterations").set_value(15)
    at.number_input(key="optmnist.hidden").set_value(1)
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
