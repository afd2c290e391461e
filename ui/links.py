"""A page's settings in its address, so that a link opens the same experiment.

Widget keys are `<page>.<spec field>` (`ui.widgets.spec_values`). The address holds every knob
that differs from its first value, under its key without the page's name, plus the open tab and
the language: `/clipping?depth=8&lr=0.1&tab=...&lang=ko`. A teacher copies it (the sidebar's
"Copy link"), and the class opens that exact experiment.

A link is applied once, when it arrives (a new visit, or an address this app did not write):
its values go into the widgets before they are drawn (`take`, called by `ui.widgets.defaults`).
From then on the address follows the knobs: it is rewritten at the end of every run (`end`).
A value that cannot be read, that its widget refuses (Streamlit then shows the widget's first
value) or that no knob of the page takes is dropped, and the sidebar says which, in the
visitor's language. Nothing here starts a run: a stored result shows at once, anything else
waits for the visitor's Train button.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.state import get_session_state

from ui.i18n import LANGS, lang, t

RESERVED = ("tab", "lang")  # parameters that are not a knob's
SAFE = re.compile(r"[\w.\-]{1,40}")  # a name the note may show (it is markdown): anything else shows as …
LONGEST = 200  # characters of one value: more is not a setting
FIRST, ARRIVED, APPLIED, REFUSED, WRITTEN, NOTE, PAGE, TAB, RESET, BUILT = (
    f"_links.{n}"
    for n in ("first", "arrived", "applied", "refused", "written", "note", "page", "tab", "reset", "built")
)


def begin() -> None:
    """At the start of a run, before any text is drawn: note a link that just arrived, and take
    its language."""
    s = st.session_state
    s[PAGE], s[FIRST], s[APPLIED], s[REFUSED], s[TAB], s[BUILT] = "", {}, {}, [], None, []
    query = st.query_params.to_dict()
    s[ARRIVED] = query if query != s.get(WRITTEN) else None
    if s[ARRIVED] is None:
        return
    s[NOTE] = None
    if "lang" in query:
        if query["lang"] in LANGS:
            s["lang"] = query["lang"]
        else:
            s[REFUSED].append("lang")


def page(url_path: str) -> None:
    """The page this run draws (its url path): parameters are its widget keys without it."""
    st.session_state[PAGE] = url_path


def name(key: str, page: str | None = None) -> str:
    """The parameter of widget `key` on `page` (by default the page this run draws): the key
    without the page's name where it starts with it."""
    page = st.session_state.get(PAGE, "") if page is None else page
    return key.removeprefix(f"{page}.") if page else key


def take(first: dict) -> None:
    """Register widgets (key -> first value) for the address, and set those a link that just
    arrived gives a value for. Called before the widgets are drawn."""
    s = st.session_state
    if FIRST not in s:  # outside the app's entry point (a page run on its own): no links
        return
    for key, value in first.items():  # the first registration wins, as in `ui.widgets.defaults`
        s[FIRST].setdefault(key, value)
    for key in first.keys() & s.get(RESET, {}).keys():  # refused by its widget in the run before
        s[key] = s[RESET].pop(key)
    arrived = s.get(ARRIVED) or {}
    for key, like in first.items():
        text = arrived.get(name(key))
        if text is None:
            continue
        try:
            value = parse(text, like)
        except ValueError:
            s[REFUSED].append(name(key))
            continue
        s[key] = value
        s[APPLIED][key] = value


def built(spec: object) -> None:
    """Note a spec the page built from its knobs in this run (`ui.widgets.guard`): what a link
    finally asked for, which the tests read back."""
    if BUILT in st.session_state:
        st.session_state[BUILT].append(spec)


def undo() -> bool:
    """Where the knobs a link set in this run make an invalid spec: put them back to their
    first values for the next run (the caller reruns) and say so. False if no link set any."""
    s = st.session_state
    applied = s.get(APPLIED) or {}
    if not applied:
        return False
    s[RESET] = {**s.get(RESET, {}), **{key: s[FIRST][key] for key in applied}}
    s[REFUSED] += [name(key) for key in applied]
    s[APPLIED] = {}
    return True


def tab(key: str, names: list[str]) -> str | None:
    """The tab a link that just arrived opens (one of `names`), if it names one; remembers the
    tab group `key` (whose value is the open tab's name) so that `end` writes the open tab."""
    s = st.session_state
    s[TAB] = (key, names[0])
    wanted = (s.get(ARRIVED) or {}).get("tab")
    if wanted is None:
        return None
    if wanted in names:
        return wanted
    s[REFUSED].append("tab")
    return None


def parse(text: str, like: object) -> object:
    """`text` read as a value of the same kind as `like` (a widget's first value); ValueError
    where it is not one."""
    if len(text) > LONGEST:
        raise ValueError("too long")
    if isinstance(like, bool):
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if isinstance(like, str):
        return text
    if isinstance(like, list | tuple):
        items = [parse(item, like[0] if like else "") for item in (text.split(",") if text else [])]
        return tuple(items) if isinstance(like, tuple) else items  # a range slider's pair stays a pair
    raise ValueError(f"a link carries no {type(like).__name__}")


