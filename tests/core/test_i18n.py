"""Every text exists in English and Korean, with the same placeholders; every page has a title."""

import json
import string
from pathlib import Path

import pytest

import core.experiments  # noqa: F401  (registers every experiment)
from core import hpo, verify  # noqa: F401
from core.nets import ACTIVATIONS, INITS
from core.optimizers import METHODS
from core.schedules import SCHEDULES
from core.spec import Spec
from ui import nav
from ui.i18n import particles

I18N = Path(__file__).resolve().parents[2] / "assets" / "i18n"
NAMESPACES = sorted(p.stem for p in (I18N / "en").glob("*.json"))


def texts(lang, ns):
    return json.loads((I18N / lang / f"{ns}.json").read_text(encoding="utf-8"))


def fields(text):
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_same_namespaces_in_both_languages():
    assert NAMESPACES == sorted(p.stem for p in (I18N / "ko").glob("*.json"))


@pytest.mark.parametrize("ns", NAMESPACES)
def test_same_keys_and_placeholders(ns):
    en, ko = texts("en", ns), texts("ko", ns)
    assert set(en) == set(ko), f"keys only in one language: {set(en) ^ set(ko)}"
    for key in en:
        assert en[key].strip() and ko[key].strip(), f"{ns}.{key} is empty"
        if key.endswith("_latex"):  # LaTeX source: its braces are TeX groups, never formatted
            continue
        assert fields(en[key]) == fields(ko[key]), f"{ns}.{key} has different placeholders"


def test_korean_is_really_korean():
    for ns in NAMESPACES:
        ko = " ".join(texts("ko", ns).values())
        hangul = sum("\uac00" <= ch <= "\ud7a3" for ch in ko)
        assert hangul > 0.2 * sum(ch.isalpha() for ch in ko), f"{ns}: Korean file is mostly not Korean"


@pytest.mark.parametrize("page", [name for name, _ in nav.pages()])
def test_every_page_has_title_and_summary(page):
    for lang in ("en", "ko"):
        assert {"title", "summary"} <= set(texts(lang, page))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_experiment_and_key_value_has_a_name(lang):
    """Compare runs names every kind of run, and every value a select offers has a name."""
    names = texts(lang, "labels")
    kinds = [k for k, cls in Spec.registry.items() if cls.__module__.startswith("core.")]  # not the tests' own
    assert {f"kind_{k.replace('-', '_')}" for k in kinds} <= set(names)
    for column, values in (("method", METHODS), ("init", INITS), ("activation", ACTIVATIONS), ("schedule", SCHEDULES)):
        assert {f"{column}_{v}" for v in values} <= set(names), column


@pytest.mark.parametrize(
    "filled, read",
    [
        ("Adam이(가) 가장 낮습니다", "Adam이 가장 낮습니다"),
        ("SGD이(가) 가장 낮습니다", "SGD가 가장 낮습니다"),
        ("모멘텀은(는)", "모멘텀은"),
        ("He 정규분포은(는)", "He 정규분포는"),
        ("**8**(으)로 읽었습니다", "**8**로 읽었습니다"),
        ("**3**(으)로 읽었습니다", "**3**으로 읽었습니다"),
        ("**2**(이)라고", "**2**라고"),
        ("**0**(이)라고", "**0**이라고"),
        ("신경망 1과(와) 2", "신경망 1과 2"),
    ],
)
def test_korean_particles_follow_the_word_before_them(filled, read):
    assert particles(filled) == read
