"""Scrubbing and playing a finished result happen in the browser: the playground's step input and
its Play button move the chart without a message to the server (no script rerun)."""

import pytest

from tests.e2e.browser import error_count, settle

pytestmark = pytest.mark.e2e

STEP = "opt_step"  # the playground's parameter; Vega names the range input after it
CHART = "[data-testid=stVegaLiteChart]:has(input[name=opt_step])"


def step_value(page) -> int:
    return int(page.eval_on_selector(f"input[name={STEP}]", "e => e.value"))


def test_scrub_and_play_redraw_the_playground_without_a_rerun(presets_app, browser):
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    page.goto(f"{presets_app}/optimizers")
    settle(page)
    assert error_count(page) == 0
    chart = page.locator(CHART)
    chart.scroll_into_view_if_needed()
    slider = page.locator(f"input[name={STEP}]")
    last = int(slider.get_attribute("max"))
    assert last > 5 and step_value(page) == last  # the finished race is shown in full
    page.wait_for_timeout(300)
    before = chart.screenshot()
    sent.clear()

    slider.focus()  # arrow keys, as a reader scrubs back step by step
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    box = slider.bounding_box()  # and a drag to the first quarter
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 4, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    scrubbed = step_value(page)
    assert 0 < scrubbed < last - 5
    assert chart.screenshot() != before  # the paths are shorter now

    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(1000)
    playing = step_value(page)
    assert playing != scrubbed
    page.get_by_role("button", name="Pause").click()
    page.wait_for_timeout(300)
    paused = step_value(page)
    page.wait_for_timeout(400)
    assert step_value(page) == paused  # a second click stops it

    assert sent == []  # not one message to the server: no rerun per position
    assert page.locator("[data-testid=stStatusWidget]").count() == 0
    page.get_by_text("One panel per").click()  # a server widget, for contrast: it does send
    page.wait_for_timeout(500)
    assert sent, "the frame counter saw nothing: it would miss a rerun too"
    page.close()
