"""The regularization page: defaults, presets, extreme knobs, and short real runs."""

import json
import re

import pyarrow as pa
import pytest

from core.experiments.regularization import DecayVsL2, EarlyStoppingRun, Ensemble, Overfitting, early_stopping_facts
from tests.app.apptest import open_page, train_and_wait
from tests.app.reading import names, shown
from tests.core.test_regularization import es_result
from ui import i18n
from ui import reg_views as views
from ui.reg_views import pct

P = "regularization"


pytestmark = pytest.mark.usefixtures("one_thread")
QUOTED = re.compile(r"[+-]?\d+\.\d+(?: pp|%)")  # the accuracies and gaps a lesson quotes


def chart_numbers(at) -> set[str]:
    """Every number in the charts' data, formatted as a percentage the way tables show them."""
    out = set()
    for chart in at.get("vega_lite_chart"):
        for data in chart.proto.datasets:
            frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
            out |= {pct(v) for col in frame.select_dtypes("number") for v in frame[col]}
    return out


def lesson_with(at, words: str) -> str:
    """The one lesson on the page that contains `words`."""
    found = [e.value for e in at.success if words in e.value]
    assert len(found) == 1, found
    return found[0]


def assert_lessons_quote_the_screen(at) -> None:
    """Every accuracy and gap that a lesson quotes appears elsewhere on the page, formatted the
    same way: in a table cell, a metric, a caption or a chart's data. A lesson written for a
    preset would quote numbers this run does not have."""
    shown = [str(v) for df in at.dataframe for col in df.value.columns for v in df.value[col]]
    shown += [str(m.value) for m in at.metric] + [c.value for c in at.caption]
    charted = chart_numbers(at)
    lessons = [e.value for e in at.success]
    assert lessons
    for text in lessons:
        for number in QUOTED.findall(text):
            assert number in charted or any(number in s for s in shown), (number, text)


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
    at.slider(key=f"{P}.all.dropout").set_value(0.9)
    at.number_input(key=f"{P}.all.patience").set_value(0)
    at.run()
    assert not at.exception and not at.warning
    spec = Overfitting(
        regularizer=Overfitting.presets()["compare_all"].regularizer, l2=1.0, l1=1.0, dropout=0.9, patience=0, epochs=2
    )
    train_and_wait(at, f"{P}.all.train", spec)
    tables = [df.value for df in at.dataframe]
    assert any(len(t) == 7 for t in tables)  # one row per remedy
    assert_lessons_quote_the_screen(at)
    lesson = lesson_with(at, "Without a remedy")
    assert "+19.1 pp" not in lesson and "80.87%" not in lesson  # the book preset's numbers are not this run's


def test_dropout_zero_and_mask_redraw():
    at = open_page(P)
    at.slider(key=f"{P}.dropout.dropout").set_value(0.0)
    at.number_input(key=f"{P}.dropout.epochs").set_value(1)
    at.run()
    assert not at.exception
    at.button(key=f"{P}.dropout.new_mask").click()
    at.run()
    assert not at.exception
    train_and_wait(at, f"{P}.dropout.train", Overfitting(regularizer=("none", "dropout"), dropout=0.0, epochs=1))
    assert lesson_with(at, "nothing is dropped")  # p = 0: the lesson says both networks are one
    assert_lessons_quote_the_screen(at)


def test_early_stopping_presets_and_a_tiny_run():
    at = open_page(P)
    at.button(key=f"{P}.es.preset.lecture").click()
    at.run()
    assert not at.exception and at.selectbox(key=f"{P}.es.n_train.en").value == 0
    at.button(key=f"{P}.es.preset.quick").click()
    at.run()
    at.selectbox(key=f"{P}.es.n_train.en").set_value(1000)
    at.number_input(key=f"{P}.es.epochs").set_value(2)
    at.number_input(key=f"{P}.es.patience").set_value(0)
    at.run()
    train_and_wait(at, f"{P}.es.train", EarlyStoppingRun(n_train=1000, epochs=2, patience=0))
    assert_lessons_quote_the_screen(at)
    lesson = lesson_with(at, "Without early stopping")
    assert "99.57%" not in lesson and not any(
        "99.57%" in df.value.to_string() for df in at.dataframe
    )  # not the lecture's setting


def test_ensemble_of_ten_runs():
    at = open_page(P)
    at.slider(key=f"{P}.ens.members").set_value(10)
    at.number_input(key=f"{P}.ens.epochs").set_value(1)
    at.run()
    train_and_wait(at, f"{P}.ens.train", Ensemble(members=10, epochs=1))
    assert any("10" in c.value for c in at.caption)
    assert_lessons_quote_the_screen(at)
    assert lesson_with(at, "ensemble of 10 networks")


def test_bad_settings_show_a_message_not_a_traceback():
    at = open_page(P)
    at.multiselect(key=f"{P}.decay.regularizer.en").set_value([])
    at.run()
    assert not at.exception and at.info


