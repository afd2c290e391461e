"""Hyperparameter search: reproducibility, batched = alone, a network per trial, narrowing that never
collapses, the facts behind the page's lessons, storage errors, pruning."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import optuna
import pandas as pd
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
    batched = hpo.evaluate(search, configs, split, numbers=[4, 5, 6])
    for number, cfg, together in zip([4, 5, 6], configs, batched):
        (alone,) = hpo.evaluate(search, [cfg], split, numbers=[number])
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


def test_each_trial_starts_from_its_own_weights():
    """The book builds a new network per trial: two trials with the same settings but other
    numbers score differently, the same number scores the same (a round is reproducible)."""
    search = HyperSearch(**TINY)
    split = data.make_split(search.n_train, search.val_fraction, 0, search.dataset, search.seed)
    cfg = hpo.config(search, {"lr": 1e-7})  # learns nothing: what it scores is its starting point
    first, other, again = hpo.evaluate(search, [cfg] * 3, split, numbers=[0, 1, 0])
    assert first.val_curve == again.val_curve
    assert first.val_curve != other.val_curve
    assert hpo.trial_seed(0, 1) != hpo.trial_seed(1, 0)


def test_narrowing_contains_the_best_trials_and_is_narrower(tmp_path):
    spec = tiny(tmp_path, n_trials=8)
    trials = spec.run().frames["trials"]
    new = hpo.narrow(trials, spec.space, top_k=3)
    top = hpo.ranked(trials).head(3)
    assert new.k == 3
    for old, p in zip(spec.space, new.space):
        assert all(p.contains(v) for v in top[p.name])
        assert p.width() < old.width()
        assert old.low <= p.low <= p.high <= old.high
    choices = Param("optimizer", choices=("sgd", "adam", "momentum"))
    fake = trials.assign(optimizer=["adam"] * 3 + ["momentum"] * (len(trials) - 3))
    fake = fake.assign(val_acc=[0.9, 0.8, 0.7] + [0.1] * (len(trials) - 3))
    narrowed = hpo.narrow(fake, (choices,), top_k=3)
    assert narrowed.space[0].choices == ("adam", "momentum") and narrowed.widened == ("optimizer",)


def fake_trials(lr, acc, wd=None) -> pd.DataFrame:
    n = len(lr)
    wd = [1e-6] * n if wd is None else wd
    return pd.DataFrame({"trial": range(n), "lr": lr, "weight_decay": wd, "val_acc": acc, "state": ["complete"] * n})


def test_narrowing_never_proposes_an_empty_range():
    """With 12 trials the best one alone made a zero-width range and 12 identical trials: now k is
    at least MIN_TOP_K and every range keeps a minimum width, and the proposal says so."""
    trials = fake_trials([3e-3] * 4 + [1e-5 * (i + 1) for i in range(8)], [0.9, 0.85, 0.8, 0.75] + [0.1] * 8)
    wide = Param("lr", 1e-6, 1e-2, log=True)
    n = hpo.narrow(trials.assign(depth=3), (wide, Param("depth", 1, 10, integer=True)), top_k=1)
    assert n.k == hpo.MIN_TOP_K and n.asked_k == 1
    lr, depth = n.space
    assert lr.width() == pytest.approx(hpo.MIN_DECADES) and lr.contains(3e-3)
    assert depth.high > depth.low
    assert n.widened == ("lr", "depth")
    edge = hpo.narrow(fake_trials([1e-2] * 3, [0.9] * 3), (wide,)).space[0]  # at the range's end: shifted inside
    assert edge.high == pytest.approx(1e-2) and edge.width() == pytest.approx(hpo.MIN_DECADES)
    tiny_range = Param("lr", 1e-3, 2e-3, log=True)  # narrower than the minimum already: kept as it is
    assert hpo.narrow(fake_trials([1.5e-3] * 3, [0.9] * 3), (tiny_range,)).space[0] == tiny_range


def test_facts_say_when_the_textbook_expectation_fails():
    """Good rates spread over the whole range, weight decay explaining more than the rate, and
    dead trials with rates as large as the good ones: each named, with the run's numbers."""
    lr = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 3e-6, 3e-5, 3e-4, 3e-3, 5e-3]
    wd = [1e-8, 1e-8, 1e-8, 1e-8, 1e-8, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4]
    acc = [0.8, 0.82, 0.79, 0.81, 0.83, 0.12, 0.1, 0.11, 0.13, 0.09]
    search = HyperSearch(n_trials=10)
    facts = hpo.search_facts(fake_trials(lr, acc, wd), search)
    assert facts.learned and facts.best_trial == 4 and facts.best_acc == 0.83 and facts.planned == 10
    assert facts.good == 3
    band = facts.band("lr")
    assert (band.low, band.high) == (1e-5, 1e-2) and band.share == pytest.approx(0.75) and not band.narrow
    assert facts.lr_leads is False and facts.band("weight_decay").influence > band.influence
    assert facts.dead == 5 and facts.dead_in_band == 4  # all but 3e-6 lie among the good rates (1e-5 to 1e-2)
    assert band.book is None  # 10 trials are not the book's round


def test_facts_confirm_the_textbook_when_it_holds():
    lr = np.geomspace(1e-6, 1e-2, 12)
    acc = [0.1] * 8 + [0.5, 0.8, 0.85, 0.3]
    facts = hpo.search_facts(fake_trials(lr, acc), HyperSearch())
    band = facts.band("lr")
    assert band.narrow and band.low == lr[8] and band.high == lr[10]
    assert facts.dead_in_band == 0 and facts.lr_leads is True and facts.dead == 8
    assert band.book == hpo.BOOK_BANDS["lr"]  # the book's settings: its printed band goes beside
    assert facts.finished == 12 and facts.planned == 100


def test_facts_of_a_round_where_nothing_learned():
    facts = hpo.search_facts(fake_trials([1e-6, 1e-5, 1e-4], [0.11, 0.09, 0.1]), HyperSearch(n_trials=3))
    assert not facts.learned and facts.best_acc == 0.11 and facts.best_trial == 0
    assert hpo.search_facts(fake_trials([], []), HyperSearch()) is None


def test_rounds_and_final_facts():
    first, later = fake_trials([1e-3] * 3, [0.2, 0.5, 0.9]), fake_trials([1e-3] * 3, [0.1, 0.3, 0.8])
    facts = hpo.rounds_facts([first, later])
    assert not facts.expected and (facts.first_median, facts.last_median) == (0.5, 0.3)
    assert hpo.rounds_facts([later, first]).expected and hpo.rounds_facts([first]) is None
    near = hpo.FinalFacts(val_acc=0.9, test_acc=0.88, n_val=100, n_test=10_000)
    assert near.noise == pytest.approx(0.03) and near.within_noise and near.gap == pytest.approx(-0.02)
    assert not hpo.FinalFacts(0.9, 0.8, 100, 10_000).within_noise


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


def test_a_stopped_round_keeps_the_batches_that_finished(tmp_path):
    """Trials trained together finish together: stopping in the second batch keeps the first."""
    spec = tiny(tmp_path, ask_batch=2, epochs=1)  # 80 training images, batch 100: one step a batch
    calls = iter(range(100))
    result = spec.run(stop=lambda: next(calls) >= 1)
    assert not result.complete
    assert sorted(result.frames["trials"].trial) == [0, 1]


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
