"""MNIST lab: a tiny run trains, stores, reloads and predicts the same probabilities; early
stopping keeps the best weights; the checkpoint holds no pickle and rebuilds the same network."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from core import checkpoint, data, device, models
from core.experiments.mnist_lab import MnistLab, confidently_wrong, ending, epochs_of, layer_table
from core.nets import BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec
from core.store import Store

TINY = dict(n_train=300, n_test=200, epochs=2, batch_size=50, val_fraction=0.2)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("lab") / "results.sqlite")
    spec = MnistLab(**TINY, batchnorm=True, dropout=0.1)
    result = store.get_or_run(spec)
    return store, spec, result


def test_run_stores_and_reloads_same_probabilities(stored):
    store, spec, result = stored
    reloaded = store.load(spec.key())
    assert reloaded is not None and reloaded.complete
    model = models.network(spec, reloaded)
    x, y = data.subset(spec.n_test, spec.dataset, "test", spec.seed)
    probs = checkpoint.probabilities(model, x)
    pred = result.frames["predictions"]
    # p_pred was computed from the in-memory network before it was packed and stored
    np.testing.assert_allclose(probs[np.arange(len(y)), pred["pred"]], pred["p_pred"], rtol=1e-6, atol=1e-7)
    assert (probs.argmax(1) == pred["pred"].to_numpy()).all()
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)


def test_test_metrics_match_an_independent_count(stored):
    store, spec, result = stored
    model = models.network(spec, result)
    x, y = data.subset(spec.n_test, spec.dataset, "test", spec.seed)
    logits = model(x.to(model.flat.device))[0].cpu()
    assert result.extras["test_loss"] == pytest.approx(torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-4)
    assert result.extras["test_acc"] == pytest.approx((logits.argmax(1) == y).float().mean().item())
    conf = result.frames["confusion"].pivot(index="true", columns="pred", values="count")
    expected = pd.crosstab(pd.Series(y.numpy()), pd.Series(logits.argmax(1).numpy())).reindex(
        index=range(10), columns=range(10), fill_value=0
    )
    assert (conf.to_numpy() == expected.to_numpy()).all()
    per_class = result.frames["per_class"]
    assert per_class["n"].sum() == spec.n_test
    wrong = confidently_wrong(result.frames["predictions"], 5)
    assert (wrong["pred"] != wrong["true"]).all() and wrong["p_pred"].is_monotonic_decreasing


def test_curves_are_per_epoch_for_train_and_validation(stored):
    _, spec, result = stored
    curves = result.frames["curves"]
    for metric in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert sorted(curves[curves.metric == metric]["epoch"]) == [1.0, 2.0]
    assert result.extras["n_val"] == 60 and result.extras["n_train"] == 240
    epochs = epochs_of(result)
    assert set(epochs["split"]) == {"train", "validation"} and set(epochs["kind"]) == {"loss", "acc"}
    val_loss = epochs.query("split == 'validation' and kind == 'loss'").set_index("epoch")["value"]
    assert val_loss.to_dict() == curves.query("metric == 'val_loss'").set_index("epoch")["value"].to_dict()


def test_checkpoint_is_json_and_rebuilds_batchnorm_statistics():
    net = NetSpec((784, 20, 10), "relu", batchnorm=True)
    model = BatchedMLP([net], [3])
    model.flatten()
    x = torch.rand(64, 784)
    model(x)  # training-mode pass moves the running statistics away from 0 and 1
    doc = json.loads(json.dumps(checkpoint.pack(model)))
    with device.using("cpu"):  # unpacking puts the network on the current device
        again = checkpoint.unpack(doc)
    model.eval()
    assert torch.equal(model(x), again(x))
    assert not torch.allclose(again.mean0, torch.zeros_like(again.mean0))


def test_checkpoint_rejects_a_mismatched_network():
    small = BatchedMLP([NetSpec((784, 5, 10))], [0])
    small.flatten()
    doc = checkpoint.pack(small)
    doc["net"]["sizes"] = [784, 6, 10]
    with pytest.raises(ValueError, match="numbers"):
        checkpoint.unpack(doc)


def test_early_stopping_keeps_the_best_weights():
    spec = MnistLab(
        n_train=200, n_test=50, epochs=40, batch_size=20, patience=2, optimizer=OptimizerSpec.of("adam", lr=0.01)
    )
    result = spec.run()
    e = result.extras
    assert e["early_stopped"] and result.complete and ending(e) == "early_stopped"
    val = result.frames["curves"].query("metric == 'val_loss'").set_index("epoch")["value"]
    assert e["epochs_run"] < spec.epochs and e["epochs_run"] == val.index.max()
    assert e["best_epoch"] == val.idxmin() and e["epochs_run"] == e["best_epoch"] + spec.patience
    split = data.make_split(spec.n_train, spec.val_fraction, 0, spec.dataset, spec.seed)
    model = models.network(spec, result)
    logits = model(split.x_val.to(model.flat.device))[0].cpu()
    kept = torch.nn.functional.cross_entropy(logits, split.y_val).item()
    assert kept == pytest.approx(val.min(), rel=1e-5)


def test_stopping_by_hand_keeps_a_partial_model():
    calls = iter(range(10**6))
    result = MnistLab(**TINY).run(stop=lambda: next(calls) >= 3)
    assert not result.complete
    assert result.frames["curves"].query("metric == 'loss'")["step"].max() == 3
    assert checkpoint.unpack(result.extras["model"]).sizes == (784, 100, 100, 10)


def test_divergence_is_reported():
    spec = MnistLab(**TINY, optimizer=OptimizerSpec.of("sgd", lr=10.0), init="normal", activation="linear")
    result = spec.run()
    assert result.extras["diverged_at"] is not None
    assert result.complete and ending(result.extras) == "diverged"
    assert ending(MnistLab(**TINY).run().extras) is None


@pytest.mark.parametrize(
    "bad",
    [
        dict(epochs=0),
        dict(hidden=(0,)),
        dict(hidden=(10,) * 11),
        dict(patience=3, val_fraction=0.0),
        dict(val_fraction=1.0),
        dict(dataset="cifar"),
        dict(dropout=1.0),
        dict(l2=-1.0),
        dict(schedule="sometimes"),
        dict(final_lr_factor=0.0),
    ],
)
def test_impossible_settings_are_refused(bad):
    with pytest.raises(ValueError):
        MnistLab(**bad)


def test_spec_round_trips_through_json():
    spec = MnistLab(optimizer=OptimizerSpec.of("momentum", lr=0.1, momentum=0.9), hidden=(128, 64))
    again = MnistLab(**json.loads(json.dumps(spec.to_dict())))
    assert again == spec and again.key() == spec.key()


def test_layer_table_counts_the_same_parameters_as_the_net():
    for net in (NetSpec((784, 30, 20, 10), batchnorm=True, dropout=0.2), NetSpec((784, 8, 10), "prelu")):
        assert layer_table(net)["params"].sum() == net.n_params()
    assert math.isclose(layer_table(NetSpec((784, 10)))["params"].sum(), 7850)


def test_layer_table_names_kinds_not_display_text():
    """The page names each layer in the reader's language, from the kind and its details."""
    table = layer_table(NetSpec((784, 30, 10), "tanh", batchnorm=True, dropout=0.2))
    assert table["layer"].tolist() == ["input", "dense", "batchnorm", "activation", "dropout", "dense", "softmax"]
    assert table.loc[table["layer"] == "activation", "activation"].tolist() == ["tanh"]
    assert table.loc[table["layer"] == "dropout", "rate"].tolist() == [0.2]


