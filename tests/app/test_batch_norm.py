"""The batch norm page: defaults, extreme knobs, presets, and tiny training runs of each tab."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.experiments.batchnorm import BatchNormComparison, BatchNormGrid, BatchNormInference
from ui import runner

ROOT = Path(__file__).resolve().parents[2]
P = "batch_norm"


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/batch_norm.py")
    at.run()
    assert not at.exception
    return at


def train(at: AppTest, key: str, spec) -> None:
    """Click a train button, wait for the background job, and draw the result."""
    at.button(key=key).click()
    at.run()
    job = runner.wait(spec)
    assert job is not None and job.done and job.error is None, job and job.error
    at.run()
    assert not at.exception


def test_defaults_and_korean():
    at = page()
    assert len(at.tabs) == 5
    at.sidebar.radio[0].set_value("ko")
    at.run()
    assert not at.exception
    assert at.title[0].value == "배치 정규화"


def test_walkthrough_extremes():
    at = page()
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
    at = page()
    at.button(key=f"{P}.grid.preset").click()
    at.run()
    assert at.number_input(key=f"{P}.grid.epochs").value == BatchNormGrid().epochs
    at.number_input(key=f"{P}.grid.n_train").set_value(200)
    at.number_input(key=f"{P}.grid.epochs").set_value(1)
    at.run()
    train(at, f"{P}.grid.train", BatchNormGrid(n_train=200, epochs=1))
    assert at.select_slider(key=f"{P}.grid.scale")  # the large panel's chooser appears with the result


def test_comparison_tabs_tiny_runs():
    at = page()
    at.button(key=f"{P}.lr.preset.deep_sigmoid").click()
    at.run()
    assert at.selectbox(key=f"{P}.lr.activation").value == "sigmoid"
    at.number_input(key=f"{P}.lr.depth").set_value(1)
    at.number_input(key=f"{P}.lr.epochs").set_value(1)
    at.run()
    spec = BatchNormComparison(
        lrs=(0.1,), hidden=(100,), activation="sigmoid", init="xavier", epochs=1, placements=("none", "before")
    )
    train(at, f"{P}.lr.train", spec)
    at.radio(key=f"{P}.lr.metric.en").set_value("test_acc")
    at.run()
    assert not at.exception

    at.number_input(key=f"{P}.place.depth").set_value(2)
    at.number_input(key=f"{P}.place.epochs").set_value(1)
    at.run()
    spec = BatchNormComparison(placements=("none", "before", "after"), lrs=(0.1,), hidden=(100, 100), epochs=1)
    train(at, f"{P}.place.train", spec)
    at.slider(key=f"{P}.place.epoch").set_value(0)
    at.run()
    assert not at.exception


def test_no_learning_rate_is_a_message_not_a_traceback():
    at = page()
    at.multiselect(key=f"{P}.lr.lrs").set_value([])
    at.run()
    assert not at.exception
    assert at.warning


def test_inference_run():
    at = page()
    train(at, f"{P}.tiny.train", BatchNormInference())
