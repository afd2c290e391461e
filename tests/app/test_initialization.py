"""The weight-initialization page: defaults, every preset, extreme knobs, both languages."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page
from ui import runner


def errors(at: AppTest) -> list:
    return list(at.exception) + list(at.error)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_defaults(lang):
    at = open_page("initialization", lang)
    assert not errors(at)
    assert at.title[0].value  # translated title
    assert len(at.tabs) == 5


def test_every_preset():
    at = open_page("initialization")
    preset_keys = [b.key for b in at.button if b.key and ".preset." in b.key]
    assert len(preset_keys) >= 9
    for key in preset_keys:
        at.button(key=key).click()
        at.run()
        assert not errors(at), key
    at.button(key="initmnist.preset").click()
    at.run()
    assert not errors(at)


def test_extreme_knobs():
    at = open_page("initialization")
    at.number_input(key="inithist.depth").set_value(20)
    at.number_input(key="inithist.width").set_value(1)
    at.multiselect(key="inithist.inits.en").set_value(["normal", "zeros", "constant", "he_uniform"])
    at.number_input(key="inithist.std").set_value(0.0)
    at.run()
    assert not errors(at)
    at.slider(key="initdepth.depth").set_value(60)
    at.number_input(key="initdepth.width").set_value(1)
    at.number_input(key="initdepth.std").set_value(0.0)
    at.selectbox(key="initdepth.activation.en").set_value("relu")
    at.run()
    assert not errors(at)
    at.number_input(key="initact.slope").set_value(1.0)
    at.multiselect(key="initact.names.en").set_value(list(at.multiselect(key="initact.names.en").options))
    at.run()
    assert not errors(at)


def test_bad_settings_give_a_message_not_a_traceback():
    at = open_page("initialization")
    at.multiselect(key="inithist.inits.en").set_value([])
    at.run()
    assert not at.exception
    assert at.warning  # the translated "cannot be run" message


def finish_jobs() -> None:
    for job in runner.queue().jobs():
        runner.wait(job.spec)


def train(at: AppTest, button: str) -> None:
    """Click a Train button, wait for the background job, and draw its result."""
    at.run()
    before = len(at.dataframe)
    at.button(key=button).click()
    at.run()
    finish_jobs()
    at.run()
    assert not errors(at), button
    assert len(at.dataframe) > before, button  # the result's table is on the page


def test_every_tab_trains_through_the_runner():
    at = open_page("initialization")
    at.number_input(key="initsym.steps").set_value(4)
    at.number_input(key="initsym.width").set_value(3)
    train(at, "initsym.train")
    at.slider(key="initdepth.depth").set_value(4)
    at.number_input(key="initdepth.width").set_value(8)
    at.number_input(key="initdepth.steps").set_value(2)
    at.button(key="initdepth.train").click()
    at.run()
    finish_jobs()
    at.run()
    assert not errors(at)
    at.number_input(key="initmnist.iterations").set_value(3)
    at.multiselect(key="initmnist.activations.en").set_value(["relu", "sigmoid"])
    train(at, "initmnist.train")
    at.number_input(key="initact.prelu_steps").set_value(3)
    train(at, "initact.prelu_train")
