"""Every page and tab, in English and in Korean, in a real browser: no error element, no label cut short,
and a language switch that keeps the page and its open tab."""

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


# Labels the browser cut short: a Vega text ending in "…" (legends, axes, titles), a chip
# running past the box it sits in, or any label whose text is wider than its element.
CUT = """() => {
  const cut = [];
  for (const e of document.querySelectorAll('.vega-embed svg text')) {
    if (e.textContent.endsWith('…')) cut.push(e.textContent);
  }
  for (const tag of document.querySelectorAll('[data-testid=stMain] [data-baseweb=tag]')) {
    const box = tag.closest('[data-baseweb=select]').getBoundingClientRect();
    if (tag.getBoundingClientRect().right > box.right + 1) cut.push(tag.innerText);
  }
  const labels = '[data-testid=stMain] button, [data-testid=stMain] button *, [data-baseweb=tag] *, [role=tab] *';
  for (const e of document.querySelectorAll(labels)) {
    const text = (e.innerText || '').trim();
    if (text && e.scrollWidth > e.clientWidth + 1) cut.push(text);
  }
  return cut;
}"""


# A wide screen and a laptop's: with the sidebar open the page's content is 940 and 564 px wide.
SIZES = {"1400x900": {"width": 1400, "height": 900}, "1024x768": {"width": 1024, "height": 768}}


def cut_labels(tab, size: str) -> list[str]:
    """Resize the window and return what CUT finds once the page has laid itself out again.
    A resize needs no rerun: columns reflow and Vega redraws charts at their new width."""
    if tab.viewport_size != SIZES[size]:
        tab.set_viewport_size(SIZES[size])
        tab.wait_for_timeout(400)
    return tab.evaluate(CUT)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_every_page_and_tab_opens_and_reads_in_full(presets_app, browser, lang):
    """The browser's locale picks the language. Every page, every tab, with the presets' results
    drawn: no error element, the sidebar lists the page under its translated title, and no label
    is cut short on a wide screen or on a laptop's with the sidebar open. Each tab is checked at
    both sizes in the same page load, at the window's size first: resizing instead of reloading,
    once a tab, keeps the walk's time."""
    context = browser.new_context(locale=LOCALES[lang], viewport=SIZES["1400x900"])
    tab = context.new_page()
    SHOTS.mkdir(exist_ok=True)
    problems = {}
    for page, _ in nav.pages():
        tab.set_viewport_size(SIZES["1400x900"])  # each page opens wide, as a student would find it
        tab.goto(f"{presets_app}/{'' if page == 'home' else page}")
        settle(tab)
        assert title(lang, page) in tab.locator("[data-testid=stSidebarNav]").inner_text(), page
        assert tab.locator("[data-testid=stMain] h1").count() >= 1, page
        tabs = tab.locator("[data-testid=stMain] [role=tab]")
        for i in range(max(tabs.count(), 1)):
            if i:
                tabs.nth(i).click()
                settle(tab, quiet_ticks=2)
            if error_count(tab):
                problems[f"{page} tab {i + 1}"] = ["error"]
            for size in sorted(SIZES, key=lambda s: SIZES[s] != tab.viewport_size):  # one resize a tab
                if cut := cut_labels(tab, size):
                    problems[f"{page} tab {i + 1} at {size}"] = sorted(set(cut))
                tab.screenshot(path=str(SHOTS / f"{page}-{i + 1}-{lang}-{size}.png"), full_page=True)
    context.close()
    assert not problems, problems


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
