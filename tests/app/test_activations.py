"""The activation-functions page: curves with their slopes, extreme knobs, PReLU's learned slope
through the runner, both languages, and Korean names only."""

import pytest

from core.activations import CURVES
from tests.app.apptest import open_page
from tests.app.test_initialization import errors, finish_jobs, leaks, lessons, numbers
from ui import i18n


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_curves_and_prelu_in_both_languages(lang, monkeypatch):
    # AppTest formats options outside the script's session, where the language falls back to
    # the browser's: make that the page's language, so that options match what the page drew.
    monkeypatch.setattr(i18n, "browser_lang", lambda: lang)
    at = open_page("activations", lang)
    assert not errors(at)
    assert at.title[0].value == i18n.catalog(lang)["activations.title"]
    assert len(at.get("vega_lite_chart")) == 4  # the four default functions
    at.number_input(key="activations.iterations").set_value(3 if lang == "en" else 4)
    at.run()
    at.button(key="activations.train").click()
    at.run()
    finish_jobs()
    at.run()
    assert not errors(at)
    table = at.dataframe[-1].value
    assert "PReLU" in table.iloc[:, 0].tolist()  # the PReLU comparison's table, named by activation
    quoted = {n for n in numbers(lessons(at)[-1]) if n.endswith("%")}
    assert quoted and quoted <= set(table.iloc[:, 1])  # the accuracies it quotes are the table's
    sigmoid = {"en": "Sigmoid", "ko": "시그모이드"}[lang]
    assert sigmoid in at.multiselect(key=f"activations.names.{lang}").options
    if lang == "ko":
        assert not leaks(at), leaks(at)


def test_extreme_knobs_and_no_choice():
    at = open_page("activations")
    at.number_input(key="activations.slope").set_value(1.0)
    at.number_input(key="activations.range").set_value(50.0)
    at.multiselect(key="activations.names.en").set_value(list(CURVES))
    at.run()
    assert not errors(at)
    assert len(at.get("vega_lite_chart")) == len(CURVES)
    at.multiselect(key="activations.names.en").set_value([])
    at.run()
    assert not errors(at) and at.info  # asks for a choice instead of drawing nothing


def test_initialization_page_links_here():
    at = open_page("initialization")
    assert any("activations" in link.proto.page for link in at.get("page_link"))


def test_curves_lesson_follows_the_range_drawn():
    """Drawn over ±1, sigmoid has no flat region: the lesson says so and quotes the steepest
    slope, and names only the functions drawn."""
    at = open_page("activations")
    at.multiselect(key="activations.names.en").set_value(["sigmoid", "relu"])
    at.number_input(key="activations.range").set_value(1.0)
    at.run()
    text = lessons(at)[0]
    assert "Sigmoid: steepest slope 0.25; nowhere almost flat" in text, text
    assert "ReLU: steepest slope 1; almost no gradient (shaded) on 50%" in text
    assert "tanh" not in text.split("The textbook pairing")[0]  # only the functions drawn
    at.number_input(key="activations.range").set_value(6.0)
    at.run()
    assert "Sigmoid: steepest slope 0.25; almost no gradient (shaded) on 28%" in lessons(at)[0]