def form(value: object) -> str:
    """`value` as a parameter: the inverse of `parse`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(form(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def same(a: object, b: object) -> bool:
    """Whether two values are the same setting (a multiselect's list equals a spec's tuple)."""
    return list(a) == list(b) if isinstance(a, list | tuple) and isinstance(b, list | tuple) else a == b


def _widget(key: str) -> str | None:
    """The key of the widget that shows `key`: itself, or its language's twin (`translated`
    selects); None where no widget took it, so that a link's value for a key no widget reads is
    not kept, unused, in the address. Uses Streamlit's record of widget keys; should that go,
    every key counts as its own widget's."""
    try:
        state = get_session_state()._state
        return next((k for k in (f"{key}.{lang()}", key) if state.get_widget_id_from_key(k) is not None), None)
    except AttributeError:
        return key


def _shown(key: str) -> object:
    """The value the widget of `key` shows (None where no widget took it)."""
    widget = _widget(key)
    return None if widget is None else st.session_state.get(widget)


def query() -> dict[str, str]:
    """The address's parameters for the page as it stands: every registered knob that differs
    from its first value, the open tab where it is not the first, and the language."""
    s = st.session_state
    out = {}
    for key, like in s.get(FIRST, {}).items():
        widget = _widget(key)
        if widget is None or widget not in s:  # no knob shows it in this run
            continue
        if not same(s[widget], like) and _linkable(like):
            out[name(key)] = form(s[widget])
    group, first_tab = s.get(TAB) or (None, None)
    if group and s.get(group) not in (None, first_tab):
        out["tab"] = s[group]
    if s.get("lang") in LANGS and s.get("lang") != "en":
        out["lang"] = s["lang"]
    return out


def _linkable(like: object) -> bool:
    try:
        parse(form(like), like)
    except ValueError:
        return False
    return True


def end() -> None:
    """At the end of a run: drop what a link set that no widget took, say what was dropped,
    and write the page's settings into the address."""
    s = st.session_state
    if FIRST not in s:
        return
    refused = list(s[REFUSED])
    for key, value in s[APPLIED].items():
        if _widget(key) is None:  # no knob reads it: back to its first value, out of the address
            refused.append(name(key))
            s[key] = s[FIRST][key]
        elif not same(_shown(key), value):  # refused by the widget, which fell back to its own default
            refused.append(name(key))
            s.setdefault(RESET, {})[key] = s[FIRST][key]
    arrived = s.get(ARRIVED)
    if arrived is not None:
        known = {name(k) for k in s[FIRST]} | {"lang"} | ({"tab"} if s[TAB] else set())  # no tabs, no tab
        refused += [n for n in arrived if n not in known]
        s[NOTE] = (s[PAGE], sorted({n if SAFE.fullmatch(n) else "…" for n in refused})) if refused else None
    out = query()
    if out != st.query_params.to_dict():
        st.query_params.from_dict(out)
    s[WRITTEN] = out
    if s.get(RESET):  # once more, with those widgets back at the page's first values
        st.rerun()
    note = s.get(NOTE)
    if note and note[0] == s[PAGE]:
        st.sidebar.warning(t("common.link_refused", names=", ".join(note[1])))


COPY = st.components.v2.component(
    "lab_copy_link",
    html='<button type="button" class="copy"></button>',
    css="""
    .copy { border: 1px solid var(--st-border-color); border-radius: var(--st-button-radius);
            background: var(--st-secondary-background-color); color: var(--st-text-color);
            padding: .35rem .75rem; font: inherit; cursor: pointer; width: 100%; }
    """,
    js="""
    export default function ({ parentElement, data }) {
      const button = parentElement.querySelector("button");
      button.textContent = data.label;
      button.onclick = async () => {
        // this page's address as it wrote it (every knob in it), or a given one: a stored run's
        const link = data.link ? new URL(data.link, window.location.href).href : window.location.href;
        try {
          await navigator.clipboard.writeText(link);
        } catch (e) {  // no Clipboard API outside https and localhost: the old way
          const area = document.createElement("textarea");
          area.value = link;
          document.body.appendChild(area);
          area.select();
          document.execCommand("copy");
          area.remove();
        }
        button.textContent = data.done;
        setTimeout(() => { button.textContent = data.label; }, 2000);
      };
    }
    """,
)


def copy_button(link: str | None = None, key: str = "lab_copy_link", container=st.sidebar) -> None:
    """A 'Copy link' button that copies, in the browser and without a rerun, `link` (a path
    such as `address` makes) or else the page's own address, settings included (`end` keeps it
    up to date at every run). By default in the sidebar, on every page."""
    data = {"label": t("common.copy_link"), "done": t("common.link_copied"), "link": link}
    with container:
        COPY(data=data, key=key)


def address(page: str, values: dict[str, object]) -> str:
    """The link to `page` with `values` (parameter -> value) set: Compare runs' link to a stored run."""
    params = urlencode({k: form(v) for k, v in values.items()})
    return f"/{page}" + (f"?{params}" if params else "")
