"""English and Korean UI text.

Each page keeps its strings in `assets/i18n/<lang>/<namespace>.json` (namespace = page name);
`t("optimizers.title")` looks up key `title` of namespace `optimizers` in the session's language.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

LANGS = {"en": "English", "ko": "한국어"}
I18N = Path(__file__).resolve().parent.parent / "assets" / "i18n"
_last = {"lang": "en"}  # the language of the last page run, for text asked for outside a run


@cache
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language, keyed 'namespace.key'."""
    out = {}
    for f in sorted((I18N / lang).glob("*.json")):
        for key, text in json.loads(f.read_text(encoding="utf-8")).items():
            out[f"{f.stem}.{key}"] = text
    return out


def browser_lang() -> str:
    """'ko' for a Korean browser locale, else 'en'."""
    try:
        locale = st.context.locale or ""
    except Exception:  # no browser behind the script (bare mode, tests)
        locale = ""
    return "ko" if locale.lower().startswith("ko") else "en"


def lang() -> str:
    """The visitor's language. Outside a script run (Streamlit's AppTest formats the options of
    a select in the test's own thread when a test picks one) it is the last page run's, so a
    select keeps the labels it was drawn with."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return _last["lang"]
    chosen = st.session_state.get("lang")
    _last["lang"] = chosen if chosen in LANGS else browser_lang()
    return _last["lang"]


def t(key: str, **values) -> str:
    """The text for `key` in the current language, formatted with `values`."""
    text = catalog(lang()).get(key) or catalog("en").get(key) or key
    text = text.format(**values) if values else text
    return particles(text) if values and lang() == "ko" else text


# A Korean particle depends on the sound before it: a template writes both forms, "{name}이(가)",
# and `particles` keeps the one that fits the name it was filled with.
PARTICLES = re.compile(r"이\(가\)|은\(는\)|을\(를\)|과\(와\)|\(으\)로|\(이\)")
PAIRS = {
    "이(가)": ("이", "가"),
    "은(는)": ("은", "는"),
    "을(를)": ("을", "를"),
    "과(와)": ("과", "와"),
    "(이)": ("이", ""),
}
DIGITS = "영일이삼사오육칠팔구"  # how a digit is read, for the particle after a number
LETTERS = {"l": "rieul", "m": "other", "n": "other", "r": "rieul"}  # Latin endings read with a consonant


def final_sound(text: str) -> str:
    """How `text` is read at its end: "vowel", "rieul" (ㄹ, which takes 로 like a vowel) or "other"."""
    word = text.rstrip("*_`'\"’”)]}」 ")
    last = DIGITS[int(word[-1])] if word and word[-1].isdigit() else word[-1:]
    if "가" <= last <= "힣":
        tail = (ord(last) - ord("가")) % 28
        return "vowel" if tail == 0 else "rieul" if tail == 8 else "other"
    return LETTERS.get(last.lower(), "vowel")


def particles(text: str) -> str:
    """Each "X이(가)"-style pair in `text` reduced to the form that follows X."""

    def pick(m: re.Match) -> str:
        sound = final_sound(text[: m.start()])
        if m.group() == "(으)로":
            return "으로" if sound == "other" else "로"
        with_end, without = PAIRS[m.group()]
        return without if sound == "vowel" else with_end

    return PARTICLES.sub(pick, text)


def number(x: float, digits: int = 4) -> str:
    """A number as students read it: fixed point for ordinary sizes, scientific otherwise."""
    if x != x:
        return "—"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 2, 1)}e}"
