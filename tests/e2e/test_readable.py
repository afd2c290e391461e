"""Every page and tab, with the course presets shown, on a laptop screen (1024 x 768) in both
languages: no legend entry, axis label, select chip or button label may be cut short. What fits
at 1024 px fits at 1400: the columns only grow."""

import pytest

from tests.e2e.browser import settle
from tests.e2e.conftest import serve
from ui import nav

pytestmark = pytest.mark.e2e

# Leaf elements whose text the browser cut: a Vega label ending in "…" (legends, axes), a chip
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
  const labels = '[data-testid=stMain] button *, [data-testid=stMain] [data-baseweb=tag] *, [role=tab] *';
  for (const e of document.querySelectorAll(labels)) {
    const text = (e.innerText || '').trim();
    if (!e.children.length && text && e.scrollWidth > e.clientWidth + 1) cut.push(text);
  }
  return cut;
}"""


@pytest.fixture(scope="module")
def presets_app():
    """The app as a fresh deployment serves it: the shipped presets shown at once."""
    yield from (url for url, _ in serve(LAB_PRESETS="on"))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_label_is_cut_short_on_a_laptop_screen(presets_app, browser, lang):
    context = browser.new_context(locale={"en": "en-US", "ko": "ko-KR"}[lang], viewport={"width": 1024, "height": 768})
    tab = context.new_page()
    cut = {}
    for page, _ in nav.pages():
        tab.goto(f"{presets_app}/{'' if page == 'home' else page}")
        settle(tab)
        tabs = tab.locator("[data-testid=stMain] [role=tab]")
        for i in range(max(tabs.count(), 1)):
            if i:
                tabs.nth(i).click()
                settle(tab)
            found = tab.evaluate(CUT)
            if found:
                cut[f"{page} tab {i + 1}"] = sorted(set(found))
    context.close()
    assert not cut, cut
