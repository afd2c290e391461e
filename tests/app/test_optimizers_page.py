"""The home page and the Optimizers page run with defaults, every preset and extreme knobs."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import playground
from core.experiments.optimizers import OptimizerComparison
from core.optimizers import METHODS
from core.playground import PRESETS
from core.spec import Result
from core.store import Store
from core.surfaces import SURFACES
from core.train import with_keys
from tests.app.apptest import open_page
from ui import runner
from ui.i18n import t


def views(spec: dict) -> int:
    """The panels of a chart spec: each part of a concatenation, a layered panel counted once."""
    parts = [v for k in ("vconcat", "hconcat", "concat") for v in spec.get(k, [])]
    return sum(map(views, parts)) if parts else 1


def charts(at: AppTest) -> int:
    """The panels drawn on the page (a map of the playground is one, the loss chart another)."""
    return sum(views(json.loads(c.proto.spec)) for c in at.get("vega_lite_chart"))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_page(lang):
    at = open_page(lang=lang)
    assert at.title[0].value
    assert not at.error


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_optimizers_defaults_draw_the_book_figure(lang):
    at = open_page("optimizers", lang)
    assert charts(at) >= 5  # four panels of the book figure and the loss curves
    assert not at.error and not at.warning


NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:e[+-]\d+)?")


def lesson_text(at: AppTest) -> str:
    return at.success[-1].value


def named_only(text: str, present: list[str]) -> bool:
    """Whether `text` names no optimizer other than those `present` (English names)."""
    absent = [m.label for key, m in METHODS.items() if key not in present]
    return not any(re.search(rf"\b{re.escape(name)}\b", text) for name in absent)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_playground_preset(preset):
    at = open_page("optimizers")
    at.button(key=f"opt2d.preset.{preset}").click()
    at.run()
    assert not at.exception and not at.error
    assert charts(at) >= 2
    assert at.selectbox(key="opt2d.surface.en").value == PRESETS[preset].surface
    assert named_only(lesson_text(at), list(PRESETS[preset].methods))
    table = at.dataframe[0].value
    if preset.startswith("knou"):  # the lecture's printed points, "—" where it printed none
        printed = table["Lecture's printed result"].tolist()
        assert "None" not in printed and ("—" in printed) == (preset == "knou_adaptive")


def test_off_the_preset_the_lesson_quotes_the_new_run():
    """The lecture's adaptive race with AdaGrad's rate moved and Nesterov added: every number in
    the lesson is a number of the table (or the steps, rates and thresholds it names), and it
    names only the racing methods."""
    at = open_page("optimizers")
    at.button(key="opt2d.preset.knou_adaptive").click()
    at.run()
    at.multiselect(key="opt2d.methods.en").set_value(["sgd", "adagrad", "nesterov"])
    at.number_input(key="opt2d.adagrad.lr").set_value(1.2)
    at.run()
    assert not at.exception
    text, table = lesson_text(at), at.dataframe[0].value
    assert named_only(text, ["sgd", "adagrad", "nesterov"]) and "Nesterov" in text
    sentence = t("optimizers.lesson_surface_knou")
    allowed = set(NUMBER.findall(table.to_string())) | set(NUMBER.findall(sentence)) | {"100", "0.01", "1.2"}
    assert set(NUMBER.findall(text)) <= allowed
    assert table["Loss"].iloc[1] in text  # AdaGrad's new final loss is quoted


def test_choosing_a_surface_loads_its_start_and_rates():
    at = open_page("optimizers")
    at.selectbox(key="opt2d.surface.en").set_value("rosenbrock")
    at.run()
    race = PRESETS[playground.SURFACE_PRESETS["rosenbrock"]]
    assert (at.number_input(key="opt2d.x0").value, at.number_input(key="opt2d.y0").value) == SURFACES[
        "rosenbrock"
    ].start
    assert at.number_input(key="opt2d.steps").value == race.steps
    assert at.multiselect(key="opt2d.methods.en").value == list(race.methods)
    assert at.number_input(key="opt2d.sgd.lr").value == race.methods["sgd"]["lr"]
    assert "Rosenbrock" in lesson_text(at) and not at.exception


def bound_params(at: AppTest) -> dict[str, dict]:
    """The chart parameters bound to an input in the browser, by name, over every chart drawn."""
    found = {}
    for chart in at.get("vega_lite_chart"):
        for p in json.loads(chart.proto.spec).get("params", []):
            if isinstance(p.get("bind"), dict):
                found[p["name"]] = p
    return found


@pytest.mark.parametrize("panels", [True, False])
def test_the_step_is_scrubbed_in_the_browser_not_by_a_server_slider(panels):
    """The map and the loss per step are one chart whose step is a parameter bound to a range
    input: it starts at the last step (the finished race), moves the paths and the loss chart's
    rule alike, and follows the number of steps; no server slider is left to rerun the page."""
    at = open_page("optimizers")
    at.toggle(key="opt2d.panels").set_value(panels)
    at.number_input(key="opt2d.steps").set_value(80)
    at.run()
    assert not at.exception
    assert not [s for s in at.slider if "opt2d" in str(s.key)]
    step = bound_params(at)["opt_step"]
    assert step["bind"] == {"input": "range", "min": 0, "max": 80, "step": 1, "name": t("optimizers.scrub")}
    assert step["value"] == 80
    spec = next(c.proto.spec for c in at.get("vega_lite_chart") if '"opt_step"' in c.proto.spec)
    assert "datum.step <= opt_step" in spec  # the paths stop at the step shown
    assert '"calculate": "opt_step"' in spec  # and the loss chart's rule stands on it
    assert len([c for c in at.get("vega_lite_chart") if '"opt_step"' in c.proto.spec]) == 1  # one input moves both
    at.number_input(key="opt2d.steps").set_value(20)
    at.run()
    assert bound_params(at)["opt_step"]["bind"]["max"] == 20
    assert "After 20 steps" in lesson_text(at)  # the lesson speaks of the last step, as the table does


def test_a_start_off_the_map_and_a_loss_of_zero_keep_the_charts():
    at = open_page("optimizers")
    at.number_input(key="opt2d.x0").set_value(40.0)
    at.run()
    assert not at.exception and charts(at) >= 5
    at.number_input(key="opt2d.x0").set_value(0.0)
    at.number_input(key="opt2d.y0").set_value(0.0)  # the minimum itself: every loss is exactly 0
    at.run()
    assert not at.exception and any("log axis" in c.value for c in at.caption)


def test_extreme_knobs_show_divergence_not_an_exception():
    at = open_page("optimizers")
    at.toggle(key="opt2d.panels").set_value(False)
    at.number_input(key="opt2d.sgd.lr").set_value(10.0)
    at.number_input(key="opt2d.steps").set_value(1000)
    at.run()
    assert not at.exception
    notes = at.dataframe[0].value.astype(str).to_string()
    assert "diverged" in notes
    at.number_input(key="opt2d.steps").set_value(1)
    at.selectbox(key="opt2d.surface.en").set_value("saddle")
    at.run()
    assert not at.exception and charts(at) >= 2


def test_all_optimizers_on_every_surface():
    at = open_page("optimizers")
    at.multiselect(key="opt2d.methods.en").set_value(
        ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adadelta"]
    )
    for surface in ("book", "knou", "rosenbrock", "saddle", "himmelblau"):
        at.selectbox(key="opt2d.surface.en").set_value(surface)
        at.run()
        assert not at.exception, surface


def test_no_optimizer_chosen_is_a_hint():
    at = open_page("optimizers")
    at.multiselect(key="opt2d.methods.en").set_value([])
    at.run()
    assert not at.exception and at.info


def test_mnist_comparison_trains_and_shows_results():
    at = open_page("optimizers")
    at.number_input(key="optmnist.iterations").set_value(15)
    at.number_input(key="optmnist.depth").set_value(1)
    at.number_input(key="optmnist.width").set_value(8)
    at.run()
    before = {job.key for job in runner.queue().jobs()}
    at.button(key="optmnist.train").click()
    at.run()
    assert not at.exception
    started = [job for job in runner.queue().jobs() if job.key not in before]
    assert len(started) == 1, "the Train button starts exactly one background job"
    job = runner.wait(started[0].spec, timeout=300)
    assert job.done and job.error is None
    at.run()
    assert not at.exception
    texts = " ".join(str(df.value.to_string()) for df in at.dataframe)
    assert "SGD" in texts and "Adam" in texts and "%" in texts


def test_a_damaged_stored_result_becomes_a_message_not_a_traceback(monkeypatch):
    """A stored entry damaged in a way no check foresaw (its curves lack a column the charts
    read): the page says so in the visitor's language instead of showing a traceback."""
    monkeypatch.delenv("LAB_STRICT")
    spec = OptimizerComparison()  # what the MNIST tab shows first
    broken = pd.DataFrame({"variant": ["SGD"], "step": [1], "value": [2.3]})
    Store().put(spec, Result({"curves": broken, "summary": pd.DataFrame({"variant": ["SGD"]})}), 1.0)
    try:
        at = open_page("optimizers", lang="ko")
        assert not at.exception
        assert any("처리하지 못한 문제" in e.value for e in at.error)
    finally:
        Store().delete([spec.key()])


