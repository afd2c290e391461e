"""Every page in Korean, with the course presets' results shown (the shipped presets), read as a
Korean student reads it: no legend entry, table cell, column, select option or lesson may be an
internal id ("he_normal", "sgd_l2") or an English name of a variant ("Momentum", "no BN")."""

import json
import re

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core import presets
from tests.app.apptest import open_page
from ui import labels, nav, runner
from ui.i18n import catalog

COLUMNS = sorted({*labels.KEYS, "activation"}, key=len, reverse=True)


def names() -> tuple[set[str], list[re.Pattern], set[str]]:
    """(ids, English-name patterns, multi-word English names) that must not reach a Korean page."""
    en, ko = catalog("en"), catalog("ko")
    ids, english, phrases = set(), [], set()
    for key, text in en.items():
        if not key.startswith("labels.") or key == "labels.title" or text == ko.get(key):
            continue
        name = key.removeprefix("labels.")
        column = next((c for c in COLUMNS if name.startswith(f"{c}_")), None)
        if column:
            ids.add(name.removeprefix(f"{column}_"))
        english.append(re.compile(re.escape(text).replace(r"\{value\}", r"[-+0-9.e]+") + "$"))
        if " " in text and "{" not in text:
            phrases.add(text)
    ids -= {text for text in ko.values()}  # an id that is also its Korean name ("tanh") may show
    return ids, english, phrases


def chart_values(chart) -> list[str]:
    """The values a chart shows as names: its colour domains, and the values of every field it
    colours, dashes or facets by (the data travels beside the spec, as Arrow)."""
    fields, out = set(), []

    def walk(node):
        if isinstance(node, dict):
            for channel in ("color", "strokeDash", "shape", "column", "row", "facet"):
                enc = node.get("encoding", {}).get(channel)
                if isinstance(enc, dict) and "field" in enc:
                    fields.add(enc["field"])
                    out.extend(str(v) for v in (enc.get("scale") or {}).get("domain") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(chart.proto.spec))
    for data in chart.proto.datasets:
        frame = pa.ipc.open_stream(data.data.data).read_all().to_pandas()
        out += [str(v) for f in fields & set(frame.columns) for v in frame[f].unique()]
    return out


def shown(at: AppTest) -> tuple[list[str], list[str]]:
    """(short values: cells, columns, options, legend entries; prose: every text element)."""
    values = []
    for frame in [*at.dataframe, *at.table]:
        df = frame.value
        values += [str(c) for c in df.columns]
        values += [str(v) for col in df.columns if df[col].dtype == object for v in df[col]]
    for kind in ("selectbox", "multiselect", "radio", "select_slider"):
        values += [str(o) for w in at.get(kind) for o in getattr(w, "options", [])]
    for chart in at.get("vega_lite_chart"):
        values += chart_values(chart)
    prose = [e.value for kind in ("markdown", "caption", "success", "info", "warning") for e in at.get(kind)]
    return values, [str(p) for p in prose]


@pytest.fixture(scope="module")
def presets_on(tmp_path_factory):
    """A store holding the shipped presets, for this module only."""
    mp = pytest.MonkeyPatch()
    mp.setenv("LAB_STORE", str(tmp_path_factory.mktemp("korean") / "results.sqlite"))
    runner.store.clear()
    runner.cache.clear()
    assert presets.load_shipped(runner.store()) > 0
    yield
    mp.undo()
    runner.store.clear()
    runner.cache.clear()


@pytest.mark.parametrize("page", [name for name, _ in nav.pages()])
def test_a_korean_page_shows_no_id_and_no_english_variant_name(page, presets_on):
    ids, english, phrases = names()
    at = open_page(page, "ko")
    values, prose = shown(at)
    parts = {p.strip() for v in values for p in v.split(" · ")}
    assert not parts & ids, f"internal ids on {page}: {sorted(parts & ids)}"
    leaked = sorted(p for p in parts if any(e.match(p) for e in english))
    assert not leaked, f"English names on {page}: {leaked}"
    in_prose = sorted({p for p in phrases for text in prose if p in text})
    assert not in_prose, f"English names in the text of {page}: {in_prose}"


def test_the_walk_reads_legends_tables_and_options():
    """The check above is not vacuous: on the optimizers page in Korean it reads the legend of
    the book figure and finds Korean names of the optimizers in it."""
    at = open_page("optimizers", "ko")
    values, _ = shown(at)
    assert "모멘텀" in values and len(values) > 20
