"""The Hyperparameter search page: defaults in both languages, and a tiny round run end to end
with extreme knobs (one trial, ranges collapsed to a point), narrowing and the final test, a
lesson that quotes the round on screen, and a stopped round."""

import json
import re

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import hpo
from core.hpo import HyperSearch, Param
from tests.app.apptest import open_page
from tests.app.reading import untranslated
from ui import runner
from ui.i18n import number

TINY = {"n_trials": 4, "n_train": 60, "epochs": 1, "depth": 1}


def set_tiny(at: AppTest, **changes) -> None:
    for key, value in {**TINY, **changes}.items():
        at.number_input(key=f"{P}.{key}").set_value(value)


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
    test, val = (m.value for m in at.metric[:2])
    assert test.endswith("%") and any(
        test in m.value and val in m.value for m in at.markdown
    )  # the verdict quotes both


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
    set_tiny(at)
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
    charts = at.get("vega_lite_chart")
    assert len(charts) == 5  # split, scatter, best curves, and both rounds side by side
    first, second = (json.loads(c.proto.spec)["encoding"] for c in charts[-2:])
    for axis in ("x", "y", "color"):  # shared axes and colours: the narrowing shows
        assert first[axis]["scale"]["domain"] == second[axis]["scale"]["domain"], axis
    verdict = next(m.value for m in at.markdown if m.value.startswith("From round 1 to round 2"))
    first = runner.stored(HyperSearch(**at.session_state[f"{P}.history"][0])).frames["trials"]
    assert f"from {first.val_acc.median():.1%}" in verdict  # the first round's median, as the verdict quotes it


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
    assert any("정리" in s.value for s in at.success) and not untranslated(at)  # the lesson too
    for word in ("momentum", "Momentum", "nesterov", "Nesterov"):
        assert not any(word in text for text in shown), word


def numbers_in(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)*(?:e[-+]\d+)?%?", text.split("·", 1)[1])


def test_the_lesson_quotes_the_round_on_screen_and_names_only_what_was_searched():
    """Off the book's settings (6 trials, the learning rate alone, other ranges): every number in
    the lesson comes from this round's trials (or a named threshold), the best trial is quoted as
    the table shows it, weight decay is not mentioned, and k = 1 is refused with a warning."""
    at = open_page("hyperparameter_search")
    set_tiny(at, n_trials=6, epochs=2)
    at.multiselect(key=f"{P}.params.en").set_value(["lr"])
    at.run()
    at.slider(key=f"{P}.range.lr").set_value((-3.0, -0.5))
    at.run()
    at.button(key=f"{P}.run").click()
    at.run()
    wait_for_all_jobs(at)
    searches = [j.spec for j in runner.queue().jobs() if isinstance(j.spec, HyperSearch)]
    (spec,) = [s for s in searches if s.n_trials == 6 and [p.name for p in s.space] == ["lr"]]
    trials = runner.stored(spec).frames["trials"]
    facts = hpo.search_facts(trials, spec)
    text = next(s.value for s in at.success if "take away" in s.value)
    best = hpo.ranked(trials).iloc[0]
    assert f"#{int(best.trial)}" in text and f"{best.val_acc:.1%}" in text
    assert "Weight decay" not in text and "weight decay" not in text
    allowed = {f"{v:.1%}" for v in trials.val_acc} | {number(v, 2) for v in trials.lr} | {str(n) for n in trials.trial}
    allowed |= {str(facts.good), str(facts.finished), str(facts.dead), str(facts.dead_in_band), str(spec.epochs)}
    allowed |= {f"{b.share:.1%}" for b in facts.bands} | {
        f"{x:.1%}" for x in (hpo.CHANCE, hpo.DEAD_ACC, hpo.GOOD_SHARE, hpo.NARROW_BAND)
    }
    assert numbers_in(text) and set(numbers_in(text)) <= allowed, (numbers_in(text), allowed)
    assert not at.warning
    at.number_input(key=f"{P}.k").set_value(1)
    at.run()
    assert any("best 1" in w.value and f"best {hpo.MIN_TOP_K}" in w.value for w in at.warning)


@pytest.mark.parametrize("finished", [0, 2])
def test_a_stopped_round_shows_the_trials_that_finished(finished):
    """A round stopped in its second batch shows the first batch's trials; one stopped in its
    first says that no trial finished and how to see results batch by batch."""
    spec = HyperSearch(n_train=60, epochs=1, depth=1, n_trials=4, ask_batch=2)
    calls = iter(range(100))
    runner.store().get_or_run(spec, stop=lambda: next(calls) >= finished // 2)
    at = open_page("hyperparameter_search")
    set_tiny(at, ask_batch=2)
    at.run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    if finished:
        assert "2 of 4 trials had finished" in captions
        assert any(len(df.value) == 2 for df in at.dataframe)
        assert any("take away" in s.value and "2 of 4" in s.value for s in at.success)
    else:
        assert "Stopped before any trial finished" in captions
        assert not at.success
