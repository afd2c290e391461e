"""Learning-rate schedules against torch.optim.lr_scheduler, step for step."""

import pytest
import torch

from core import schedules
from core.nets import NetSpec
from core.optimizers import OptimizerSpec
from core.train import Variant, train

BASE, TOTAL = 0.5, 40


def torch_rates(make) -> list[float]:
    """The rate torch uses at steps 1..TOTAL (before each optimizer.step())."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=BASE)
    sched = make(opt)
    rates = []
    for _ in range(TOTAL):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


@pytest.mark.parametrize(
    "ours, make",
    [
        (schedules.StepDecay(7, 0.3), lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.3)),
        (schedules.Exponential(0.93), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.93)),
        (
            schedules.InverseTime(0.2),
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + 0.2 * e)),
        ),
        (schedules.Cosine(0.05), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, TOTAL, BASE * 0.05)),
        (schedules.Warmup(10, 0.2), lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.2, 1.0, 10)),
        (schedules.Constant(), lambda o: torch.optim.lr_scheduler.ConstantLR(o, 1.0, 1)),
    ],
)
def test_schedules_match_torch(ours, make):
    expected = torch_rates(make)
    got = [BASE * ours.factor(t, TOTAL) for t in range(1, TOTAL + 1)]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_inverse_time_equals_the_optimizers_keras_decay():
    """The 1/t schedule is the same rate as core.optimizers' built-in Keras `decay`."""
    decay = 0.05
    w_sched, w_decay = torch.ones(3), torch.ones(3)
    plain, built_in = OptimizerSpec.of("sgd", lr=0.1), OptimizerSpec.of("sgd", lr=0.1, decay=decay)
    sched = schedules.InverseTime(decay)
    g = torch.tensor([1.0, -2.0, 0.5])
    for t in range(1, 20):
        w_sched = w_sched - 0.1 * sched.factor(t, 20) * g
        w_decay = built_in.step(w_decay, g, {}, t)
    assert torch.allclose(w_sched, w_decay)
    assert plain.hp["decay"] == 0.0


def test_exponential_range_spans_the_sweep():
    s = schedules.ExponentialRange(1e4)
    f = schedules.curve(s, 50)
    assert f[0] == 1.0 and f[-1] == pytest.approx(1e4)
    ratios = f[1:] / f[:-1]
    assert ratios == pytest.approx([ratios[0]] * len(ratios))


@pytest.mark.parametrize("name", list(schedules.SCHEDULES))
def test_decaying_ends_at_the_final_factor(name):
    s = schedules.decaying(name, 100, final=0.1)
    end = s.factor(100, 100)
    if name in ("constant", "warmup"):
        assert end == 1.0
    elif name == "cosine":  # torch's cosine reaches its floor one step after the run
        assert 0.1 < end < 0.11
    else:
        assert end == pytest.approx(0.1, rel=1e-9)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: schedules.StepDecay(0, 0.5),
        lambda: schedules.Exponential(1.5),
        lambda: schedules.Warmup(0),
        lambda: schedules.decaying("nope", 10),
        lambda: schedules.decaying("step", 10, final=0.0),
    ],
)
def test_bad_schedules_say_why(bad):
    with pytest.raises(ValueError):
        bad()


def test_train_applies_the_schedule_each_step():
    """A zero-rate schedule after step 1 must leave the weights where step 1 put them."""

    class FirstStepOnly:
        def factor(self, step, total):
            return 1.0 if step == 1 else 0.0

    torch.manual_seed(0)
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    net = NetSpec((4, 5, 3), "tanh", "xavier")
    opt = OptimizerSpec.of("sgd", lr=0.5)
    once = train([Variant("a", net, opt)], x, y, batch_size=32, steps=1)
    frozen = train([Variant("a", net, opt, schedule=FirstStepOnly())], x, y, batch_size=32, steps=5)
    assert torch.equal(once.groups[0].model.flat, frozen.groups[0].model.flat)
