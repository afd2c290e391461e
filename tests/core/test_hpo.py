"""Hyperparameter search: reproducibility, batched = alone, narrowing, storage errors, pruning."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import optuna
import pytest

from core import data, hpo
from core.__main__ import main
from core.hpo import HyperSearch, Param

TINY = dict(n_train=100, epochs=2, depth=1, width=16, n_trials=4)
LEARNS = dict(n_train=300, epochs=8, depth=2, width=50, batch_size=20)  # enough to tell rates apart


def tiny(tmp_path, **kw) -> HyperSearch:
    return HyperSearch(**{**TINY, "storage": f"sqlite:///{tmp_path / 'studies.db'}", **kw})


def test_same_seed_same_trials_and_scores(tmp_path):
    spec = tiny(tmp_path)
    first = spec.run().frames["trials"]
    again = spec.run().frames["trials"]  # recomputed from scratch: the study is recreated
    assert len(first) == spec.n_trials
    assert first[["lr", "weight_decay"]].equals(again[["lr", "weight_decay"]])
    np.testing.assert_allclose(first.val_acc, again.val_acc)
    other = dataclasses.replace(spec, seed=1).run().frames["trials"]
    assert not np.allclose(first.lr, other.lr)
    for p in spec.space:
        assert first[p.name].between(p.low, p.high).all()


def test_batched_trials_score_as_each_alone():
    search = HyperSearch(**TINY)
    split = data.make_split(search.n_train, search.val_fraction, 0, search.dataset, search.seed)
    configs = [
        hpo.config(search, {"lr": lr, "weight_decay": wd}) for lr, wd in ((0.05, 1e-4), (0.01, 0.0), (0.2, 1e-3))
    ]
    batched = hpo.evaluate(search, configs, split)
    for cfg, together in zip(configs, batched):
        (alone,) = hpo.evaluate(search, [cfg], split)
        assert together.val_acc == pytest.approx(alone.val_acc, abs=1e-6)
        np.testing.assert_allclose(together.train_curve, alone.train_curve, atol=1e-6)
        assert len(together.val_curve) == search.epochs


def test_trials_with_other_architectures_and_batch_sizes_are_grouped():
    search = HyperSearch(**TINY)
    split = data.make_split(search.n_train, search.val_fraction, 0, search.dataset, search.seed)
    configs = [
        hpo.config(search, {"depth": 2, "batch_size": 25}),
        hpo.config(search, {"width": 25, "optimizer": "adam", "lr": 1e-3}),
        hpo.config(search, {}),
    ]
    outcomes = hpo.evaluate(search, configs, split)
    assert [len(o.val_curve) for o in outcomes] == [search.epochs] * 3
    assert all(0.0 <= o.val_acc <= 1.0 for o in outcomes)


def test_narrowing_contains_the_best_trials_and_is_narrower(tmp_path):
    spec = tiny(tmp_path, n_trials=8)
    trials = spec.run().frames["trials"]
    new = hpo.narrow(trials, spec.space, top_k=3)
    top = trials.sort_values("val_acc", ascending=False).head(3)
    for old, p in zip(spec.space, new):
        assert all(p.contains(v) for v in top[p.name])
        assert p.width() < old.width()
        assert old.low <= p.low <= p.high <= old.high
    choices = Param("optimizer", choices=("sgd", "adam", "momentum"))
    fake = trials.assign(optimizer=["adam"] * len(trials))
    assert hpo.narrow(fake, (choices,), top_k=3)[0].choices == ("adam",)


def test_best_learning_rate_on_a_small_budget_is_sane(tmp_path):
    spec = tiny(tmp_path, **LEARNS, n_trials=12)
    trials = spec.run().frames["trials"]
    best = trials.sort_values("val_acc", ascending=False).iloc[0]
    assert best.val_acc > 0.3  # it learned something, so the ranking means something
    assert best.lr > 1e-4  # SGD with a tinier rate barely moves in a few epochs
    assert best.val_acc > trials.val_acc.min()


def test_pruning_stops_poor_trials_early(tmp_path):
    spec = tiny(tmp_path, **LEARNS, pruner=True, ask_batch=6, n_trials=12)
    trials = spec.run().frames["trials"]
    pruned = trials[trials.state == "pruned"]
    assert len(pruned) > 0
    assert (pruned.epochs < spec.epochs).all()
    assert (trials[trials.state == "complete"].epochs == spec.epochs).all()


def test_final_test_trains_on_train_and_validation(tmp_path):
    final = tiny(tmp_path).final({"lr": 0.05})
    assert dict(final.config)["lr"] == 0.05
    result = final.run()
    assert result.extras["n_train"] == TINY["n_train"]
    assert 0.0 <= result.extras["test_acc"] <= 1.0
    assert result.extras["n_test"] == len(data.load("mnist", "test")[0])


@pytest.mark.parametrize(
    "url, words",
    [
        ("not a url", "not a storage URL"),
        ("sqlite:////no/such/dir/x.db", "cannot open the study storage"),
        ("postgresql://me:secret@127.0.0.1:1/db", "cannot open the study storage"),
        ("journal:", "needs a file"),
    ],
)
def test_bad_storage_gives_a_clear_message(url, words, capsys):
    with pytest.raises(ValueError, match=words) as err:
        hpo.open_storage(url)
    assert "secret" not in str(err.value)
    assert main(["search-worker", "--study", "x", "--storage", url, "--trials", "1"]) == 2
    assert words in capsys.readouterr().err


def test_joining_a_missing_study_names_the_ones_there(tmp_path):
    spec = tiny(tmp_path, study="here")
    hpo.create_study(spec)
    with pytest.raises(ValueError, match="here"):
        hpo.join_study("elsewhere", spec.storage)


@pytest.mark.parametrize(
    "bad",
    [
        dict(space=({"name": "lr", "low": 1e-2, "high": 1e-4, "log": True},)),
        dict(space=({"name": "lr", "low": 0.0, "high": 1e-2, "log": True},)),
        dict(space=({"name": "momentum", "low": 0.5, "high": 0.9},)),
        dict(space=({"name": "width", "choices": [7]},)),
        dict(space=(Param("lr", 1e-3, 1e-2), Param("lr", 1e-3, 1e-2))),
        dict(n_trials=0),
        dict(n_train=2),
        dict(sampler="grid"),
    ],
)
def test_impossible_searches_are_refused(bad):
    with pytest.raises(ValueError):
        HyperSearch(**bad)


def test_spec_survives_a_round_trip_through_json():
    spec = HyperSearch(space=(hpo.DEFAULT_RANGES["optimizer"], hpo.DEFAULT_RANGES["lr"]))
    assert HyperSearch(**spec.to_dict()) == spec
    assert math.isclose(spec.space[1].width(), 4.0)
    assert isinstance(hpo.DEFAULT_RANGES["width"].distribution(), optuna.distributions.CategoricalDistribution)


def test_search_command_prints_the_best_trials_as_json(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["search", "--preset", "quick", "--trials", "3", "--top", "2", "--storage", url, "--json"]
    assert main([*args, "--epochs", "1", "--n-train", "60", "--depth", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trials"] == 3 and len(out["best"]) == 2
    assert out["best"][0]["val_acc"] >= out["best"][1]["val_acc"]
    assert out["study"] in hpo.study_names(url)


def test_reading_a_study_gives_its_trials_and_ranges_or_none(tmp_path):
    """What a page watching a study reads: the finished trials and the searched ranges, from a
    URL or an open storage; None (not an error) for a study that is not there."""
    spec = tiny(tmp_path, n_trials=2, study="watched", space=(hpo.DEFAULT_RANGES["optimizer"],))
    spec.run()
    storage = hpo.open_storage(spec.storage)
    for where in (spec.storage, storage):
        frames, space = hpo.read_study("watched", where)
        assert len(frames["trials"]) == 2 and space == spec.space
        assert "watched" in hpo.study_names(where)
        assert hpo.read_study("elsewhere", where) is None


def test_trial_params_are_plain_values_a_final_test_accepts(tmp_path):
    spec = tiny(tmp_path, n_trials=2, space=(hpo.DEFAULT_RANGES["lr"], hpo.DEFAULT_RANGES["width"]))
    trials = spec.run().frames["trials"]
    params = hpo.trial_params(trials.iloc[0], spec.space)
    assert set(params) == {"lr", "width"}
    assert type(params["lr"]) is float and type(params["width"]) is int
    final = spec.final(params)
    assert json.loads(json.dumps(final.to_dict()))["config"]  # storable as the store keeps specs
    assert dict(final.config)["width"] == params["width"]