def test_seeing_overfitting_and_weight_decay_sections_show_their_charts():
    at = open_page(P)
    at.select_slider(key=f"{P}.see.n_train").set_value(1000)
    at.number_input(key=f"{P}.see.epochs").set_value(1)
    at.number_input(key=f"{P}.decay.epochs").set_value(1)
    at.radio(key=f"{P}.decay.optimizer.en").set_value("adam")
    at.multiselect(key=f"{P}.decay.regularizer.en").set_value(["none", "weight_decay", "l1"])
    at.run()
    train_and_wait(at, f"{P}.see.train", Overfitting(n_train=1000, epochs=1))
    assert len(at.metric) == 3
    decay = Overfitting(regularizer=("none", "weight_decay", "l1"), optimizer="adam", lr=0.001, epochs=1)
    assert decay.variant("weight_decay").optimizer.method == "adamw"
    train_and_wait(at, f"{P}.decay.train", decay)
    train_and_wait(at, f"{P}.demo.run", DecayVsL2())
    assert_lessons_quote_the_screen(at)
    demo = next(df.value for df in at.dataframe if "Network" in df.value.columns)
    norms = set(demo.iloc[:, 1]) | set(demo.iloc[:, 2])
    lesson = next(e.value for e in at.success if "‖W‖" in e.value)
    assert set(re.findall(r"‖W‖ = (\d+\.\d\d)", lesson)) <= norms  # the demo quotes its own table
    assert sum(name in lesson for name in demo.iloc[:, 0]) >= 2  # it names the variants that shrank most and least


def chart_labels(at) -> list[str]:
    """The variant names the charts carry in their data (axes too, not only legends)."""
    out = []
    for chart in at.get("vega_lite_chart"):
        for data in chart.proto.datasets:
            frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
            out += [str(v) for v in frame.get("label", [])]
    return out


def colour_scales(at) -> list[dict]:
    """Every colour scale with a fixed domain on the page's charts."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            scale = (node.get("encoding", {}).get("color") or {}).get("scale") or {}
            if "domain" in scale and "range" in scale:
                found.append(scale)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for chart in at.get("vega_lite_chart"):
        walk(json.loads(chart.proto.spec))
    return found


def test_korean_page_names_every_variant_in_korean(monkeypatch):
    """Every section's result in Korean: legends, tables and options name remedies, optimizers and
    ensemble members in Korean, never by an id ("sgd_l2", "member_1") or an English name."""
    monkeypatch.setattr(i18n, "browser_lang", lambda: "ko")  # AppTest formats options outside the session
    at = open_page(P, "ko")
    for key in ("see", "decay", "dropout", "all"):
        at.number_input(key=f"{P}.{key}.epochs").set_value(1)
    at.multiselect(key=f"{P}.decay.regularizer.ko").set_value(["none", "l2", "weight_decay", "l1"])
    at.select_slider(key=f"{P}.decay.l2").set_value(0.3)  # a demo of its own, not one another test stored
    at.selectbox(key=f"{P}.es.n_train.ko").set_value(1000)
    at.number_input(key=f"{P}.es.epochs").set_value(2)
    at.slider(key=f"{P}.ens.members").set_value(2)
    at.number_input(key=f"{P}.ens.epochs").set_value(1)
    at.run()
    runs = {
        "see": Overfitting(epochs=1),
        "decay": Overfitting(regularizer=("none", "l2", "weight_decay", "l1"), l2=0.3, epochs=1),
        "dropout": Overfitting(regularizer=("none", "dropout"), epochs=1),
        "es": EarlyStoppingRun(n_train=1000, epochs=2),
        "ens": Ensemble(members=2, epochs=1),
        "all": Overfitting(regularizer=Overfitting.presets()["compare_all"].regularizer, epochs=1),
    }
    for key, spec in runs.items():
        train_and_wait(at, f"{P}.{key}.train", spec)
    train_and_wait(at, f"{P}.demo.run", DecayVsL2(lam=0.3))
    ids, english, phrases = names()
    values, prose = shown(at)
    parts = {p.strip() for v in [*values, *chart_labels(at)] for p in v.split(" · ")}
    assert {"규제 없음", "손실에 L2 추가", "드롭아웃", "조기 종료", "신경망 1", "앙상블", "분리된 가중치 감소"} <= parts
    assert not parts & (ids | {"sgd_l2", "adamw", "member_1", "early_stopping", "weight_decay"})
    assert not [p for p in parts if any(e.match(p) for e in english)]
    assert not [p for p in phrases if any(p in text for text in prose)]
    assert_lessons_quote_the_screen(at)
    decay = [sc for sc in colour_scales(at) if "AdamW · 분리된 가중치 감소" in sc["domain"]]
    assert decay and all(len(set(sc["range"])) == len(sc["range"]) == 4 for sc in decay)  # SGD + L2 ≠ AdamW


def test_the_lecture_stands_beside_the_run_with_the_difference():
    """On the lecture's setting the table gets the printed row and the lesson both numbers and
    their difference (no 60,000-image run here: a result shaped like one)."""
    lecture = EarlyStoppingRun.presets()["lecture"]
    result = es_result([2.3, 0.1, 0.09], [0.1, 0.97, 0.975], (0.9797, 0.9798), float("nan"), 2)
    facts = early_stopping_facts(lecture, result)
    table = views.es_table(result.frames["summary"], facts).to_string()
    lesson = views.es_lesson(facts)
    for quoted in ("99.57%", "98.01%", "100.00%", "97.97%", "+0.43 pp", "-0.04 pp"):
        assert quoted in lesson and quoted in table, quoted
