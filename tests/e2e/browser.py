"""Browser helpers shared by the end-to-end tests."""

import time


def settle(page, timeout: float = 90, quiet_ticks: int = 4) -> None:
    """Wait until the script has finished running and nothing on the page is stale for
    `quiet_ticks` half seconds."""
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=timeout * 1000)
    quiet, deadline = 0, time.time() + timeout
    while quiet < quiet_ticks and time.time() < deadline:
        time.sleep(0.5)
        busy = page.locator("[data-testid=stStatusWidget], [data-stale=true]").count() > 0
        quiet = 0 if busy else quiet + 1


def error_count(page) -> int:
    return page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count()
