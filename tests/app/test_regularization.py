"""The regularization page: defaults, presets, extreme knobs, and short real runs."""

import pytest

from core.experiments.regularization import DecayVsL2, EarlyStoppingRun, Ensemble, Overfitting
from tests.app.apptest import open_page, train_and_wait

P = "regularization"


pytestmark = pytest.mark.usefixtures("one_thread")


def test_defaults_render_every_section():
    at = open_page(P)
    assert len(at.tabs) == 6
    assert not at.warning  # the default settings are all valid
    for key in ("see", "decay", "dropout", "es", "ens", "all"):
        assert at.button(key=f"{P}.{key}.train") is not None


def test_extreme_knobs_train_and_show_results():
    at = open_page(P)
    at.number_input(key=f"{P}.all.epochs").set_value(2)
    at.select_slider(key=f"{P}.all.l2").set_value(1.0)
    at.select_slider(key=f"{P}.all.l1").set_value(1.0)
    at.slider(key=f"{P}.all.p").set_value(0.9)
    at.number_input(key=f"{P}.all.patience").set_value(0)
    at.run()
    assert not at.exception and not at.warning
    spec = Overfitting(
        regularizer=Overfitting.presets()["compare_all"].regularizer, l2=1.0, l1=1.0, dropout=0.9, patience=0, epochs=2
    )
    train_and_wait(at, f"{P}.all.train", spec)
    tables = [df.value for df in at.dataframe]
    assert any(len(t) == 7 for t in tables)  # one row per remedy


def test_dropout_zero_and_mask_redraw():
    at = open_page(P)
    at.slider(key=f"{P}.dropout.p").set_value(0.0)
    at.number_input(key=f"{P}.dropout.epochs").set_value(1)
    at.run()
    assert not at.exception
    at.button(key=f"{P}.dropout.new_mask").click()
    at.run()
    assert not at.exception
    train_and_wait(at, f"{P}.dropout.train", Overfitting(regularizer=("none", "dropout"), dropout=0.0, epochs=1))


def test_early_stopping_presets_and_a_tiny_run():
    at = open_page(P)
    at.button(key=f"{P}.es.lecture").click()
    at.run()
    assert not at.exception and at.selectbox(key=f"{P}.es.n.en").value == 0
    at.button(key=f"{P}.es.quick").click()
    at.run()
    at.selectbox(key=f"{P}.es.n.en").set_value(1000)
    at.number_input(key=f"{P}.es.epochs").set_value(2)
    at.number_input(key=f"{P}.es.patience").set_value(0)
    at.run()
    train_and_wait(at, f"{P}.es.train", EarlyStoppingRun(n_train=1000, epochs=2, patience=0))


def test_ensemble_of_ten_runs():
    at = open_page(P)
    at.slider(key=f"{P}.ens.members").set_value(10)
    at.number_input(key=f"{P}.ens.epochs").set_value(1)
    at.run()
    train_and_wait(at, f"{P}.ens.train", Ensemble(members=10, epochs=1))
    assert any("10" in c.value for c in at.caption)


def test_bad_settings_show_a_message_not_a_traceback():
    at = open_page(P)
    at.multiselect(key=f"{P}.decay.remedies.en").set_value([])
    at.run()
    assert not at.exception and at.info


def test_seeing_overfitting_and_weight_decay_sections_show_their_charts():
    at = open_page(P)
    at.select_slider(key=f"{P}.see.n").set_value(1000)
    at.number_input(key=f"{P}.see.epochs").set_value(1)
    at.number_input(key=f"{P}.decay.epochs").set_value(1)
    at.radio(key=f"{P}.decay.opt").set_value("adam")
    at.multiselect(key=f"{P}.decay.remedies.en").set_value(["none", "weight_decay", "l1"])
    at.run()
    train_and_wait(at, f"{P}.see.train", Overfitting(n_train=1000, epochs=1))
    assert len(at.metric) == 3
    decay = Overfitting(regularizer=("none", "weight_decay", "l1"), optimizer="adam", lr=0.001, epochs=1)
    assert decay.variant("weight_decay").optimizer.method == "adamw"
    train_and_wait(at, f"{P}.decay.train", decay)
    train_and_wait(at, f"{P}.demo.run", DecayVsL2())
