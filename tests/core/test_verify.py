"""Imported runs: a damaged network is refused on import, every imported run is marked as such,
and `verify` computes a run again and exposes numbers that were edited by hand."""

import json

import pytest

from core import exchange, runs
from core.__main__ import main
from core.experiments.mnist_lab import MnistLab
from core.store import Store

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
