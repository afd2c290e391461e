"""The gradient-clipping page: a short run in the background, its variants named in the
reader's language."""

import re

from core.experiments.clipping import ClippingComparison
from tests.app.apptest import open_page, train_and_wait
from tests.app.reading import untranslated
from ui.i18n import catalog, t

P = "clipping"


def test_clipping_run_in_the_background_named_in_both_languages():
    page = open_page(P)
    page.number_input(key=f"{P}.depth").set_value(3).run()
    page.number_input(key=f"{P}.iterations").set_value(10).run()
    train_and_wait(page, f"{P}.train", ClippingComparison(hidden=(100,) * 3, iterations=10))
    assert len(page.get("vega_lite_chart")) == 2
    for lang in ("en", "ko"):
        page.session_state["lang"] = lang
        page.run()
        table = page.dataframe[0].value.to_string()
        texts = catalog(lang)
        assert all(texts[f"labels.clipping_{c}"] in table for c in ("no_clip", "clip_norm", "clip_value"))
    assert "Clip by norm" not in table and "clip_norm" not in table
    assert not untranslated(page)


def test_impossible_settings_are_a_message():
    page = open_page(P)
    page.number_input(key=f"{P}.clip_norm").set_value(1e-4).run()
    page.number_input(key=f"{P}.lr").set_value(10.0).run()
    assert not page.exception


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d[\d,]*(?:\.\d+)?(?:e[-+]\d+)?", text))


def test_the_lesson_quotes_this_runs_numbers_and_names_only_its_variants():
    page = open_page(P)
    page.number_input(key=f"{P}.depth").set_value(2).run()  # off the preset
    page.number_input(key=f"{P}.iterations").set_value(12).run()
    train_and_wait(page, f"{P}.train", ClippingComparison(hidden=(100,) * 2, iterations=12))
    lesson = next(e.value for e in page.success if t("common.lesson") in e.value)
    table = page.dataframe[0].value
    assert numbers(lesson) - {"12"} <= numbers(table.to_string())  # 12: the steps of the run
    assert all(name in lesson for name in table[t("common.col_run")])
