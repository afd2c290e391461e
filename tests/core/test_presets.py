"""The course presets ship with the repository (`assets/presets.json.gz`, written by
`python -m core warm --ship`): the file holds every preset of the current result format, a
fresh store gets them all, and a recomputation of some of them gives the shipped numbers."""

import gzip
import json

import pytest

from core import device, exchange, presets
from core.spec import FORMAT, Spec
from core.store import Store
from core.verify import differences

CHEAP = [
    ("init-histograms", "book-sigmoid-std1"),
    ("grad-clipping", "quick"),
    ("early-stopping", "tiny"),
    ("batchnorm-grid", "quick"),
]


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads(gzip.decompress(presets.SHIPPED.read_bytes()))


@pytest.fixture(scope="module")
def results() -> dict:
    """Every shipped run, checked as an import checks it, by key."""
    return {spec.key(): result for spec, _, result in exchange.parse(gzip.decompress(presets.SHIPPED.read_bytes()))}


def test_the_file_holds_every_preset_of_this_result_format(shipped):
    assert shipped["format"] == FORMAT, "run `python -m core warm --ship` after changing the result format"
    keys = {run["key"] for run in shipped["runs"]}
    assert keys == {s.key() for s in presets.every_preset()}, "run `python -m core warm --ship` after changing presets"


def test_a_fresh_store_gets_them_all_as_its_own(tmp_path):
    store = Store(tmp_path / "fresh.sqlite")
    assert presets.load_shipped(store) == len(presets.every_preset())
    assert store.entries()["imported"].eq(0).all() and store.entries()["complete"].eq(1).all()
    assert presets.load_shipped(store) == 0  # already there: nothing is read again


@pytest.mark.parametrize(("kind", "name"), CHEAP)
def test_recomputing_a_preset_gives_the_shipped_numbers(results, kind, name):
    spec = Spec.registry[kind].presets()[name]
    with device.using("cpu"):  # where the shipped presets were computed
        assert differences(results[spec.key()], spec.run()) == []
