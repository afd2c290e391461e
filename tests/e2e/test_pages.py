"""Every page, in English and in Korean, opens in a real browser without an error element."""

import json

import pytest

from tests.e2e.browser import error_count, settle
from tests.e2e.conftest import SHOTS
from ui import nav

pytestmark = pytest.mark.e2e
I18N = nav.PAGES_DIR.parent / "assets" / "i18n"
LOCALES = {"en": "en-US", "ko": "ko-KR"}


def title(lang: str, page: str) -> str:
    return json.loads((I18N / lang / f"{page}.json").read_text(encoding="utf-8"))["title"]


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("page", [name for name, _ in nav.pages()])
def test_page_opens_without_errors(app_url, browser, page, lang):
    """The browser's locale picks the language; the sidebar lists the page under its translated title."""
    context = browser.new_context(locale=LOCALES[lang], viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(f"{app_url}/{'' if page == 'home' else page}")
    settle(tab)
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{page}-{lang}.png"), full_page=True)
    assert error_count(tab) == 0
    nav_text = tab.locator("[data-testid=stSidebarNav]").inner_text()
    assert title(lang, page) in nav_text
    assert tab.locator("[data-testid=stMain] h1").count() >= 1
    context.close()


def test_language_switch_changes_the_page(app_url, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(f"{app_url}/optimizers")
    settle(tab)
    assert title("en", "optimizers") in tab.locator("[data-testid=stMain] h1").first.inner_text()
    tab.get_by_text("한국어").click()
    settle(tab)
    assert title("ko", "optimizers") in tab.locator("[data-testid=stMain] h1").first.inner_text()
    assert error_count(tab) == 0
    context.close()


def test_language_switch_keeps_the_open_tab(app_url, browser):
    """A student on the third tab who switches to Korean stays on the third tab."""
    names = json.loads((I18N / "en" / "mnist_lab.json").read_text(encoding="utf-8"))
    names_ko = json.loads((I18N / "ko" / "mnist_lab.json").read_text(encoding="utf-8"))
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(f"{app_url}/mnist_lab")
    settle(tab)
    tab.get_by_role("tab", name=names["tab_try"]).click()
    settle(tab)
    tab.get_by_text("한국어").click()
    settle(tab)
    assert tab.get_by_role("tab", name=names_ko["tab_try"]).get_attribute("aria-selected") == "true"
    assert error_count(tab) == 0
    context.close()
