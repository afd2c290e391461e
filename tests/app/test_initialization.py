"""The weight-initialization page: defaults, every preset, extreme knobs, both languages, and
Korean names (no id, no English variant name) in its tables, options, legends and lessons."""

import json
import re

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core.activations import CURVES
from core.experiments.initialization import STEADY_PER_LAYER, DepthProfile, InitHistograms
from core.nets import INITS
from tests.app.apptest import open_page
from ui import i18n, runner
from ui.i18n import catalog, number


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
    accuracies = set(at.dataframe[-1].value.iloc[:, 2])
    assert {a for a in numbers(lessons(at)[1]) if a.endswith("%")} <= accuracies  # the table's figures
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
    table = at.dataframe[-1].value
    said = lessons(at)[-1]
    assert numbers(said) & set(table.iloc[:, 1])  # the best loss is the table's, as printed
    assert "6-15" not in said  # off the book's settings: no printed figure compared
    if lang == "ko":
        assert not leaks(at), leaks(at)
        assert "He 정규분포 · 시그모이드" in table.iloc[:, 0].tolist()  # init and activation, in Korean


NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]\d+)?%?")


def lessons(at: AppTest) -> list[str]:
    return [str(s.value) for s in at.success]


def numbers(text: str) -> set[str]:
    """The numbers a lesson quotes, as written (signs dropped)."""
    return set(NUMBER.findall(text))


def test_histogram_lesson_follows_the_run_off_the_preset():
    """tanh with Xavier, one layer shallower than the book's: the verdict quotes this run's stds
    and per-layer ratio, says the spread shrinks, and names only the variant drawn."""
    at = open_page("initialization")
    at.button(key="inithist.preset.tanh_xavier").click()
    at.run()
    at.number_input(key="inithist.depth").set_value(4)
    at.run()
    assert not errors(at)
    text = lessons(at)[0]
    stats = InitHistograms(activation="tanh", inits=("xavier",), depth=4).run().frames["stats"]
    stds = stats.sort_values("layer").act_std.to_numpy()
    ratio = (stds[-1] / stds[1]) ** 0.5
    quoted = {number(stds[0]), number(stds[-1]), f"{ratio:.0%}"}
    assert quoted <= numbers(text), text
    thresholds = {f"{STEADY_PER_LAYER:.0%}", "0", "1", "2", "4"}  # layers, limits, slopes (1/4, 1, 0)
    assert numbers(text) <= quoted | thresholds | {"10"}, text  # nothing the run did not produce
    assert "Xavier (1/√n)" in text and "Normal" not in text
    assert "fades" in text and "intact" not in text  # the spread shrinks: the verdict says so
    assert "figure" not in text  # off the book's settings no printed figure is compared


def test_depth_lesson_quotes_the_gradient_and_sigmoid_slope():
    """Off the sigmoid preset (8 layers of 32): the lesson quotes this profile's gradients at the
    first and last layer and explains Xavier's vanishing by sigmoid's slope."""
    at = open_page("initialization")
    at.button(key="initdepth.preset.sigmoid").click()
    at.run()
    at.slider(key="initdepth.depth").set_value(8)
    at.number_input(key="initdepth.width").set_value(32)
    at.run()
    assert not errors(at)
    text = lessons(at)[-1]
    spec = DepthProfile(activation="sigmoid", inits=("normal", "xavier"), init_std=1.0, depth=8, width=32, steps=0)
    p = spec.run().frames["profile"].sort_values("layer")
    for init in ("normal", "xavier"):
        signal = p[p.variant == init].signal.to_numpy()
        assert {number(signal[0], 3), number(signal[-1], 3)} <= numbers(text), (init, text)
    assert "1/4" in text and "vanishes" in text and "narrow band" not in text
    assert "Normal (σ = 1)" in text and "He normal" not in text  # only the variants drawn are named


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_histogram_panels_are_named_by_headers_not_cut_titles(lang):
    """Each variant's layers are one faceted chart: a panel is named by its header (never cut
    short, unlike the title of a narrow panel) in the reader's language, one per layer."""
    at = open_page("initialization", lang)
    depth = at.number_input(key="inithist.depth").value
    (chart,) = [c for c in at.get("vega_lite_chart") if '"panel"' in c.proto.spec]
    spec = json.loads(chart.proto.spec)
    assert spec["facet"]["field"] == "panel" and spec["facet"]["header"]["labelLimit"] == 0
    assert "title" not in spec["spec"]  # no Vega title left to cut
    want = [catalog(lang)["initialization.layer_n"].format(n=n) for n in range(1, depth + 1)]
    assert spec["facet"]["sort"] == want
    frame = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()
    assert sorted(frame["panel"].unique()) == sorted(want)
    assert {"mean", "act_std", "flat", "dead"} <= set(frame.columns)  # each layer's statistics, in its tooltip
