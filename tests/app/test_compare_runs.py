"""AppTest of the Compare-runs page: the table, filtering, overlay of picked runs, the delete
policy, and a delete that goes through."""

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.experiments.optimizers import OptimizerComparison
from core.spec import Result
from core.store import Store
from core.verify import Verification
from tests.app.apptest import open_page, train_and_wait
from ui import addresses

MARK = "iterations=98"  # only the runs made here have these settings


def put(iterations: int, owner: str | None, methods: tuple[str, ...] = ("sgd", "momentum")) -> str:
    """A stored run whose variants are `methods` (ids with a `method` key column; none: one
    variant without keys, as a lab model), with a loss and a gradient-norm curve each."""
    spec = OptimizerComparison(iterations=iterations)
    steps = np.arange(1, iterations + 1)
    curves = pd.concat(
        pd.DataFrame({"variant": v, "step": steps, "epoch": steps / 10, "metric": m, "value": 1 / steps})
        for v in methods or ("model",)
        for m in ("loss", "grad_norm")
    )
    summary = pd.DataFrame({"variant": list(methods or ("model",)), "final_loss": 0.3, "test_acc": 0.9})
    if methods:
        curves["method"], summary["method"] = curves["variant"], summary["variant"]
    Store().put(spec, Result({"curves": curves, "summary": summary}), 1.0, owner)
    return spec.key()


def legend(at: AppTest) -> list[str]:
    """The series names the overlay chart's legend shows."""
    return json.loads(at.get("vega_lite_chart")[0].proto.spec)["encoding"]["color"]["scale"]["domain"]


def pick_all(at: AppTest, n: int) -> None:
    version = at.session_state["compare_runs.version"] if "compare_runs.version" in at.session_state else 0
    at.session_state[f"compare_runs.table.{version}"] = {"selection": {"rows": list(range(n)), "columns": []}}
    at.run()
    assert not at.exception


@pytest.fixture
def two_runs():
    keys = [put(981, "someone-else"), put(982, "someone-else")]
    yield keys
    Store().delete(keys)


def test_filter_pick_and_overlay(two_runs):
    at = open_page("compare_runs")
    at.text_input(key="compare_runs.search").set_value(MARK)
    at.run()
    assert not at.exception
    assert "2 of" in at.caption[0].value
    pick_all(at, 2)
    assert at.get("vega_lite_chart"), "the picked runs' curves are drawn"
    assert at.selectbox(key="compare_runs.metric.en").value == "loss"
    title = f"{nav_title('optimizers', 'en')} "
    assert sorted(legend(at)) == sorted(f"{title}{k[:6]} · {m}" for k in two_runs for m in ("SGD", "Momentum"))
    at.radio(key="compare_runs.x.en").set_value("epoch")
    at.toggle(key="compare_runs.log").set_value(True)
    at.run()
    assert not at.exception


def test_a_visitor_cannot_delete_others_runs_on_a_shared_app(two_runs, monkeypatch):
    monkeypatch.setenv("LAB_CLEAR", "own")
    at = open_page("compare_runs")
    at.text_input(key="compare_runs.search").set_value(MARK)
    at.run()
    pick_all(at, 2)
    assert at.button(key="compare_runs.delete").disabled
    assert any("another visitor" in c.value for c in at.caption)
    assert set(two_runs) <= set(Store().entries()["key"])


def test_deleting_picked_runs(two_runs, monkeypatch):
    monkeypatch.setenv("LAB_CLEAR", "all")
    at = open_page("compare_runs")
    at.text_input(key="compare_runs.search").set_value(MARK)
    at.run()
    pick_all(at, 2)
    at.button(key="compare_runs.delete").click()
    at.run()
    assert not at.exception
    assert not set(two_runs) & set(Store().entries()["key"])


def test_an_imported_run_is_marked_and_verifying_it_exposes_made_up_numbers():
    spec = OptimizerComparison(iterations=6, n_train=300, hidden=(8,), batch_size=50)
    steps = np.arange(1, 7)
    made_up = pd.DataFrame({"variant": "SGD", "step": steps, "epoch": steps / 6, "metric": "loss", "value": 1 / steps})
    Store().put(spec, Result({"curves": made_up, "summary": pd.DataFrame({"variant": ["SGD"]})}), 1.0, imported=True)
    try:
        at = open_page("compare_runs")
        at.text_input(key="compare_runs.search").set_value("iterations=6, n_train=300")
        at.run()
        pick_all(at, 1)
        table = at.dataframe[0].value
        assert table["Imported"].tolist() == [True]
        train_and_wait(at, "compare_runs.verify", Verification.of_stored(Store(), spec.key()))
        assert at.error and "Not verified" in at.error[0].value
        assert any("curves: shape" in df.value.to_string() for df in at.dataframe)
        assert not Store().get(spec).imported  # the recomputed run replaced the made-up one
    finally:
        Store().delete([spec.key(), *Store().entries().query("kind == 'verify'")["key"]])


def test_every_kind_of_run_is_titled_by_its_page_in_both_languages():
    """Runs from batch norm, learning rate, clipping and search pages once showed module names."""
    from core import runs
    from core.verify import Verification
    from ui import i18n, nav

    pages = {name for name, _ in nav.pages()}
    lab_kinds = {k for k, cls in runs.Spec.registry.items() if cls.__module__.startswith("core.")}  # not tests'
    for kind in lab_kinds - {Verification.kind}:
        page = nav.page_of(runs.page_of(kind))
        assert page in pages, kind
        for lang in i18n.LANGS:
            assert f"{page}.title" in i18n.catalog(lang), (kind, lang)


def nav_title(page: str, lang: str) -> str:
    from ui import i18n

    return i18n.catalog(lang)[f"{page}.title"]


def test_a_korean_reader_sees_series_and_curves_named_in_korean(two_runs, monkeypatch):
    """Each series is "<page> <key> · <variant>" with the variant named from its key columns in
    Korean; a run of one variant without keys (a lab model) is named by the run alone."""
    from ui import i18n

    monkeypatch.setattr(i18n, "browser_lang", lambda: "ko")  # AppTest formats options outside the session
    lone = put(983, "someone-else", methods=())
    try:
        at = open_page("compare_runs", "ko")
        at.text_input(key="compare_runs.search").set_value("iterations=98")
        at.run()
        pick_all(at, 3)
        title = f"{nav_title('optimizers', 'ko')} "
        expected = {f"{title}{k[:6]} · {m}" for k in two_runs for m in ("SGD", "모멘텀")} | {f"{title}{lone[:6]}"}
        assert set(legend(at)) == expected
        metrics = at.selectbox(key="compare_runs.metric.ko").options
        assert set(metrics) == {"학습 손실 (스텝마다)", "그래디언트 노름 (스텝마다)"}
    finally:
        Store().delete([lone])


def test_a_picked_run_offers_the_link_that_opens_it(two_runs):
    at = open_page("compare_runs")
    at.text_input(key="compare_runs.search").set_value("iterations=981")
    at.run()
    pick_all(at, 1)
    shown = [c.value for c in at.code]
    assert shown == [addresses.link(OptimizerComparison(iterations=981))]
    assert "iterations=981" in shown[0] and shown[0].startswith("/optimizers?")
    pick_all(at, 0)  # no run picked: no link
    assert not at.code
