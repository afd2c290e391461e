"""The learning-rate page: the landscape with its presets and extreme rates, and the MNIST
sweep, schedules and finder run in the background, in English and Korean."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.experiments.learning_rate import LRFinder, LRSweep, ScheduleComparison
from tests.app.apptest import open_page, train_and_wait
from tests.app.reading import untranslated
from ui import runner
from ui.i18n import number, t

P = "learning_rate"


@pytest.fixture
def page():
    return open_page(P)


def texts(at) -> str:
    return " ".join(e.value for kind in ("success", "error", "warning", "info") for e in getattr(at, kind))


def test_defaults_render(page):
    assert "Converged" in texts(page)
    assert len(page.get("vega_lite_chart")) >= 3


def test_presets_and_extreme_learning_rate(page):
    page.button(key=f"{P}.walk.preset.diverge").click().run()
    assert not page.exception
    assert "Diverged" in texts(page)
    step = re.search(r"step (\d+)", page.error[0].value).group(1)
    walk = next(e.value for e in page.success if t("common.lesson") in e.value)
    assert "η = 10 " in walk and f"(step {step})" in walk  # the rate and the step of this walk
    page.button(key=f"{P}.walk.preset.crawl").click().run()
    assert "Slow" in texts(page)
    page.radio(key=f"{P}.walk.landscape.en").set_value("well_2d").run()
    page.select_slider(key=f"{P}.walk.lr").set_value(10.0).run()
    assert not page.exception and "Diverged" in texts(page)


def test_korean_page_and_switching_language_keeps_choices(page):
    page.radio(key=f"{P}.walk.landscape.en").set_value("well_2d").run()
    page.selectbox(key=f"{P}.walk.method.en").set_value("momentum").run()
    page.session_state["lang"] = "ko"
    page.run()
    assert not page.exception
    assert page.title[0].value == "학습률"
    assert page.radio(key=f"{P}.walk.landscape.ko").value == "well_2d"
    method = page.selectbox(key=f"{P}.walk.method.ko")
    assert method.value == "momentum" and "모멘텀" in method.options and "Momentum" not in method.options
    schedules = page.multiselect(key=f"{P}.schedules.names.ko")
    assert "Cosine" not in schedules.options and "constant" not in schedules.options


@pytest.mark.parametrize(
    "prefix, spec",
    [
        ("sweep", LRSweep(lrs=(0.001, 0.01, 0.1, 1.0, 10.0), iterations=10, n_train=100)),
        ("finder", LRFinder(iterations=10, n_train=100)),
        ("schedules", ScheduleComparison(iterations=10, n_train=100)),
    ],
)
def test_mnist_runs_show_their_results(page, prefix, spec):
    k = f"{P}.{prefix}"
    page.number_input(key=f"{k}.iterations").set_value(10).run()
    page.number_input(key=f"{k}.n_train").set_value(100).run()
    train_and_wait(page, f"{k}.train", spec)
    assert runner.stored(spec) is not None
    assert not any("failed" in e.value for e in page.error)
    walk, lesson = [e.value for e in page.success if t("common.lesson") in e.value]  # the landscape's, the run's
    shown = " ".join([*(d.value.to_string() for d in page.dataframe), *(m.value for m in page.metric)])
    shown += " ".join([*(c.value for c in page.caption), "10", "2%"])  # the run's steps; a tie's margin
    if prefix == "finder":
        shown += f" {number(spec.lr_min, 3)} {number(spec.lr_max, 3)}"
    assert numbers(lesson) <= numbers(shown), lesson


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d[\d,]*(?:\.\d+)?(?:e[-+]\d+)?%?", text))


def test_a_korean_sweep_names_its_rates_in_korean():
    at = open_page(P, "ko")
    spec = LRSweep(lrs=(0.001, 0.01, 0.1, 1.0, 10.0), iterations=11, n_train=100)  # not trained above
    at.number_input(key=f"{P}.sweep.iterations").set_value(11).run()
    at.number_input(key=f"{P}.sweep.n_train").set_value(100).run()
    train_and_wait(at, f"{P}.sweep.train", spec)
    runs = at.dataframe[0].value["실행"].tolist()
    assert runs == ["학습률 0.001", "학습률 0.01", "학습률 0.1", "학습률 1", "학습률 10"]
    assert not untranslated(at)


def progress_lines() -> None:
    """A script that draws the runner's progress line for a phase and for a plain string."""
    import streamlit as st

    from core.spec import Phase
    from ui import runner

    st.text(runner.progress_text(0.25, Phase("epoch", 3, 1200), 4.2))
    st.text(runner.progress_text(0.5, Phase("data"), 1.0))
    st.text(runner.progress_text(0.75, "step 5/10", 9.0))


@pytest.mark.parametrize(
    "lang, lines",
    [
        ("en", ["Epoch 3 of 1,200 · 25% done · 4 s", "Loading the data · 50% done · 1 s", "75% done · 9 s"]),
        ("ko", ["1,200에포크 중 3에포크 · 25% 완료 · 4초", "데이터를 불러오는 중 · 50% 완료 · 1초", "75% 완료 · 9초"]),
    ],
)
def test_the_progress_line_names_the_phase_in_the_readers_language(lang, lines):
    at = AppTest.from_function(progress_lines)
    at.session_state["lang"] = lang
    at.run()
    assert [e.value for e in at.text] == lines
