"""The batch norm page: defaults, extreme knobs, presets, tiny training runs of each tab, and
the same runs read in Korean."""

import json
import re

import pytest

from core import batchnorm as bn
from core.experiments.batchnorm import LEARNED, PLACEMENTS, BatchNormComparison, BatchNormGrid, BatchNormInference
from tests.app.apptest import open_page, train_and_wait
from tests.app.reading import names, shown
from ui import i18n, runner
from ui.i18n import catalog

P = "batch_norm"


def test_defaults_and_korean():
    at = open_page(P)
    assert len(at.tabs) == 5
    at.sidebar.radio[0].set_value("ko")
    at.run()
    assert not at.exception
    assert at.title[0].value == "배치 정규화"


def lesson_of(at, fragment: str) -> str:
    """The rendered lesson that contains `fragment`."""
    found = [s.value for s in at.success if fragment in s.value]
    assert len(found) == 1, [s.value for s in at.success]
    return found[0]


def numbers(text: str) -> list[str]:
    """The numbers a sentence quotes ("93.1%", "0.000", "12")."""
    return re.findall(r"\d+(?:\.\d+)?%?", text)


def test_walkthrough_lesson_quotes_the_table_and_the_shares():
    at = open_page(P)
    at.slider(key=f"{P}.walk.batch_size").set_value(8)
    at.slider(key=f"{P}.walk.gamma").set_value(3.0)
    at.slider(key=f"{P}.walk.beta").set_value(1.0)
    at.run()
    text = lesson_of(at, "batch of 8 images")
    table = at.dataframe[0].value.to_string()
    shares = {m.value for m in at.metric}
    quoted = [n for n in numbers(text.split("·", 1)[1]) if n != "8"]
    assert quoted and all(n in table or n in shares for n in quoted), (quoted, table, shares)
    at.slider(key=f"{P}.walk.batch_size").set_value(1)
    at.run()
    assert "β = 1.000" in lesson_of(at, "batch of one")


def test_walkthrough_extremes():
    at = open_page(P)
    at.slider(key=f"{P}.walk.batch_size").set_value(1)
    at.slider(key=f"{P}.walk.gamma").set_value(0.0)
    at.slider(key=f"{P}.walk.beta").set_value(-5.0)
    at.run()
    assert not at.exception
    assert at.warning  # a batch of one is explained
    at.slider(key=f"{P}.walk.batch_size").set_value(256)
    at.slider(key=f"{P}.walk.gamma").set_value(5.0)
    at.slider(key=f"{P}.run.momentum").set_value(1.0)
    at.slider(key=f"{P}.run.batch_size").set_value(2)
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
    spec = BatchNormGrid(n_train=200, epochs=1)
    train_and_wait(at, f"{P}.grid.train", spec)
    assert at.select_slider(key=f"{P}.grid.scale")  # the large panel's chooser appears with the result
    summary = runner.store().get(spec).frames["summary"]
    learned = summary[summary.final_acc >= LEARNED].groupby("bn").size()
    text = lesson_of(at, "Counting a network")
    n = len(spec.scales)
    assert f"BN learned at {learned.get(True, 0)} of the {n} scales, no BN at {learned.get(False, 0)}" in text
    assert "book's settings (figures" not in text  # one epoch on 200 images is not the book's run
    assert any("ε = 1e-06" in c.value for c in at.caption)  # the run's ε, said beside the chart


def test_grid_warns_about_a_batch_of_one_before_training():
    at = open_page(P)
    at.number_input(key=f"{P}.grid.batch_size").set_value(1)
    at.run()
    assert any("batch of one" in w.value for w in at.warning)
    at.number_input(key=f"{P}.grid.batch_size").set_value(4)
    at.run()
    assert any("Batches of 4" in w.value for w in at.warning)


