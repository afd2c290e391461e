"""Browser test of the MNIST lab: train a tiny model, draw a digit on the canvas with the mouse,
and read the predicted probabilities, in English and in Korean. Runs first on the session's
server (`app_url`), so its store holds only what these tests put there."""

import re
import time

import pytest

from tests.e2e.browser import settle

pytestmark = pytest.mark.e2e
playwright = pytest.importorskip("playwright.sync_api")

PROBS = re.compile(r"\d\.\d{4}")


@pytest.fixture(scope="module")
def page(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 2400})
    yield pg
    pg.close()


def set_number(page, label: str, value: str) -> None:
    box = page.get_by_role("textbox", name=label, exact=True).or_(
        page.get_by_role("spinbutton", name=label, exact=True)
    )
    box.fill(value)
    box.press("Enter")
    settle(page)


def draw_a_one(page) -> None:
    """A vertical stroke on the drawing canvas, made with real mouse moves."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30000)
    box = canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 40)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + i * 0.5, box["y"] + 40 + i * 10)
    page.mouse.up()
    settle(page)


def train_and_wait(page, limit: float = 240) -> None:
    """Click Train and wait for the test metrics; click again if a busy app swallowed the click."""
    build_tab = page.locator("[role=tabpanel]").first
    button = build_tab.get_by_role("button", name="Train the model")
    end = time.time() + limit
    while time.time() < end:
        if build_tab.get_by_text("Test accuracy").count():
            settle(page)
            return
        if button.count() and button.is_visible():
            button.click()
        time.sleep(5)
    pytest.fail("training did not finish")


def probabilities(page) -> list[float]:
    table = page.locator("[data-testid=stTable]").last
    table.wait_for(timeout=60000)
    return [float(v) for v in PROBS.findall(table.inner_text())]


def test_train_then_draw_and_read_probabilities(app_url, page):
    page.goto(f"{app_url}/mnist_lab")
    settle(page)
    assert page.locator("[data-testid=stException]").count() == 0
    set_number(page, "Training images (0 = all 60,000)", "300")
    set_number(page, "Epochs", "2")
    set_number(page, "Hidden layer widths", "16")
    train_and_wait(page)
    page.screenshot(path="/tmp/mnist_lab-e2e-trained.png", full_page=True)

    page.get_by_role("tab", name="3 · Try it").click()
    settle(page)
    draw_a_one(page)
    page.get_by_text("The model reads").wait_for(timeout=60000)
    probs = probabilities(page)
    assert len(probs) == 10 and abs(sum(probs) - 1) < 0.01
    page.screenshot(path="/tmp/mnist_lab-e2e-draw-en.png", full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0

    page.get_by_text("한국어").click()
    settle(page)
    page.get_by_role("tab", name="3 · 직접 해 보기").click()
    settle(page)
    if page.get_by_text("모델은 이 숫자를").count() == 0:
        draw_a_one(page)
    page.get_by_text("모델은 이 숫자를").wait_for(timeout=60000)
    probs_ko = probabilities(page)
    assert len(probs_ko) == 10 and abs(sum(probs_ko) - 1) < 0.01
    page.screenshot(path="/tmp/mnist_lab-e2e-draw-ko.png", full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0


def test_compare_runs_export_delete_and_import_again(app_url, page, tmp_path):
    """Runs after the training test: its model is in the store. Export it, delete it, reject a
    malformed file, then import the export and find the run back."""
    page.goto(f"{app_url}/compare_runs")
    settle(page)
    page.get_by_text("English", exact=True).click()
    settle(page)
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for(timeout=30000)
    export_button = page.get_by_role("button", name="Export picked runs (JSON)")
    for _ in range(6):
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 52)  # the first row's tick box
        settle(page)
        if export_button.count():
            break
        page.screenshot(path="/tmp/compare_runs-e2e-pick.png", full_page=True)
    with page.expect_download() as download:
        export_button.click()
    export = tmp_path / "runs.json"
    download.value.save_as(export)
    assert '"mnist-lab"' in export.read_text()

    page.get_by_role("button", name="Delete 1 picked runs").click()
    settle(page)
    page.get_by_text("Nothing is saved yet").wait_for(timeout=30000)

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "nn-training-lab/runs", "version": 1, "runs": "all of them"}')
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(bad))
    settle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("The file was not imported").wait_for(timeout=30000)
    assert page.get_by_text("Nothing is saved yet").count() == 1

    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(export))
    settle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported 1 runs").wait_for(timeout=30000)
    settle(page)
    assert page.locator("[data-testid=stDataFrame]").count() == 1
    page.screenshot(path="/tmp/compare_runs-e2e.png", full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
