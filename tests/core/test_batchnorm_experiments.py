"""The batch norm experiments on tiny settings: the reduced book grid, the placement and
learning-rate comparison with its histograms, tiny batches at inference, and the CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main
from core.experiments.batchnorm import (
    BOOK_EPS,
    BOOK_SCALES,
    SQUASHED,
    BatchNormComparison,
    BatchNormGrid,
    BatchNormInference,
    comparison_facts,
    grid_facts,
    inference_facts,
)
from core.nets import recommended_init
from core.spec import Result


def test_reduced_grid_bn_beats_no_bn_at_the_extreme_scales():
    spec = BatchNormGrid(scales=(1.0, 0.001), n_train=400, batch_size=20, epochs=4)
    result = spec.run()
    acc = result.frames["accuracy"]
    assert sorted(acc["epoch"].unique()) == list(range(5))  # epoch 0 and one point per epoch
    summary = spec.summary(result)
    for scale in ("1", "0.001"):
        row = summary[scale]
        without = row["without_bn_train_acc"] or 0.0  # a diverged net counts as learning nothing
        assert row["with_bn_train_acc"] > without + 0.1


def test_grid_variants_are_keyed_not_named():
    """Ids are unique and language-neutral; `bn` and `scale` say what varies, in every frame."""
    spec = BatchNormGrid(scales=(1.0, 0.01), n_train=100, epochs=1)
    variants = spec.variants()
    assert [v.name for v in variants] == ["bn@1", "bn@0.01", "plain@1", "plain@0.01"]
    assert [v.keys for v in variants][1] == {"bn": True, "scale": 0.01}
    result = spec.run()
    for frame in ("accuracy", "summary"):  # curves may lack a net that blew up at once
        df = result.frames[frame]
        assert set(zip(df["bn"], df["scale"])) == {(True, 1.0), (True, 0.01), (False, 1.0), (False, 0.01)}
    assert {"variant", "bn", "scale"} <= set(result.frames["curves"].columns)
    s = result.frames["summary"]
    assert (s["final_acc"].isna() == s["diverged_epoch"].notna()).all()  # a diverged net has no final accuracy


def test_grid_validates():
    with pytest.raises(ValueError):
        BatchNormGrid(scales=())
    with pytest.raises(ValueError):
        BatchNormGrid(scales=(0.1, 0.1))
    with pytest.raises(ValueError):
        BatchNormGrid(lr=0)


def test_comparison_records_histograms_per_layer_and_epoch():
    spec = BatchNormComparison(
        placements=("none", "before", "after"), lrs=(0.1,), hidden=(16, 16), n_train=200, n_test=100, epochs=2, bins=8
    )
    result = spec.run()
    hist = result.frames["histograms"]
    assert set(hist["layer"]) == {1, 2} and set(hist["epoch"]) == {0, 1, 2}
    assert hist["variant"].nunique() == 3
    sums = hist.groupby(["variant", "layer", "epoch"])["fraction"].sum()
    np.testing.assert_allclose(sums, 1.0)
    stats = result.frames["layer_stats"]
    before = stats[(stats.placement == "before") & (stats.epoch == 0)]
    # with BN before the activation, the activation sees normalized inputs (gamma 1, beta 0)
    np.testing.assert_allclose(before["mean"], 0.0, atol=1e-5)
    np.testing.assert_allclose(before["std"], 1.0, atol=1e-3)
    acc = result.frames["accuracy"]
    assert set(acc["metric"]) == {"train_acc", "test_acc"}
    for frame in ("accuracy", "summary", "histograms", "layer_stats"):
        keyed = result.frames[frame].drop_duplicates("variant").set_index("variant")
        assert keyed.loc["after@0.1", "placement"] == "after" and keyed.loc["none@0.1", "bn"] == False  # noqa: E712
        assert keyed.loc["before@0.1", "lr"] == 0.1


def test_comparison_validates():
    with pytest.raises(ValueError):
        BatchNormComparison(placements=("sideways",))
    with pytest.raises(ValueError):
        BatchNormComparison(lrs=(0.1, 0.1))
    with pytest.raises(ValueError):  # the same id twice
        BatchNormComparison(lrs=(0.1, 0.1000000001))


def test_deep_sigmoid_preset_uses_the_recommended_init():
    deep = BatchNormComparison.presets()["deep_sigmoid"]
    assert deep.init == recommended_init(deep.activation) == "xavier"


def test_tiny_batches_need_running_statistics():
    spec = BatchNormInference(hidden=(32,), n_train=500, n_test=200, epochs=2, eval_batches=(1, 50))
    df = spec.run().frames["by_batch"].set_index(["batch_size", "statistics"])["accuracy"]
    assert df[(1, "running")] == pytest.approx(df[(50, "running")])  # eval mode ignores the batch
    assert df[(1, "batch")] < df[(1, "running")] - 0.3  # batch of one: every image looks the same


def test_cli_prints_final_accuracy_per_scale(capsys):
    argv = ["run", "batchnorm-grid", "--preset", "book", "--json", "--scales", "1,0.01", "--epochs", "1"]
    assert main([*argv, "--n_train", "200"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"1", "0.01"}
    assert {"with_bn_train_acc", "without_bn_train_acc"} <= set(out["0.01"])


def grid_result(bn_acc: list[float], plain_acc: list[float], scales: tuple[float, ...]) -> Result:
    """A grid result with these final training accuracies (one epoch, none diverged)."""
    rows = [(bn, s, a) for bn, accs in ((True, bn_acc), (False, plain_acc)) for s, a in zip(scales, accs)]
    summary = pd.DataFrame(rows, columns=["bn", "scale", "final_acc"]).assign(diverged_epoch=np.nan, start_spread=1.0)
    accuracy = summary.assign(epoch=1, train_acc=summary["final_acc"])[["bn", "scale", "epoch", "train_acc"]]
    return Result({"summary": summary, "accuracy": accuracy})


def test_grid_facts_count_the_panels_and_say_when_the_book_fails():
    scales = (1.0, 0.1, 0.01)
    spec = BatchNormGrid(scales=scales)
    facts = grid_facts(spec, grid_result([0.9, 0.91, 0.3], [0.1, 0.9, 0.2], scales))
    assert facts.case == "expected" and facts.bn_learned == (1.0, 0.1) and facts.plain_learned == (0.1,)
    assert facts.bn_ahead == (1.0, 0.01) and not facts.book
    facts = grid_facts(spec, grid_result([0.2, 0.6, 0.1], [0.7, 0.9, 0.1], scales))  # the plain net does better
    assert facts.case == "plain_as_good" and facts.bn_learned == (0.1,) and len(facts.plain_learned) == 2
    assert grid_facts(spec, grid_result([0.2] * 3, [0.1] * 3, scales)).case == "none_learned"
    small = BatchNormGrid(scales=scales, batch_size=4)
    assert grid_facts(small, grid_result([0.2] * 3, [0.6] * 3, scales)).case == "small_batch"
    assert grid_facts(BatchNormGrid.presets()["book"], grid_result([0.9] * 16, [0.1] * 16, BOOK_SCALES)).book


def test_grid_with_a_batch_of_one_cannot_learn_with_bn():
    """A batch of one normalizes every unit to 0: BN learns nothing, and the facts say why."""
    spec = BatchNormGrid(scales=(0.05,), n_train=12, batch_size=1, epochs=1)
    facts = grid_facts(spec, spec.run())
    assert facts.case == "batch_one" and facts.bn_learned == () and facts.steps == 12


def test_grid_uses_its_epsilon_and_measures_what_it_squashes():
    assert BatchNormGrid().eps == BOOK_EPS == 1e-6  # the book's code: 10e-7
    spec = BatchNormGrid(scales=(1.0, 1e-4), n_train=100, epochs=1, eps=1e-3)
    assert {v.net.bn_eps for v in spec.variants()} == {1e-3}
    result = spec.run()
    spread = result.frames["summary"].set_index("variant")["start_spread"]
    assert spread["bn@1"] > 0.99 and spread["bn@0.0001"] < SQUASHED and np.isnan(spread["plain@1"])
    assert grid_facts(spec, result).squashed == (1e-4,)
    with pytest.raises(ValueError):
        BatchNormGrid(eps=0)


def comparison_result(accs: dict[str, float], diverged: dict[str, int] | None = None) -> Result:
    """A comparison result with these final accuracies by variant id `placement@lr`."""
    diverged = diverged or {}
    rows = [
        {
            "variant": v,
            "placement": v.split("@")[0],
            "bn": not v.startswith("none"),
            "lr": float(v.split("@")[1]),
            "train_acc": a,
            "test_acc": a - 0.01,
            "diverged_at": diverged.get(v),
        }
        for v, a in accs.items()
    ]
    summary = pd.DataFrame(rows)
    summary["diverged_at"] = pd.array(summary["diverged_at"], dtype="Int64")
    return Result({"summary": summary, "layer_stats": summary[["variant", "placement"]].assign(std=1.0)})


def test_comparison_facts_say_when_bn_is_not_ahead():
    facts = comparison_facts(comparison_result({"none@0.1": 0.9, "before@0.1": 0.85}), "train_acc")
    assert facts.case == "plain_as_good" and facts.plain_ahead == (0.1,) and facts.bn_ahead == ()
    facts = comparison_facts(comparison_result({"none@1": 0.9, "before@1": 0.95}, {"none@1": 40}), "test_acc")
    assert facts.case == "expected" and facts.bn_ahead == (1.0,) and facts.stuck == ("none@1",)
    assert [f.acc for f in facts.finals] == [None, pytest.approx(0.94)]
    assert comparison_facts(comparison_result({"before@1": 0.9}), "train_acc").case == "no_pair"


def test_comparison_facts_find_the_steadiest_placement():
    result = comparison_result({"none@0.1": 0.9, "before@0.1": 0.9, "after@0.1": 0.9})
    placements = ["none", "none", "before", "before", "after", "after"]
    result.frames["layer_stats"] = pd.DataFrame({"placement": placements, "std": [0.5, 8.0, 0.9, 1.2, 1.0, 3.0]})
    facts = comparison_facts(result, "train_acc")
    assert facts.spread["before"] == (0.9, 1.2) and facts.steadiest == "before"
    result.frames["layer_stats"]["std"] = [0.5, 0.6, 0.2, 3.0, 1.0, 3.0]  # BN before drifted most
    assert comparison_facts(result, "train_acc").steadiest == "none"


def test_inference_facts_quote_both_statistics():
    df = pd.DataFrame(
        [(1, "batch", 0.1), (1, "running", 0.9), (64, "batch", 0.85), (64, "running", 0.9)],
        columns=["batch_size", "statistics", "accuracy"],
    )
    facts = inference_facts(Result({"by_batch": df}))
    assert (facts.smallest, facts.largest, facts.batch_small, facts.batch_large) == (1, 64, 0.1, 0.85)
    assert facts.running == (0.9, 0.9) and facts.running_same
