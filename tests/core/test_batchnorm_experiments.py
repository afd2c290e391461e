"""The batch norm experiments on tiny settings: the reduced book grid, the placement and
learning-rate comparison with its histograms, tiny batches at inference, and the CLI."""

import json

import numpy as np
import pytest

from core.__main__ import main
from core.experiments.batchnorm import BatchNormComparison, BatchNormGrid, BatchNormInference
from core.nets import recommended_init


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
