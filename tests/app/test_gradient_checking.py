"""The gradient-checking page with extreme knobs and a planted bug, in both languages."""

import re

import pytest

from tests.app.apptest import open_page
from tests.app.reading import untranslated

P = "gradient_checking"


def texts(at) -> str:
    return " ".join(e.value for kind in ("success", "error", "warning", "info") for e in getattr(at, kind))


@pytest.fixture
def page():
    return open_page(P)


def test_gradcheck_extremes_and_bug(page):
    page.select_slider(key=f"{P}.eps").set_value(1e-12).run()
    assert not page.exception
    assert "rounding" in texts(page)
    page.slider(key=f"{P}.depth").set_value(10).run()
    page.toggle(key=f"{P}.batchnorm").set_value(True).run()
    page.number_input(key=f"{P}.batch").set_value(1).run()
    assert not page.exception
    assert "batch of one" in texts(page)
    page.select_slider(key=f"{P}.eps").set_value(1e-6).run()
    page.toggle(key=f"{P}.batchnorm").set_value(False).run()
    page.slider(key=f"{P}.depth").set_value(2).run()
    page.selectbox(key=f"{P}.bug.en").set_value("activation").run()
    assert not page.exception
    assert any("almost surely a bug" in str(v) for v in page.dataframe[0].value.iloc[:, -1])


def test_a_bug_below_the_network_is_a_message(page):
    page.selectbox(key=f"{P}.bug.en").set_value("weight").run()
    page.number_input(key=f"{P}.bug_layer").set_value(8).run()
    assert not page.exception
    assert page.warning


def test_korean_names_the_activations(page):
    page.selectbox(key=f"{P}.activation.en").set_value("relu").run()
    page.session_state["lang"] = "ko"
    page.run()
    assert not page.exception
    assert page.title[0].value == "그래디언트 검사"
    select = page.selectbox(key=f"{P}.activation.ko")
    assert select.value == "relu"
    assert "leaky_relu" not in select.options and "Linear (none)" not in select.options
    assert not untranslated(page)


def test_the_lesson_quotes_this_checks_errors(page):
    page.select_slider(key=f"{P}.eps").set_value(1e-12).run()  # off the defaults: a false alarm
    lesson = next(e.value for e in page.success if "take away" in e.value)
    table = page.dataframe[0].value
    errors = re.findall(r"\d\.\d\de-\d\d", lesson)
    assert errors and set(errors) <= set(table.iloc[:, 2]) and "1e-12" in lesson
