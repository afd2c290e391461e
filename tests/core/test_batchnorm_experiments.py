"""The batch norm experiments on tiny settings: the reduced book grid, the placement and
learning-rate comparison with its histograms, tiny batches at inference, and the CLI."""

import json

import numpy as np
import pytest

from core.__main__ import main
from core.experiments.batchnorm import BatchNormComparison, BatchNormGrid, BatchNormInference


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
    before = stats[(stats.variant == "BN before activation") & (stats.epoch == 0)]
    # with BN before the activation, the activation sees normalized inputs (gamma 1, beta 0)
    np.testing.assert_allclose(before["mean"], 0.0, atol=1e-5)
    np.testing.assert_allclose(before["std"], 1.0, atol=1e-3)
    acc = result.frames["accuracy"]
    assert set(acc["metric"]) == {"train_acc", "test_acc"}


def test_comparison_validates():
    with pytest.raises(ValueError):
        BatchNormComparison(placements=("sideways",))
    with pytest.raises(ValueError):
        BatchNormComparison(lrs=(0.1, 0.1))


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
