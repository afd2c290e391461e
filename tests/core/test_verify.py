"""Imported runs: a damaged network is refused on import, every imported run is marked as such,
and `verify` computes a run again and exposes numbers that were edited by hand."""

import gzip
import json

import pytest

from core import exchange, presets, runs
from core.__main__ import main
from core.experiments.mnist_lab import MnistLab
from core.store import Store
from core.verify import Verification

SPEC = MnistLab(n_train=100, n_test=20, epochs=1, batch_size=50, hidden=(8,))


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    home = Store(tmp_path_factory.mktemp("home") / "a.sqlite")
    home.get_or_run(SPEC)
    return json.loads(exchange.export_json(home, [SPEC.key()]))


def edited(doc: dict, change) -> bytes:
    doc = json.loads(json.dumps(doc))
    change(doc["runs"][0]["extras"])
    return json.dumps(doc).encode()


DAMAGE = {
    "model replaced by text": lambda e: e.update(model="weights.bin"),
    "weights cut short": lambda e: e["model"].update(flat=e["model"]["flat"][:-40]),
    "weights not base64": lambda e: e["model"].update(flat="!!not base64!!"),
    "another network": lambda e: e["model"]["net"].update(sizes=[784, 9, 10]),
    "a wrong batch-norm statistic": lambda e: e["model"].update(buffers={"mean0": e["model"]["flat"]}),
    "an accuracy above 1": lambda e: e.update(test_acc=1.5),
    "an accuracy as text": lambda e: e.update(test_acc="0.99"),
    "other class names": lambda e: e.update(class_names=["a"] * 10),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_network_or_score_is_refused_whole(export, tmp_path, name):
    target = Store(tmp_path / "b.sqlite")
    with pytest.raises(exchange.ImportRejected, match="run 1"):
        exchange.import_json(target, edited(export, DAMAGE[name]))
    assert target.entries().empty


def test_imported_runs_are_marked_and_verify_exposes_an_edited_score(export, tmp_path, monkeypatch, capsys):
    path = tmp_path / "b.sqlite"
    monkeypatch.setenv("LAB_STORE", str(path))
    target = Store(path)
    real = export["runs"][0]["extras"]["test_acc"]
    exchange.import_json(target, edited(export, lambda e: e.update(test_acc=0.999)))  # plausible, so accepted
    assert target.get(SPEC).imported and target.get(SPEC).extras["test_acc"] == 0.999
    entries = target.entries()
    assert entries["imported"].tolist() == [1]
    assert runs.table(entries, {SPEC.key(): target.load(SPEC.key())})["imported"].tolist() == [True]

    assert main(["verify", SPEC.key()]) == 1
    out = capsys.readouterr().out
    assert "NOT verified" in out and "extras.test_acc: stored 0.999" in out
    after = target.get(SPEC)
    assert not after.imported and after.extras["test_acc"] == pytest.approx(real)
    assert main(["verify", SPEC.key()]) == 0  # what is stored now is what this code computes
    assert "verified" in capsys.readouterr().out
    shown = runs.table(target.entries(), {})
    assert shown["kind"].tolist() == [MnistLab.kind]  # verifications are not runs of a page


def test_verify_says_clearly_when_there_is_nothing_to_verify(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAB_STORE", str(tmp_path / "empty.sqlite"))
    assert main(["verify", "0" * 32]) == 2
    assert "no readable stored run" in capsys.readouterr().err
    assert main(["verify", "not-a-key"]) == 2


def shipped_run(kind: str) -> dict:
    """One shipped preset run of `kind`, as an export of its own."""
    doc = json.loads(gzip.decompress(presets.SHIPPED.read_bytes()))
    return {**doc, "runs": [next(r for r in doc["runs"] if r["kind"] == kind)]}


def test_a_histogram_or_accuracy_out_of_range_is_refused(tmp_path):
    target = Store(tmp_path / "b.sqlite")
    doc = shipped_run("init-histograms")
    frame = doc["runs"][0]["frames"]["histogram"]
    frame["data"][frame["columns"].index("share")][0] = 5.0  # five times all of the layer
    with pytest.raises(exchange.ImportRejected, match="histogram.share"):
        exchange.import_json(target, json.dumps(doc).encode())
    doc = shipped_run("batchnorm-grid")
    frame = doc["runs"][0]["frames"]["accuracy"]
    frame["data"][frame["columns"].index("train_acc")][3] = -0.2
    with pytest.raises(exchange.ImportRejected, match="accuracy.train_acc"):
        exchange.import_json(target, json.dumps(doc).encode())
    assert target.entries().empty


def test_runs_whose_curves_are_not_tidy_are_not_overlaid(tmp_path):
    """A search round's curves are per trial (trial, epoch, set, acc): Compare runs leaves them
    out of the overlay instead of failing on them."""
    target = Store(tmp_path / "b.sqlite")
    exchange.import_json(target, json.dumps(shipped_run("hpo-round")).encode())
    key = target.entries()["key"][0]
    assert runs.table(target.entries(), {key: target.load(key)})["curves"].tolist() == [False]
    assert runs.overlay({key: target.load(key)}).empty


def test_a_damaged_store_entry_is_computed_again_and_a_verdict_never_outlives_its_entry(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite"
    monkeypatch.setenv("LAB_STORE", str(path))
    store = Store(path)
    store.put(SPEC, store.get_or_run(SPEC), 1.0)
    good = store.get(SPEC)
    broken = type(good)(good.frames, {**good.extras, "model": "weights.bin"})
    store.put(SPEC, broken, 1.0)
    assert store.get(SPEC) is None  # refused by its spec: a miss
    again = store.get_or_run(SPEC)
    assert isinstance(again.extras["model"], dict) and store.get(SPEC) is not None
    old = Verification.of_stored(store, SPEC.key())
    store.put(SPEC, again, 1.0)  # replaced since the verification was asked for
    with pytest.raises(ValueError, match="changed since"):
        old.run()
