"""Export and import of stored runs: a round trip is exact; a malformed file is rejected with a
message and leaves the store as it was. Also the runs table that the Compare page shows."""

import json

import numpy as np
import pandas as pd
import pytest

from core import exchange, runs
from core.experiments.mnist_lab import MnistLab
from core.experiments.optimizers import OptimizerComparison
from core.spec import Result
from core.store import Store


def curves(n: int, variant: str) -> pd.DataFrame:
    steps = np.arange(1, n + 1)
    return pd.DataFrame(
        {"variant": variant, "step": steps, "epoch": steps / 10, "metric": "loss", "value": 1.0 / steps}
    )


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.sqlite")
    for i, it in enumerate((5, 7)):
        spec = OptimizerComparison(iterations=it)
        summary = pd.DataFrame(
            {"variant": ["SGD", "Adam"], "final_loss": [0.5, 0.2], "test_acc": [0.9, 0.95 + i / 100]}
        )
        frames = {"curves": pd.concat([curves(it, "SGD"), curves(it, "Adam")]), "summary": summary}
        s.put(spec, Result(frames, {"note": "x", "nested": [1, 2.5, None]}), seconds=1.5 + i, owner="alice")
    return s


def keys_of(store: Store) -> list[str]:
    return store.entries()["key"].tolist()


def test_export_then_import_round_trips_exactly(store, tmp_path):
    keys = keys_of(store)
    raw = exchange.export_json(store, keys).encode()
    other = Store(tmp_path / "b.sqlite")
    done = exchange.import_json(other, raw, owner="bob")
    assert sorted(done.added) == sorted(keys) and not done.skipped
    before, after = store.entries().set_index("key"), other.entries().set_index("key")
    for key in keys:
        a, b = store.load(key), other.load(key)
        assert a.frames.keys() == b.frames.keys()
        for name in a.frames:
            pd.testing.assert_frame_equal(a.frames[name], b.frames[name])
        assert a.extras == b.extras and a.complete == b.complete
        for col in ("kind", "spec", "created", "seconds", "complete", "format"):
            assert before.loc[key, col] == after.loc[key, col]
        assert after.loc[key, "owner"] == "bob"
    assert exchange.export_json(other, keys) == exchange.export_json(store, keys)


def test_a_lab_model_survives_export_and_import(tmp_path):
    a, b = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    spec = MnistLab(n_train=100, n_test=20, epochs=1, batch_size=50, hidden=(8,))
    a.get_or_run(spec)
    exchange.import_json(b, exchange.export_json(a, [spec.key()]).encode())
    assert b.get(spec) is not None  # the page finds the imported run by its own spec
    assert b.load(spec.key()).extras["model"] == a.load(spec.key()).extras["model"]


def test_importing_again_skips_what_is_there(store):
    keys = keys_of(store)
    done = exchange.import_json(store, exchange.export_json(store, keys).encode())
    assert not done.added and sorted(done.skipped) == sorted(keys)


def altered(raw: str, change) -> bytes:
    doc = json.loads(raw)
    change(doc)
    return json.dumps(doc).encode()


def set_in(path, value):
    def change(doc):
        target = doc
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value

    return change


BAD = {
    "not json": lambda raw: b"{not json",
    "not utf-8": lambda raw: b"\xff\xfe\x00",
    "other schema": lambda raw: altered(raw, set_in(["schema"], "something-else")),
    "other version": lambda raw: altered(raw, set_in(["version"], 99)),
    "no runs": lambda raw: altered(raw, set_in(["runs"], [])),
    "runs not a list": lambda raw: altered(raw, set_in(["runs"], {"a": 1})),
    "settings changed": lambda raw: altered(raw, set_in(["runs", 1, "spec", "iterations"], 8)),
    "key changed": lambda raw: altered(raw, set_in(["runs", 1, "key"], "0" * 32)),
    "unknown kind": lambda raw: altered(raw, set_in(["runs", 1, "kind"], "rm -rf")),
    "extra field": lambda raw: altered(raw, set_in(["runs", 1, "payload"], "x")),
    "negative seconds": lambda raw: altered(raw, set_in(["runs", 1, "seconds"], -1)),
    "short column": lambda raw: altered(raw, lambda d: d["runs"][1]["frames"]["curves"]["data"][0].pop()),
    "bad dtype": lambda raw: altered(raw, set_in(["runs", 1, "frames", "curves", "dtypes", 0], "complex128")),
    "text in a number column": lambda raw: altered(raw, set_in(["runs", 1, "frames", "curves", "data", 1, 0], "seven")),
    "duplicate run": lambda raw: altered(raw, lambda d: d["runs"].append(d["runs"][0])),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_malformed_file_is_rejected_and_changes_nothing(store, tmp_path, name):
    raw = exchange.export_json(store, keys_of(store))
    target = Store(tmp_path / "c.sqlite")
    exchange.import_json(target, exchange.export_json(store, keys_of(store)[:0] + [keys_of(store)[0]]).encode())
    before = target.entries()
    with pytest.raises(exchange.ImportRejected) as err:
        exchange.import_json(target, BAD[name](raw))
    assert str(err.value)
    pd.testing.assert_frame_equal(target.entries(), before)


def test_size_limits_are_checked_before_parsing(store, monkeypatch):
    raw = exchange.export_json(store, keys_of(store)).encode()
    monkeypatch.setattr(exchange, "MAX_BYTES", len(raw) - 1)
    with pytest.raises(exchange.ImportRejected, match="larger"):
        exchange.parse(raw)
    monkeypatch.setattr(exchange, "MAX_BYTES", len(raw))
    monkeypatch.setattr(exchange, "MAX_CELLS", 10)
    with pytest.raises(exchange.ImportRejected, match="more than"):
        exchange.parse(raw)


def test_csv_export_holds_every_curve_row_with_its_run(store):
    keys = keys_of(store)
    df = pd.read_csv(pd.io.common.StringIO(exchange.export_csv(store, keys)))
    assert list(df.columns[:2]) == ["run", "kind"]
    assert len(df) == 2 * (5 + 7) and set(df["run"]) == set(keys)


def test_deleting_respects_the_owner_on_a_shared_deployment(store, monkeypatch):
    monkeypatch.setenv("LAB_CLEAR", "own")
    keys = keys_of(store)
    assert store.delete(keys, owner="mallory") == 0
    assert store.delete(keys[:1], owner="alice") == 1 and keys_of(store) == keys[1:]


def test_runs_table_search_and_overlay(store):
    entries = store.entries()
    results = {k: store.load(k) for k in entries["key"]}
    df = runs.table(entries, results)
    assert set(df["page"]) == {"optimizers"} and df["curves"].all()
    assert sorted(df["test_acc"]) == [0.95, 0.96]  # the best variant of each run
    assert (df["final_loss"] == 0.2).all()
    assert "iterations=7" in " ".join(df["settings"])
    assert len(runs.search(df, "ITERATIONS=7 optimizers")) == 1 and len(runs.search(df, "nothing-like-it")) == 0
    both = runs.overlay(results)
    assert len(both) == 2 * (5 + 7) and both.groupby(["run", "variant"]).ngroups == 4