def chart_text(chart) -> str:
    """A chart's spec as readable text (legend domains, titles), non-ASCII unescaped."""
    return json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)


def english_names_shown(at: AppTest) -> list[str]:
    """English method names (other than those Korean spells the same) in the tables, the
    options of the selects and the charts' specs (legend domains, panel titles)."""
    english = ("Momentum", "Nesterov")
    shown = [df.value.to_string() for df in at.dataframe]
    shown += [str(o) for w in at.get("multiselect") for o in w.options]
    shown += [chart_text(chart) for chart in at.get("vega_lite_chart")]
    return [name for name in english if any(name in text for text in shown)]


@pytest.mark.parametrize("preset", ["book", "knou"])
def test_the_playground_in_korean_names_the_optimizers_in_korean(preset):
    at = open_page("optimizers")
    at.button(key=f"opt2d.preset.{preset}").click()
    at.run()
    at.session_state["lang"] = "ko"  # AppTest formats options in the test's thread: switch last
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "모멘텀" in table.iloc[:, 0].tolist()
    assert any("모멘텀" in chart_text(chart) for chart in at.get("vega_lite_chart"))  # a legend or panel title
    assert not english_names_shown(at)


def test_mnist_presets_come_from_the_spec():
    at = open_page("optimizers")
    for name, spec in OptimizerComparison.presets().items():
        at.button(key=f"optmnist.preset.{name}").click()
        at.run()
        assert at.number_input(key="optmnist.iterations").value == spec.iterations
        assert at.number_input(key="optmnist.batch_size").value == spec.batch_size
        assert at.number_input(key="optmnist.depth").value == len(spec.hidden)
        assert at.multiselect(key="optmnist.methods.en").value == [o.method for o in spec.optimizers]


