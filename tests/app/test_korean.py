"""Every page in Korean, with the course presets' results shown (the shipped presets), read as a
Korean student reads it: no legend entry, table cell, column, select option or lesson may be an
internal id ("he_normal", "sgd_l2") or an English name of a variant ("Momentum", "no BN")."""

import pytest

from core import presets
from tests.app.apptest import open_page
from tests.app.reading import shown, untranslated
from ui import nav, runner


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
    assert not untranslated(open_page(page, "ko"))


def test_the_walk_reads_legends_tables_and_options():
    """The check above is not vacuous: on the optimizers page in Korean it reads the legend of
    the book figure and finds Korean names of the optimizers in it."""
    at = open_page("optimizers", "ko")
    values, _ = shown(at)
    assert "모멘텀" in values and len(values) > 20
    at.session_state["lang"] = "en"
    at.run()
    assert "Momentum" in untranslated(at)  # the same page in English: the check finds English names