def test_saved_models_list_the_lab_runs_of_a_store(stored):
    """The registry the page picks models from: the store's lab runs with their settings and
    test accuracy; settings this code cannot read still list (as unreadable), other kinds do not."""
    store, spec, result = stored
    entries = store.entries()
    forged = pd.DataFrame([{**entries.iloc[0].to_dict(), "key": "f" * 32, "spec": '{"epochs": "many"}'}])
    other = pd.DataFrame([{**entries.iloc[0].to_dict(), "key": "e" * 32, "kind": "optimizer-comparison"}])
    found = models.saved(pd.concat([entries, forged, other]), lambda key, created: store.load(key))
    assert [m.key for m in found] == [spec.key(), "f" * 32]
    assert found[0].spec == spec and found[0].test_acc == result.extras["test_acc"] and found[0].complete
    assert found[1].spec is None and found[1].test_acc is None


def test_a_network_is_given_only_after_its_spec_checks_the_result(stored):
    _, spec, result = stored
    assert models.network(spec, result).specs[0] == spec.net()
    with pytest.raises(ValueError, match="not the one"):
        models.network(MnistLab(**TINY), result)  # another spec's settings: no batch norm, no dropout
    with pytest.raises(ValueError, match="no trained model"):
        models.network(spec, None)


def test_a_schedule_scales_the_rate_over_the_whole_run():
    spec = MnistLab(**TINY, schedule="step", final_lr_factor=0.001)
    steps = spec.epochs * 5  # 240 training images in batches of 50
    schedule = spec.lr_schedule(steps)
    assert schedule.factor(1, steps) == 1.0 and schedule.factor(steps, steps) == pytest.approx(0.001)
    assert MnistLab(**TINY).lr_schedule(steps) is None
    slow = spec.run().frames["curves"].query("metric == 'loss'")["value"].to_numpy()
    plain = MnistLab(**TINY).run().frames["curves"].query("metric == 'loss'")["value"].to_numpy()
    assert slow[0] == plain[0] and not np.allclose(slow[-3:], plain[-3:])


def test_fashion_mnist_runs_with_its_class_names():
    result = MnistLab(**TINY, dataset="fashion", hidden=(8,)).run()
    assert result.extras["class_names"][9] == "Ankle boot"
    assert result.frames["per_class"]["n"].sum() == TINY["n_test"]
