"""The input-normalization page: every section renders, at the extreme scale ratio, with the
scalings named in the reader's language."""

import pytest

from tests.app.apptest import open_page
from tests.app.reading import untranslated
from ui.i18n import catalog

P = "input_normalization"


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
