"""The Foundations page with its defaults, its presets and extreme knobs."""

import pytest

from core.experiments.clipping import ClippingComparison
from core.experiments.learning_rate import LRFinder, LRSweep, ScheduleComparison
from tests.app.apptest import open_page
from ui import runner

P = "foundations"


@pytest.fixture
def page():
    return open_page(P)


def texts(at) -> str:
    return " ".join(e.value for kind in ("success", "error", "warning", "info") for e in getattr(at, kind))


def test_defaults_render_every_tab(page):
    assert len(page.tabs) == 6
    assert "Converged" in texts(page)
    assert len(page.get("vega_lite_chart")) >= 10


def test_presets_and_extreme_learning_rate(page):
    page.button(key=f"{P}.preset.diverge").click().run()
    assert not page.exception
    assert "Diverged" in texts(page)
    page.button(key=f"{P}.preset.crawl").click().run()
    assert "Slow" in texts(page)
    page.radio(key=f"{P}.land.en").set_value("well_2d").run()
    page.select_slider(key=f"{P}.lr").set_value(10.0).run()
    assert not page.exception and "Diverged" in texts(page)


def test_gradcheck_extremes_and_bug(page):
    page.select_slider(key=f"{P}.gc.eps").set_value(1e-12).run()
    assert not page.exception
    page.slider(key=f"{P}.gc.depth").set_value(10).run()
    page.toggle(key=f"{P}.gc.bn").set_value(True).run()
    page.number_input(key=f"{P}.gc.batch").set_value(1).run()
    assert not page.exception
    assert "batch of one" in texts(page)
    page.select_slider(key=f"{P}.gc.eps").set_value(1e-6).run()
    page.toggle(key=f"{P}.gc.bn").set_value(False).run()
    page.slider(key=f"{P}.gc.depth").set_value(2).run()
    page.selectbox(key=f"{P}.gc.bug.en").set_value("activation").run()
    assert not page.exception


def test_bad_logits_give_a_message(page):
    page.text_input(key=f"{P}.logits").set_value("2, banana").run()
    assert not page.exception
    assert any("finite numbers" in w.value for w in page.warning)


def test_clipping_run_in_the_background(page):
    page.number_input(key=f"{P}.clip.depth").set_value(3).run()
    page.number_input(key=f"{P}.clip.iterations").set_value(10).run()
    page.button(key=f"{P}.clip.train").click().run()
    runner.wait(ClippingComparison(hidden=(100,) * 3, iterations=10))
    page.run()
    assert not page.exception
    assert any("Clip by norm" in df.value.to_string() for df in page.dataframe)


def test_korean_page_and_switching_language_keeps_choices(page):
    page.radio(key=f"{P}.land.en").set_value("well_2d").run()
    page.session_state["lang"] = "ko"
    page.run()
    assert not page.exception
    assert page.title[0].value == "학습의 기초"
    assert page.radio(key=f"{P}.land.ko").value == "well_2d"


@pytest.mark.parametrize(
    "prefix, spec",
    [
        ("sweep", LRSweep(lrs=(0.001, 0.01, 0.1, 1.0, 10.0), iterations=10, n_train=100)),
        ("finder", LRFinder(iterations=10, n_train=100)),
        ("sched", ScheduleComparison(iterations=10, n_train=100)),
    ],
)
def test_mnist_runs_show_their_results(page, prefix, spec):
    k = f"{P}.{prefix}"
    page.number_input(key=f"{k}.iterations").set_value(10).run()
    page.number_input(key=f"{k}.n_train").set_value(100).run()
    page.button(key=f"{k}.train").click().run()
    runner.wait(spec)
    page.run()
    assert not page.exception
    assert runner.stored(spec) is not None
    assert not any("failed" in e.value for e in page.error)
