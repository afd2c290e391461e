"""On a shared deployment each browser deletes exactly its own runs, also after a reload: the
owner is a random token kept in a cookie, not the browser session."""

import numpy as np
import pandas as pd
import pytest

from core.experiments.optimizers import OptimizerComparison
from core.spec import Result
from core.store import Store
from tests.e2e.browser import error_count, settle

pytestmark = pytest.mark.e2e


def visit(browser, url):
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(url)
    settle(tab)
    token = {c["name"]: c["value"] for c in context.cookies()}.get("lab_owner", "")
    return context, tab, token


def put(store: Store, iterations: int, owner: str) -> str:
    spec = OptimizerComparison(iterations=iterations)
    steps = np.arange(1, iterations + 1)
    curves = pd.DataFrame({"variant": "SGD", "step": steps, "epoch": steps / 10, "metric": "loss", "value": 1 / steps})
    store.put(spec, Result({"curves": curves, "summary": pd.DataFrame({"variant": ["SGD"]})}), 1.0, owner)
    return spec.key()


def delete_mine(tab) -> None:
    tab.get_by_text("Device and saved results").click()
    assert "results.sqlite" not in tab.locator("[data-testid=stSidebar]").inner_text()  # no server path
    tab.get_by_role("button", name="Delete the results this browser computed or imported").click()
    settle(tab)
    assert error_count(tab) == 0


def test_each_browser_deletes_only_its_own_runs_after_a_reload(shared_app, browser):
    url, path = shared_app
    store = Store(path)
    ann, ann_tab, ann_token = visit(browser, url)
    bob, bob_tab, bob_token = visit(browser, url)
    assert len(ann_token) == 32 and len(bob_token) == 32 and ann_token != bob_token
    anns = {put(store, n, ann_token) for n in (11, 12)}
    bobs = {put(store, 13, bob_token)}

    ann_tab.reload()  # a new session of the same browser: still the same owner
    settle(ann_tab)
    assert {c["name"]: c["value"] for c in ann.cookies()}["lab_owner"] == ann_token
    delete_mine(ann_tab)
    assert set(store.entries()["key"]) == bobs

    later = bob.new_page()  # a new tab of the other browser
    later.goto(f"{url}/compare_runs")
    settle(later)
    delete_mine(later)
    assert store.entries().empty and not anns & set(store.entries()["key"])
    ann.close()
    bob.close()
