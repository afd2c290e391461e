"""Lockstep batched training equals training each variant alone with torch.nn and torch.optim."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from core import data
from core.nets import BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec
from core.spec import Phase
from core.train import Variant, backward_cross_entropy, batch_order, fit, per_variant_loss, smooth, train, with_keys

SIZES = (784, 32, 16, 10)


@pytest.fixture(scope="module")
def mnist_small():
    return data.subset(256, "mnist", "train", seed=1)


def torch_alone(variant: Variant, x, y, batch_size, steps, seed):
    """One variant the plain way: nn.Linear layers, torch.optim, the same batches and initial weights."""
    ref = BatchedMLP([variant.net], [seed]).double()
    layers = []
    for i in range(len(SIZES) - 1):
        lin = torch.nn.Linear(SIZES[i], SIZES[i + 1]).double()
        with torch.no_grad():
            lin.weight.copy_(getattr(ref, f"W{i}")[0].T)
            lin.bias.zero_()
        layers.append(lin)
        if i < len(SIZES) - 2:
            layers.append(torch.nn.Tanh() if variant.net.activation == "tanh" else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    hp = variant.optimizer.hp
    opt = {
        "sgd": lambda p: torch.optim.SGD(p, lr=hp["lr"]),
        "momentum": lambda p: torch.optim.SGD(p, lr=hp["lr"], momentum=hp["momentum"]),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=hp["lr"], eps=hp["eps"]),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=hp["lr"], alpha=hp["rho"], eps=hp["eps"]),
        "adam": lambda p: torch.optim.Adam(p, lr=hp["lr"], eps=hp["eps"]),
    }[variant.optimizer.method](model.parameters())
    xd = x.double()
    for idx in batch_order(len(x), batch_size, steps, seed):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xd[idx]), y[idx]).backward()
        opt.step()
    return [lin.weight.detach().T for lin in layers if isinstance(lin, torch.nn.Linear)]


def variant_weights(run, k):
    for g in run.groups:
        if k in g.indices:
            j = g.indices.index(k)
            return [W[j].detach().cpu() for W in g.model.weights()]  # the references run on the CPU
    raise KeyError(k)


def test_batched_lockstep_equals_each_variant_alone(mnist_small):
    x, y = mnist_small
    net = NetSpec(SIZES, "relu", "he_normal")
    variants = [
        Variant("sgd", net, OptimizerSpec.of("sgd", lr=0.1)),
        Variant("adam", net, OptimizerSpec.of("adam", lr=0.002)),
        Variant("momentum", net, OptimizerSpec.of("momentum", lr=0.05)),
        Variant("sgd-slow", net, OptimizerSpec.of("sgd", lr=0.01)),  # same method, other rate: a [k, 1] tensor
        Variant("adagrad", net, OptimizerSpec.of("adagrad", lr=0.05)),
        Variant("rmsprop-tanh", NetSpec(SIZES, "tanh", "xavier"), OptimizerSpec.of("rmsprop", lr=0.001)),
    ]
    run = train(variants, x, y, batch_size=32, steps=25, seed=3, dtype=torch.float64)
    for k, v in enumerate(variants):
        ours = variant_weights(run, k)
        ref = torch_alone(v, x, y, 32, 25, 3)
        for a, b in zip(ours, ref, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-9)


def test_backward_from_the_logits_equals_autograd_through_the_loss():
    """Training starts backward at (softmax - one_hot) / B. Live variants must get autograd's
    gradient of their mean cross-entropy; a stopped, a diverged and a NaN variant get zero."""
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(5, 16, 10, generator=gen, dtype=torch.float64) * 3
    z[2] *= 1e5  # a loss in the tens of thousands: diverged
    z[3, 0, 0] = math.nan
    y = torch.randint(0, 10, (16,), generator=gen)
    running = torch.tensor([True, False, True, True, True])
    logits = z.clone().requires_grad_()
    loss, alive = backward_cross_entropy(logits, y, running)
    torch.testing.assert_close(loss, per_variant_loss(z, y), rtol=1e-12, atol=1e-12, equal_nan=True)
    assert alive.tolist() == [True, False, False, False, True]
    for k in range(5):
        ref = z.clone().requires_grad_()
        per_variant_loss(ref, y)[k].backward()
        expected = ref.grad[k] if alive[k] else torch.zeros_like(ref.grad[k])
        torch.testing.assert_close(logits.grad[k], expected, rtol=1e-12, atol=1e-12)


def test_same_init_means_identical_starting_weights():
    net = NetSpec(SIZES, "relu", "he_normal")
    m = BatchedMLP([net, net, NetSpec(SIZES, "relu", "xavier")], [0, 0, 0])
    assert torch.equal(m.W0[0], m.W0[1])
    assert not torch.equal(m.W0[0], m.W0[2])


def test_divergence_marks_only_the_diverging_variant(mnist_small):
    x, y = mnist_small
    net = NetSpec(SIZES, "linear", "he_normal")  # nothing bounds a linear net: lr 10 must blow up
    calm = Variant("calm", net, OptimizerSpec.of("sgd", lr=0.01))
    wild = Variant("wild", net, OptimizerSpec.of("sgd", lr=10.0))
    together = train([calm, wild], x, y, batch_size=32, steps=40, seed=0)
    alone = train([calm], x, y, batch_size=32, steps=40, seed=0)
    s = together.summary.set_index("variant")
    assert 1 <= s.loc["wild", "diverged_at"] <= 40
    assert pd.isna(s.loc["calm", "diverged_at"])
    calm_loss = together.curves.query("variant == 'calm' and metric == 'loss'")["value"].to_numpy()
    alone_loss = alone.curves.query("variant == 'calm' and metric == 'loss'")["value"].to_numpy()
    np.testing.assert_allclose(calm_loss, alone_loss, rtol=1e-5)
    wild_rows = together.curves.query("variant == 'wild' and metric == 'loss'")
    assert len(wild_rows) < 40 and np.isfinite(wild_rows["value"]).all()


def test_stop_keeps_what_was_trained(mnist_small):
    x, y = mnist_small
    calls = iter(range(1000))
    run = train(
        [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd", lr=0.05))],
        x,
        y,
        batch_size=32,
        steps=100,
        stop=lambda: next(calls) >= 10,
    )
    assert run.stopped
    assert run.curves.query("metric == 'loss'")["step"].max() == 10


def test_progress_is_reported_to_the_end(mnist_small):
    x, y = mnist_small
    seen = []
    train(
        [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))],
        x,
        y,
        batch_size=64,
        steps=30,
        progress=lambda f, m: seen.append(f),
    )
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_a_run_reports_its_phases_in_order():
    """Loading first, then the epochs counted up (the run spans two), evaluations between them."""
    phases = []
    fit(
        [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))],
        dataset="mnist",
        n_train=64,
        seed=0,
        n_test=32,
        batch_size=32,
        steps=4,
        eval_every=2,
        progress=lambda f, m: phases.append(m),
    )
    assert all(isinstance(p, Phase) for p in phases)
    assert phases[0] == Phase("data")
    assert Phase("evaluating") in phases[1:]
    epochs = [(p.done, p.total) for p in phases if p.name == "epoch"]
    assert epochs == sorted(epochs) and epochs[0] == (1, 2) and epochs[-1] == (2, 2)


def test_a_run_within_one_epoch_counts_its_steps_and_ends_evaluating(mnist_small):
    x, y = mnist_small
    phases = []
    train(
        [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))],
        x,
        y,
        batch_size=64,
        steps=3,
        eval_sets={"train": (x, y)},
        progress=lambda f, m: phases.append(m),
    )
    assert phases == [Phase("steps", 1, 3), Phase("steps", 2, 3), Phase("steps", 3, 3), Phase("evaluating")]


def test_on_eval_can_stop_a_variant_and_freeze_its_weights(mnist_small):
    x, y = mnist_small
    net = NetSpec(SIZES)
    variants = [
        Variant("a", net, OptimizerSpec.of("momentum", lr=0.05)),
        Variant("b", net, OptimizerSpec.of("sgd", lr=0.05)),
    ]
    snapshots = {}

    def on_eval(step, metrics, groups):
        assert set(metrics) == {"train_loss", "train_acc"}
        if step == 8:
            snapshots["a"] = variant_weights_from_groups(groups, 0)
            return [0]
        return None

    run = train(variants, x, y, batch_size=32, steps=24, eval_every=8, eval_sets={"train": (x, y)}, on_eval=on_eval)
    after = variant_weights(run, 0)
    for a, b in zip(snapshots["a"], after, strict=True):
        assert torch.equal(a, b)  # momentum would have moved them had they not been frozen
    s = run.summary.set_index("variant")
    assert s.loc["a", "stopped_at"] == 8 and pd.isna(s.loc["b", "stopped_at"])
    assert run.curves.query("variant == 'a' and metric == 'loss'")["step"].max() == 8


def variant_weights_from_groups(groups, k):
    for g in groups:
        if k in g.indices:
            return [W[g.indices.index(k)].detach().cpu().clone() for W in g.model.weights()]
    raise KeyError(k)


class Halve:
    def factor(self, step: int, total: int) -> float:
        return 0.5


def test_schedule_scales_the_rate(mnist_small):
    x, y = mnist_small
    net = NetSpec(SIZES)
    halved = train(
        [Variant("h", net, OptimizerSpec.of("sgd", lr=0.1), schedule=Halve())], x, y, batch_size=32, steps=10
    )
    direct = train([Variant("d", net, OptimizerSpec.of("sgd", lr=0.05))], x, y, batch_size=32, steps=10)
    for a, b in zip(variant_weights(halved, 0), variant_weights(direct, 0), strict=True):
        torch.testing.assert_close(a, b)


def test_l2_penalty_changes_weights_toward_zero(mnist_small):
    x, y = mnist_small
    net = NetSpec(SIZES)
    plain = train([Variant("p", net, OptimizerSpec.of("sgd", lr=0.05))], x, y, batch_size=32, steps=20)
    decayed = train([Variant("l2", net, OptimizerSpec.of("sgd", lr=0.05), l2=0.5)], x, y, batch_size=32, steps=20)
    norm = lambda run: sum(float(W.pow(2).sum()) for W in variant_weights(run, 0))  # noqa: E731
    assert norm(decayed) < norm(plain)


def test_smooth_is_a_trailing_mean_that_skips_nan():
    v = np.array([1.0, 3.0, np.nan, 5.0])
    np.testing.assert_allclose(smooth(v, window=2), [1.0, 2.0, 3.0, 5.0])
    assert math.isclose(smooth(np.arange(10.0), window=100)[-1], 4.5)


def test_invalid_training_arguments(mnist_small):
    x, y = mnist_small
    with pytest.raises(ValueError):
        train([], x, y, batch_size=10, steps=10)
    with pytest.raises(ValueError):
        train([Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))], x, y, batch_size=10, steps=0)


def test_any_variant_name_works(mnist_small):
    x, y = mnist_small
    net = NetSpec(SIZES)
    run = train([Variant(n, net, OptimizerSpec.of("sgd")) for n in ("value", "step")], x, y, batch_size=64, steps=5)
    assert set(run.curves["variant"]) == {"value", "step"}
    assert run.curves.query("metric == 'loss'").groupby("variant").size().tolist() == [5, 5]


def test_training_ends_when_every_variant_has_stopped(mnist_small):
    x, y = mnist_small
    steps_seen, fractions = [], []
    run = train(
        [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"))],
        x,
        y,
        batch_size=32,
        steps=200,
        eval_every=10,
        eval_sets={"train": (x, y)},
        on_eval=lambda step, metrics, groups: steps_seen.append(step) or [0],
        progress=lambda f, m: fractions.append(f) if m.name == "epoch" else None,
    )
    assert run.summary.loc[0, "stopped_at"] == 10
    assert max(fractions) < 0.5  # it did not go on
    assert np.isfinite(run.summary.loc[0, "final_loss"])  # the smoothed loss where its record ends


def test_a_key_named_like_a_column_of_the_frame_is_refused():
    frame = pd.DataFrame({"variant": ["a"], "value": [0.25]})
    with pytest.raises(ValueError, match="overwrite"):
        with_keys(frame, [Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"), keys={"value": 0.01})])
