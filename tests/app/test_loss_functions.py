"""The loss-functions page: its defaults, bad logits and the neuron's training, in both languages."""

import pytest

from tests.app.apptest import open_page
from tests.app.reading import untranslated

P = "loss_functions"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_defaults_render(lang):
    page = open_page(P, lang)
    assert len(page.get("vega_lite_chart")) == 3
    assert len(page.dataframe) == 2
    assert page.caption  # the lecture's rounding note for the lecture's logits
    assert lang == "en" or not untranslated(page)


def test_bad_logits_give_a_message():
    page = open_page(P)
    page.text_input(key=f"{P}.logits").set_value("2, banana").run()
    assert not page.exception
    assert any("finite numbers" in w.value for w in page.warning)


def test_the_neuron_trains_from_either_case():
    page = open_page(P)
    page.radio(key=f"{P}.case").set_value(1).run()
    page.number_input(key=f"{P}.steps").set_value(5000).run()
    assert not page.exception
