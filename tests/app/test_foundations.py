"""The Foundations overview (the old `/foundations` URL) and the home page's guided path in
sections."""

import pytest

from tests.app.apptest import open_page
from tests.app.reading import untranslated
from ui import nav
from ui.i18n import catalog


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_overview_links_every_page_of_the_section(lang):
    at = open_page("foundations", lang)
    section = [name for name, _ in nav.sections()["foundations"] if name != "foundations"]
    links = at.get("page_link")
    assert [link.proto.page for link in links] == section
    texts = catalog(lang)
    assert [link.proto.label for link in links] == [texts[f"{name}.title"] for name in section]
    assert at.title[0].value == texts["foundations.title"]
    assert lang == "en" or not untranslated(at)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_lists_the_guided_path_by_section(lang):
    at = open_page(None, lang)
    texts = catalog(lang)
    headings = [m.value.removeprefix("#### ") for m in at.markdown if m.value.startswith("#### ")]
    assert headings == [texts[f"common.section_{s}"] for s, pages in nav.sections().items() if s != "start"]
    pages = [link.proto.page for link in at.get("page_link")]
    assert pages == [name for name, _ in nav.pages() if name != "home"]
    assert at.get("page_link")[0].proto.label.startswith("1. ")