def stored_result(spec: OptimizerComparison) -> Result:
    """A made-up result of `spec` shaped as training makes it: curves and summary keyed by
    the variants' method and rate."""
    variants = spec.variants()
    curves = pd.DataFrame(
        [(v.name, step, 0.0, "loss", 2.3 / step) for v in variants for step in range(1, 11)],
        columns=["variant", "step", "epoch", "metric", "value"],
    )
    summary = pd.DataFrame(
        {
            "variant": [v.name for v in variants],
            "final_loss": 0.5,
            "test_acc": 0.9,
            "seconds": 1.0,
            "diverged_at": np.nan,
        }
    )
    return Result({"curves": with_keys(curves, variants), "summary": with_keys(summary, variants)})


def test_the_mnist_results_in_korean_name_the_optimizers_in_korean():
    spec = OptimizerComparison()  # what the MNIST tab shows first
    Store().put(spec, stored_result(spec), 1.0)
    try:
        at = open_page("optimizers", lang="ko")
        assert not at.exception
        results = at.dataframe[-1].value
        assert results.iloc[:, 0].tolist() == ["SGD", "모멘텀", "AdaGrad", "Adam"]
        assert not any(v.name in results.to_string() for v in spec.variants() if v.name != "sgd")  # no raw ids
        assert not english_names_shown(at)
    finally:
        Store().delete([spec.key()])


def test_the_mnist_lesson_follows_its_table():
    """A stored race where Adam ends above SGD and AdaGrad diverged: the lesson names the lowest
    and highest from the table, with the table's figures, says SGD is not the slowest, and names
    the diverged optimizer."""
    spec = OptimizerComparison()
    stored = stored_result(spec)
    summary = stored.frames["summary"]
    summary["final_loss"] = [0.41, 0.2, np.nan, 0.75]  # sgd, momentum, adagrad, adam
    summary["test_acc"] = [0.9, 0.95, np.nan, 0.85]
    summary["diverged_at"] = pd.array([None, None, 7, None], dtype="Int64")
    Store().put(spec, stored, 1.0)
    try:
        at = open_page("optimizers")
        assert not at.exception
        text, table = lesson_text(at), at.dataframe[-1].value
        assert "Momentum: 0.2, with a test accuracy of 95.00%" in text and "Adam: 0.75" in text
        assert "not the slowest" in text and "AdaGrad at iteration 7" in text
        figures = set(NUMBER.findall(text.replace("figure 6-9", "")))
        assert figures <= set(NUMBER.findall(table.to_string())) | {"10", "90", "0.01"}  # iterations, share, SGD's rate
    finally:
        Store().delete([spec.key()])