def test_comparison_tabs_tiny_runs():
    at = open_page(P)
    at.button(key=f"{P}.lr.preset.deep_sigmoid").click()
    at.run()
    deep = BatchNormComparison.presets()["deep_sigmoid"]
    assert at.selectbox(key=f"{P}.lr.activation.en").value == deep.activation
    assert at.number_input(key=f"{P}.lr.depth").value == len(deep.hidden)
    assert at.multiselect(key=f"{P}.lr.lrs").value == list(deep.lrs)
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
    text = lesson_of(at, "Test accuracy at the end")
    cells = {c for d in at.dataframe if "Test accuracy" in d.value for c in d.value["Test accuracy"]}
    quoted = re.findall(r"\d+\.\d%", text)
    assert quoted and set(quoted) <= cells  # every accuracy quoted is the table's, as printed there
    assert "after activation" not in text  # only the variants present are named

    at.number_input(key=f"{P}.place.depth").set_value(2)
    at.number_input(key=f"{P}.place.epochs").set_value(1)
    at.run()
    spec = BatchNormComparison(placements=("none", "before", "after"), lrs=(0.1,), hidden=(100, 100), epochs=1)
    train_and_wait(at, f"{P}.place.train", spec)
    assert not at.exception
    assert not [s for s in at.slider if str(s.key).startswith(f"{P}.place")]  # no server slider to rerun
    (hist,) = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if '"bn_epoch"' in c.proto.spec]
    (epoch,) = hist["params"]
    assert epoch["bind"]["input"] == "range" and epoch["bind"]["max"] == epoch["value"] == 1  # the last epoch
    assert len(hist["vconcat"]) == 3  # one row per placement, all moved by the one epoch input
    assert "(datum.epoch === bn_epoch)" in json.dumps(hist)
    (spread,) = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if '"std"' in c.proto.spec]
    titles = [panel["title"] for panel in spread["vconcat"]]  # a panel as wide as the page: a full title
    assert "BN before activation" in titles and {panel["width"] for panel in spread["vconcat"]} == {"container"}
    stds = {format(x, ".3g") for x in runner.store().get(spec).frames["layer_stats"]["std"]}
    spread = lesson_of(at, "Standard deviation of what")
    quoted = re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", spread.split(":", 1)[1])
    assert quoted and set(quoted) <= stds  # the spreads quoted are the run's, as the tooltips print them


def test_no_learning_rate_is_a_message_not_a_traceback():
    at = open_page(P)
    at.multiselect(key=f"{P}.lr.lrs").set_value([])
    at.run()
    assert not at.exception
    assert at.warning


def test_inference_run():
    at = open_page(P)
    at.slider(key=f"{P}.run.momentum").set_value(0.02)
    at.slider(key=f"{P}.run.steps").set_value(40)
    at.run()
    running = [c.value for c in at.caption if "After 40 steps" in c.value][0]
    assert "still remembers its start" in running  # 0.98^40 is far above 5 %
    est = bn.running_estimates(16, 0.02, 40)
    assert f"{est['running'].iloc[-2]:.4f}" in running and f"{est['population'].iloc[-1]:.4f}" in running
    spec = BatchNormInference()
    train_and_wait(at, f"{P}.tiny.train", spec)
    accs = {f"{a:.1%}" for a in runner.store().get(spec).frames["by_batch"]["accuracy"]}
    quoted = re.findall(r"\d+\.\d%", lesson_of(at, "Predicted in chunks"))
    assert quoted and set(quoted) <= accs


def tiny_runs(at) -> None:
    """Show results of the grid, both comparisons and the inference net on tiny settings,
    training each that is not stored yet (an earlier test may have trained it)."""
    at.number_input(key=f"{P}.grid.n_train").set_value(150)
    at.number_input(key=f"{P}.grid.epochs").set_value(1)
    for tab in ("lr", "place"):
        at.number_input(key=f"{P}.{tab}.depth").set_value(1)
        at.number_input(key=f"{P}.{tab}.epochs").set_value(1)
    at.multiselect(key=f"{P}.lr.lrs").set_value([0.1, 2.0])
    at.run()
    runs = {
        "grid": BatchNormGrid(n_train=150, epochs=1),
        "lr": BatchNormComparison(lrs=(0.1, 2.0), hidden=(100,), epochs=1),
        "place": BatchNormComparison(placements=PLACEMENTS, lrs=(0.1,), hidden=(100,), epochs=1),
        "tiny": BatchNormInference(),
    }
    for tab, spec in runs.items():
        if any(b.key == f"{P}.{tab}.train" for b in at.button):
            train_and_wait(at, f"{P}.{tab}.train", spec)
    assert not any(b.key.endswith(".train") for b in at.button if b.key)  # every result is shown


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_variants_are_named_in_the_readers_language(lang, monkeypatch):
    """Legends, panel titles, options and notes of every tab, with results, in the reader's
    language; in Korean no id ("before", "he_normal") and no English variant name ("no BN",
    "BN before activation") is left."""
    # AppTest formats options outside the script's session, where the language falls back to
    # the browser's: make that the page's language too, so that options match what it drew.
    monkeypatch.setattr(i18n, "browser_lang", lambda: lang)
    at = open_page(P, lang)
    tiny_runs(at)
    values, prose = shown(at)
    parts = {p.strip() for v in values for p in v.split(" · ")}
    text = catalog(lang)
    legend = {text[f"labels.placement_{p}"] for p in PLACEMENTS} | {text["labels.lr"].format(value="2")}
    assert legend <= parts  # the legends were read, in the page's language
    assert text["labels.init_he_normal"] in " ".join(prose)  # the comparison's init, named
    if lang == "ko":
        ids, english, phrases = names()
        assert not parts & (ids | {"none", "before", "after", "relu"}), sorted(parts & ids)
        assert not [p for p in parts if any(e.match(p) for e in english)]
        texts = " ".join(prose)
        assert not [p for p in (*phrases, "no BN", "with BN", "He normal") if p in texts]
