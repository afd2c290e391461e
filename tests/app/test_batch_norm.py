"""The batch norm page: defaults, extreme knobs, presets, and tiny training runs of each tab."""

from core.experiments.batchnorm import BatchNormComparison, BatchNormGrid, BatchNormInference
from tests.app.apptest import open_page, train_and_wait

P = "batch_norm"


def test_defaults_and_korean():
    at = open_page(P)
    assert len(at.tabs) == 5
    at.sidebar.radio[0].set_value("ko")
    at.run()
    assert not at.exception
    assert at.title[0].value == "배치 정규화"


def test_walkthrough_extremes():
    at = open_page(P)
    at.slider(key=f"{P}.walk.batch").set_value(1)
    at.slider(key=f"{P}.walk.gamma").set_value(0.0)
    at.slider(key=f"{P}.walk.beta").set_value(-5.0)
    at.run()
    assert not at.exception
    assert at.warning  # a batch of one is explained
    at.slider(key=f"{P}.walk.batch").set_value(256)
    at.slider(key=f"{P}.walk.gamma").set_value(5.0)
    at.slider(key=f"{P}.run.momentum").set_value(1.0)
    at.slider(key=f"{P}.run.batch").set_value(2)
    at.run()
    assert not at.exception


def test_grid_tiny_run_and_preset():
    at = open_page(P)
    at.button(key=f"{P}.grid.preset").click()
    at.run()
    assert at.number_input(key=f"{P}.grid.epochs").value == BatchNormGrid().epochs
    at.number_input(key=f"{P}.grid.n_train").set_value(200)
    at.number_input(key=f"{P}.grid.epochs").set_value(1)
    at.run()
    train_and_wait(at, f"{P}.grid.train", BatchNormGrid(n_train=200, epochs=1))
    assert at.select_slider(key=f"{P}.grid.scale")  # the large panel's chooser appears with the result


def test_comparison_tabs_tiny_runs():
    at = open_page(P)
    at.button(key=f"{P}.lr.preset.deep_sigmoid").click()
    at.run()
    assert at.selectbox(key=f"{P}.lr.activation").value == "sigmoid"
    at.number_input(key=f"{P}.lr.depth").set_value(1)
    at.number_input(key=f"{P}.lr.epochs").set_value(1)
    at.run()
    spec = BatchNormComparison(
        lrs=(0.1,), hidden=(100,), activation="sigmoid", init="xavier", epochs=1, placements=("none", "before")
    )
    train_and_wait(at, f"{P}.lr.train", spec)
    at.radio(key=f"{P}.lr.metric.en").set_value("test_acc")
    at.run()
    assert not at.exception

    at.number_input(key=f"{P}.place.depth").set_value(2)
    at.number_input(key=f"{P}.place.epochs").set_value(1)
    at.run()
    spec = BatchNormComparison(placements=("none", "before", "after"), lrs=(0.1,), hidden=(100, 100), epochs=1)
    train_and_wait(at, f"{P}.place.train", spec)
    at.slider(key=f"{P}.place.epoch").set_value(0)
    at.run()
    assert not at.exception


def test_no_learning_rate_is_a_message_not_a_traceback():
    at = open_page(P)
    at.multiselect(key=f"{P}.lr.lrs").set_value([])
    at.run()
    assert not at.exception
    assert at.warning


def test_inference_run():
    at = open_page(P)
    train_and_wait(at, f"{P}.tiny.train", BatchNormInference())
