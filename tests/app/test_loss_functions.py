"""The loss-functions page: its defaults, bad logits and the neuron's training, in both languages."""

import re

import pytest

from tests.app.apptest import open_page
from tests.app.reading import untranslated
from ui.i18n import t

P = "loss_functions"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_defaults_render(lang):
    page = open_page(P, lang)
    assert len(page.get("vega_lite_chart")) == 3
    assert len(page.dataframe) == 4  # cases, the lecture's numbers beside ours, softmax, its printed numbers
    assert page.caption  # the lecture's rounding note for the lecture's logits
    assert lang == "en" or not untranslated(page)


def test_bad_logits_give_a_message():
    page = open_page(P)
    page.text_input(key=f"{P}.logits").set_value("2, banana").run()
    assert not page.exception
    assert any("finite numbers" in w.value for w in page.warning)


def lessons(page) -> list[str]:
    return [e.value for e in page.success if t("common.lesson") in e.value]


def test_the_neuron_trains_from_either_case():
    page = open_page(P)
    page.radio(key=f"{P}.case").set_value(1).run()
    page.number_input(key=f"{P}.steps").set_value(5000).run()
    assert not page.exception
    page.number_input(key=f"{P}.steps").set_value(7).run()  # off the preset: too few steps for MSE
    neuron = lessons(page)[0]
    assert "7 steps" in neuron and "step 1;" in neuron  # cross-entropy crossed at once, MSE not within 7


def test_cross_entropy_is_in_bits_everywhere_and_other_logits_drop_the_printed_rows():
    page = open_page(P)
    assert "bits" in page.get("vega_lite_chart")[0].proto.spec  # the error axis says its unit
    printed = page.dataframe[1].value
    assert printed.iloc[:, 0].str.contains("bits").any() and len(printed) == 4
    page.text_input(key=f"{P}.logits").set_value("1, 3").run()
    assert len(page.dataframe) == 3  # the lecture's softmax numbers belong to its logits only
    softmax = lessons(page)[-1]
    table = page.dataframe[2].value.to_string()
    assert set(re.findall(r"\d\.\d{4}", softmax)) <= set(re.findall(r"\d\.\d{4}", table))
    assert "class 2 gets" in softmax and "Class 1 gets" in softmax
