"""The input-normalization page: every section renders, at the extreme scale ratio, with the
scalings named in the reader's language."""

import re

import pytest

from tests.app.apptest import open_page
from tests.app.reading import untranslated
from ui.i18n import catalog

P = "input_normalization"
NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_defaults_render_with_named_scalings(lang):
    page = open_page(P, lang)
    assert len(page.get("vega_lite_chart")) == 6  # three contour panels, two zig-zags, the category fit
    columns = " ".join(page.dataframe[0].value.columns)
    assert catalog(lang)["labels.normalization_standardize"] in columns
    if lang == "ko":
        assert "Standardized" not in columns and "minmax" not in columns
        assert not untranslated(page)


def test_extreme_ratio_and_shares():
    page = open_page(P)
    page.select_slider(key=f"{P}.ratio").set_value(1000.0).run()
    page.slider(key=f"{P}.test_positive_share").set_value(0.0).run()
    page.number_input(key=f"{P}.target.heavy").set_value(-100.0).run()
    assert not page.exception


def test_lessons_quote_the_figures_on_screen():
    page = open_page(P)
    page.select_slider(key=f"{P}.ratio").set_value(1.0).run()  # off the first setting
    page.slider(key=f"{P}.test_positive_share").set_value(0.3).run()
    shown = " ".join(m.value for m in page.metric)
    contours, leak, zigzag = (e.value for e in page.success[:3])
    for text in (contours, leak, zigzag):
        quoted = set(NUMBER.findall(text)) - {"0", "1", "2", "3", "4"}  # the prose's own: "from 0", "1, 2, 3, 4"
        assert quoted <= set(NUMBER.findall(shown)), text
    assert "share one scale" in contours  # at ratio 1 the lesson blames the offset
