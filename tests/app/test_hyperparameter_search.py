"""The Hyperparameter search page: defaults in both languages, and a tiny round run end to end
with extreme knobs (one trial, ranges collapsed to a point), narrowing and the final test."""

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import hpo
from core.hpo import HyperSearch, Param
from tests.app.apptest import open_page
from ui import runner

P = "hps"


def wait_for_all_jobs(at: AppTest) -> None:
    for job in runner.queue().jobs():
        runner.wait(job.spec)
    at.run()
    assert not at.exception, at.exception


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_defaults_show_the_book_setup(lang):
    at = open_page("hyperparameter_search", lang)
    assert not at.error
    assert at.button(key=f"{P}.run")
    assert at.slider(key=f"{P}.range.lr").value == (-6.0, -2.0)
    assert at.slider(key=f"{P}.range.weight_decay").value == (-8.0, -4.0)


def test_one_trial_with_ranges_collapsed_to_a_point():
    at = open_page("hyperparameter_search")
    at.number_input(key=f"{P}.n_trials").set_value(1)
    at.number_input(key=f"{P}.n_train").set_value(60)
    at.number_input(key=f"{P}.epochs").set_value(1)
    at.number_input(key=f"{P}.depth").set_value(1)
    at.slider(key=f"{P}.range.lr").set_value((-2.0, -2.0))
    at.slider(key=f"{P}.range.weight_decay").set_value((-5.0, -5.0))
    at.run()
    at.button(key=f"{P}.run").click()
    at.run()
    wait_for_all_jobs(at)
    assert not at.error
    assert len(at.get("vega_lite_chart")) >= 3  # split bar, scatter, best curves
    assert at.button(key=f"{P}.accept")
    at.button(key=f"{P}.final").click()
    at.run()
    wait_for_all_jobs(at)
    assert not at.error
    assert at.metric[0].value.endswith("%")


def test_the_searched_parameters_survive_a_language_switch():
    at = open_page("hyperparameter_search")
    at.multiselect(key=f"{P}.params.en").set_value(["lr", "optimizer"])
    at.run()
    at.session_state["lang"] = "ko"
    at.run()
    assert at.multiselect(key=f"{P}.params.ko").value == ["lr", "optimizer"]
    assert not at.exception


def test_a_wrong_storage_url_is_explained():
    at = open_page("hyperparameter_search")
    at.text_input(key=f"{P}.storage").set_value("nonsense")
    at.run()
    assert not at.exception
    assert any("nonsense" in e.value for e in at.error)


def test_narrowing_prepares_the_next_round():
    spec = HyperSearch(n_train=60, epochs=1, depth=1, n_trials=4, space=(Param("lr", 1e-4, 1e-1, log=True),))
    at = open_page("hyperparameter_search")
    at.number_input(key=f"{P}.n_trials").set_value(4)
    at.number_input(key=f"{P}.n_train").set_value(60)
    at.number_input(key=f"{P}.epochs").set_value(1)
    at.number_input(key=f"{P}.depth").set_value(1)
    at.multiselect(key=f"{P}.params.en").set_value(["lr"])
    at.run()
    at.slider(key=f"{P}.range.lr").set_value((-4.0, -1.0))
    at.run()
    at.button(key=f"{P}.run").click()
    at.run()
    wait_for_all_jobs(at)
    at.number_input(key=f"{P}.k").set_value(2)
    at.run()
    at.button(key=f"{P}.accept").click()
    at.run()
    low, high = at.slider(key=f"{P}.range.lr").value
    assert -4.0 <= low <= high <= -1.0 and high - low < 3.0
    assert at.session_state[f"{P}.history"][0]["space"] == spec.to_dict()["space"]
    at.button(key=f"{P}.run").click()
    at.run()
    wait_for_all_jobs(at)
    assert len(at.get("vega_lite_chart")) == 5  # split, scatter, best curves, and both rounds side by side


def test_watching_a_study_shows_its_trials():
    HyperSearch(n_train=60, epochs=1, depth=1, n_trials=2, study="watched").run()
    at = open_page("hyperparameter_search")
    at.selectbox(key=f"{P}.watch").set_value("watched")
    at.toggle(key=f"{P}.watching").set_value(True)
    at.run()
    assert not at.exception, at.exception
    assert any(len(df.value) == 2 for df in at.dataframe)


def test_a_shared_server_keeps_its_storage_to_itself(monkeypatch):
    """On a shared deployment a visitor may neither point the server at a file or host of their
    choosing nor read its storage path."""
    monkeypatch.setenv("LAB_CLEAR", "own")
    at = open_page("hyperparameter_search")
    box = at.text_input(key="hps.storage")
    assert box.disabled
    shown = " ".join([c.value for c in at.caption] + [c.value for c in at.code])
    assert "sqlite:///" not in shown and hpo.shown_url("") not in shown


def test_the_first_values_are_the_book_round_in_batches():
    preset = HyperSearch.presets()["book_in_batches"]
    at = open_page("hyperparameter_search")
    assert at.number_input(key=f"{P}.n_trials").value == preset.n_trials
    assert at.number_input(key=f"{P}.ask_batch").value == preset.ask_batch > 0
    assert at.number_input(key=f"{P}.epochs").value == preset.epochs
    assert at.number_input(key=f"{P}.depth").value == preset.depth
    assert at.multiselect(key=f"{P}.params.en").value == [p.name for p in preset.space]


def test_a_search_over_optimizers_names_them_in_korean():
    """The trials table, the proposal, the chart data and every select name the optimizers in
    the reader's language, never by their ids."""
    at = open_page("hyperparameter_search")
    for key, value in (("n_trials", 4), ("n_train", 60), ("epochs", 1), ("depth", 1)):
        at.number_input(key=f"{P}.{key}").set_value(value)
    at.multiselect(key=f"{P}.params.en").set_value(["lr", "optimizer"])
    at.run()
    at.multiselect(key=f"{P}.range.optimizer.en").set_value(["momentum", "nesterov"])
    at.run()
    at.button(key=f"{P}.run").click()
    at.run()
    wait_for_all_jobs(at)
    at.session_state["lang"] = "ko"  # AppTest formats options in the test's thread: switch last
    at.run()
    assert not at.exception
    trials = next(df.value for df in at.dataframe if "학습률" in df.value.columns)
    assert set(trials["옵티마이저"]) <= {"모멘텀", "네스테로프"} and len(trials) == 4
    shown = [df.value.to_string() for df in at.dataframe]
    shown += [str(o) for kind in ("selectbox", "multiselect") for w in at.get(kind) for o in w.options]
    for chart in at.get("vega_lite_chart"):  # its spec (legends, titles) and its data (tooltips, facets)
        shown.append(json.dumps(json.loads(chart.proto.spec), ensure_ascii=False))
        shown += [pa.ipc.open_stream(d.data.data).read_all().to_pandas().to_string() for d in chart.proto.datasets]
    assert any("모멘텀" in text for text in shown)
    for word in ("momentum", "Momentum", "nesterov", "Nesterov"):
        assert not any(word in text for text in shown), word
