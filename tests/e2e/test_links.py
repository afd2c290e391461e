"""A link with settings in a real browser: it opens the page with the link's knobs and shows the
stored result without a press of Train; the sidebar's "Copy link" copies the page's address,
settings included. Prints the time from following the link to the chart (for the README)."""

import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from core.experiments.optimizers import OptimizerComparison
from tests.e2e.browser import error_count, settle
from ui import addresses

pytestmark = pytest.mark.e2e


def shipped_run() -> OptimizerComparison:
    """A shipped preset of the optimizers' MNIST tab that is not its first run: its link carries
    settings and a tab."""
    presets = OptimizerComparison.presets().values()
    return next(s for s in presets if s != OptimizerComparison.presets()["book"] and addresses.link(s))


def test_a_link_opens_its_knobs_and_stored_chart_and_copies_itself(presets_app, browser):
    run = shipped_run()
    link = addresses.link(run)
    asked = dict(parse_qsl(urlsplit(link).query))
    assert asked, "the preset differs from the page's first run"
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(presets_app)  # a first visit: the server has loaded its presets
        settle(page)
        start = time.perf_counter()
        page.goto(presets_app + link, wait_until="commit")
        chart = page.locator("[data-testid=stMain] [data-testid=stVegaLiteChart]").filter(visible=True).first
        chart.wait_for(state="visible", timeout=60_000)
        seconds = time.perf_counter() - start
        print(f"\nlink {link} -> stored chart visible in {seconds:.2f} s")
        settle(page)
        assert error_count(page) == 0
        assert page.locator("[data-testid=stSidebar] [data-testid=stAlertContentWarning]").count() == 0
        knobs = {k: v for k, v in asked.items() if k != "tab"}
        assert knobs
        for name, value in knobs.items():  # every knob the link names shows its value
            box = page.locator(f".st-key-{name.replace('.', '-')} input")
            assert float(box.input_value()) == float(value), name
        assert page.locator("[role=tab][aria-selected=true]").inner_text() == "MNIST comparison"
        assert page.locator(".st-key-optmnist-train button").count() == 0  # stored: nothing to press
        assert dict(parse_qsl(urlsplit(page.url).query)) == asked  # the address keeps the settings
        page.locator("[data-testid=stSidebar] button.copy").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == presets_app + link
    finally:
        context.close()
