"""The weight-initialization page: defaults, every preset, extreme knobs, both languages, and
Korean names (no id, no English variant name) in its tables, options, legends and lessons."""

import re

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core.activations import CURVES
from core.nets import INITS
from tests.app.apptest import open_page
from ui import i18n, runner
from ui.i18n import catalog


def errors(at: AppTest) -> list:
    return list(at.exception) + list(at.error)


def chart_names(chart) -> list[str]:
    """The values a chart names in its legends: those of the fields it colours or dashes by."""
    fields = set(re.findall(r'"(?:color|strokeDash)": \{"field": "([^"]+)"', chart.proto.spec)) - {"curve"}
    out = []
    for data in chart.proto.datasets:
        frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
        out += [str(v) for c in fields & set(frame.columns) for v in frame[c].unique()]
    return out


def leaks(at: AppTest) -> set[str]:
    """Init and activation ids, and their English names, that a Korean reader would see: in
    table cells, select options, chart legends and the page's text."""
    en, ko = catalog("en"), catalog("ko")
    english = {v for k, v in en.items() if k.startswith(("labels.init_", "labels.activation_")) and v != ko.get(k)}
    ids = {*INITS, *CURVES} - set(ko.values())  # "tanh" is its own Korean name
    values = [str(v) for f in at.dataframe for col in f.value.columns for v in f.value[col]]
    values += [str(o) for kind in ("selectbox", "multiselect") for w in at.get(kind) for o in w.options]
    values += [n for chart in at.get("vega_lite_chart") for n in chart_names(chart)]
    parts = {p.strip() for v in values for p in v.split(" · ")}
    found = {p for p in parts if p in ids or any(p.startswith(e) for e in english)}
    prose = " ".join(str(e.value) for kind in ("markdown", "caption", "success", "warning") for e in at.get(kind))
    old = {"σ="} if "σ=" in prose else set()  # core's old English names: "normal (σ=1)"
    return found | {e for e in english if " " in e and e in prose} | old


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_defaults(lang):
    at = open_page("initialization", lang)
    assert not errors(at)
    assert at.title[0].value  # translated title
    assert len(at.tabs) == 4
    assert at.multiselect(key=f"inithist.inits.{lang}").value == ["normal"]  # the first book figure
    assert at.number_input(key="inithist.init_std").value == 1.0
    if lang == "ko":
        assert not leaks(at)
        assert "정규분포 (σ = 1)" in at.dataframe[0].value.iloc[:, 0].tolist()
    else:
        assert "Normal" in leaks(at)  # the check reads the tables: English names are found in English


def test_every_preset():
    at = open_page("initialization")
    preset_keys = [b.key for b in at.button if b.key and ".preset." in b.key]
    assert len(preset_keys) >= 9
    for key in preset_keys:
        at.button(key=key).click()
        at.run()
        assert not errors(at), key
    at.button(key="inithist.preset.relu_three").click()
    at.run()
    assert at.multiselect(key="inithist.inits.en").value == ["normal", "xavier", "he_normal"]
    assert at.selectbox(key="inithist.activation.en").value == "relu"
    at.button(key="initdepth.preset.linear_scale").click()
    at.run()
    assert at.number_input(key="initdepth.init_scale").value == 1.2
    at.button(key="initmnist.preset").click()
    at.run()
    assert not errors(at)
    assert at.number_input(key="initmnist.batch_size").value == 128


def test_extreme_knobs():
    at = open_page("initialization")
    at.number_input(key="inithist.depth").set_value(20)
    at.number_input(key="inithist.width").set_value(1)
    at.multiselect(key="inithist.inits.en").set_value(["normal", "zeros", "constant", "he_uniform"])
    at.number_input(key="inithist.init_std").set_value(0.0)
    at.run()
    assert not errors(at)
    at.slider(key="initdepth.depth").set_value(60)
    at.number_input(key="initdepth.width").set_value(1)
    at.number_input(key="initdepth.init_std").set_value(0.0)
    at.selectbox(key="initdepth.activation.en").set_value("relu")
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


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_tab_trains_through_the_runner(lang, monkeypatch):
    # AppTest formats options outside the script's session, where the language falls back to
    # the browser's: make that the page's language, so that options match what the page drew.
    monkeypatch.setattr(i18n, "browser_lang", lambda: lang)
    at = open_page("initialization", lang)
    n = 3 if lang == "en" else 4  # settings of their own: a stored result shows no Train button
    at.number_input(key="initsym.steps").set_value(4)
    at.number_input(key="initsym.width").set_value(n)
    train(at, "initsym.train")
    at.slider(key="initdepth.depth").set_value(n)
    at.number_input(key="initdepth.width").set_value(8)
    at.number_input(key="initdepth.steps").set_value(2)
    at.button(key="initdepth.train").click()
    at.run()
    finish_jobs()
    at.run()
    assert not errors(at)
    at.number_input(key="initmnist.iterations").set_value(n)
    at.multiselect(key=f"initmnist.activations.{lang}").set_value(["relu", "sigmoid"])
    train(at, "initmnist.train")
    if lang == "ko":
        assert not leaks(at), leaks(at)
        table = at.dataframe[-1].value
        assert "He 정규분포 · 시그모이드" in table.iloc[:, 0].tolist()  # init and activation, in Korean
