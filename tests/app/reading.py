"""What a page shows, read back from Streamlit's AppTest as a student reads it, and the names a
Korean page must not show (internal ids, English names of variants)."""

import json
import re

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from ui import labels
from ui.i18n import catalog

COLUMNS = sorted({*labels.KEYS, "kind"}, key=len, reverse=True)


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
            value = name.removeprefix(f"{column}_")
            ids.add(value.replace("_", "-") if column == "kind" else value)  # kinds are spelt with hyphens
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


def untranslated(at: AppTest) -> list[str]:
    """The internal ids and English variant names that the page `at` (in Korean) shows."""
    ids, english, phrases = names()
    values, prose = shown(at)
    parts = {p.strip() for v in values for p in v.split(" · ")}
    found = sorted(parts & ids) + sorted(p for p in parts if any(e.match(p) for e in english))
    return found + sorted({p for p in phrases for text in prose if p in text})
