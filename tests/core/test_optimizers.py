"""Every optimizer rule against torch.optim and against the course's own formulas."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from core import inplace
from core.experiments.optimizers import OptimizerComparison, live_loss, outcome
from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import SURFACES, path

TORCH = {
    "sgd": lambda p, hp: torch.optim.SGD(p, lr=hp["lr"], weight_decay=hp["weight_decay"]),
    "momentum": lambda p, hp: torch.optim.SGD(p, lr=hp["lr"], momentum=hp["momentum"], weight_decay=hp["weight_decay"]),
    "nesterov": lambda p, hp: torch.optim.SGD(
        p, lr=hp["lr"], momentum=hp["momentum"], nesterov=True, weight_decay=hp["weight_decay"]
    ),
    "adagrad": lambda p, hp: torch.optim.Adagrad(p, lr=hp["lr"], eps=hp["eps"], weight_decay=hp["weight_decay"]),
    "rmsprop": lambda p, hp: torch.optim.RMSprop(
        p, lr=hp["lr"], alpha=hp["rho"], eps=hp["eps"], weight_decay=hp["weight_decay"]
    ),
    "adam": lambda p, hp: torch.optim.Adam(
        p, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"], weight_decay=hp["weight_decay"]
    ),
    "adamw": lambda p, hp: torch.optim.AdamW(
        p, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"], weight_decay=hp["weight_decay"]
    ),
    "adadelta": lambda p, hp: torch.optim.Adadelta(
        p, lr=hp["lr"], rho=hp["rho"], eps=hp["eps"], weight_decay=hp["weight_decay"]
    ),
}
SETTINGS = {  # lively but stable settings on the surfaces below, weight decay switched on
    "sgd": dict(lr=0.05, weight_decay=0.01),
    "momentum": dict(lr=0.02, momentum=0.9, weight_decay=0.01),
    "nesterov": dict(lr=0.02, momentum=0.8, weight_decay=0.01),
    "adagrad": dict(lr=0.5, weight_decay=0.01),
    "rmsprop": dict(lr=0.05, rho=0.9, weight_decay=0.01),
    "adam": dict(lr=0.1, beta1=0.8, beta2=0.99, weight_decay=0.01),
    "adamw": dict(lr=0.1, weight_decay=0.05),
    "adadelta": dict(lr=1.0, rho=0.9, eps=1e-4, weight_decay=0.01),
}

STEEP = {"rosenbrock": 0.01, "himmelblau": 0.1}


def torch_trajectory(method, hp, surface, start, steps, decay=0.0):
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = TORCH[method]([w], hp)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0 / (1.0 + decay * i))
    out = [w.detach().clone()]
    f = SURFACES[surface].f
    for _ in range(steps):
        opt.zero_grad()
        f(w[0], w[1]).backward()
        opt.step()
        sched.step()
        out.append(w.detach().clone())
    return torch.stack(out).numpy()


def our_stored_trajectory(spec, surface, start, steps):
    """The stored variable of our rule (for Nesterov the look-ahead point, as torch stores)."""
    w = np.array(start, dtype=np.float64)
    state, out = {}, [w]
    for t in range(1, steps + 1):
        w = spec.step(w, SURFACES[surface].grad(w), state, t)
        out.append(w)
    return np.array(out)


def test_method_table_is_complete():
    assert set(METHODS) == set(TORCH) == set(SETTINGS)


@pytest.mark.parametrize("surface", ["book", "knou", "rosenbrock", "himmelblau"])
@pytest.mark.parametrize("method", list(TORCH))
def test_matches_torch_optim_on_surfaces(method, surface):
    settings = dict(SETTINGS[method])
    if surface in STEEP and method in ("sgd", "momentum", "nesterov"):
        settings["lr"] *= STEEP[surface]  # fixed-step methods need small steps on steep walls
    spec = OptimizerSpec.of(method, **settings)
    start = (-1.2, 1.0) if surface == "rosenbrock" else SURFACES[surface].start
    steps = 60
    ours = our_stored_trajectory(spec, surface, start, steps)
    assert np.isfinite(ours).all(), "the comparison needs a trajectory that stays finite"
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3, "the comparison needs a trajectory that moves"
    ref = torch_trajectory(method, spec.hp, surface, start, steps)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method", ["sgd", "adagrad", "rmsprop", "adam", "adadelta"])
def test_lr_decay_matches_torch_lambda_scheduler(method):
    spec = OptimizerSpec.of(method, **{**SETTINGS[method], "decay": 0.05})
    ours = our_stored_trajectory(spec, "knou", (-5.0, 4.0), 50)
    ref = torch_trajectory(method, spec.hp, "knou", (-5.0, 4.0), 50, decay=0.05)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-9)


def test_momentum_with_decay_follows_the_course_form():
    """With a changing rate the course's v <- m v - lr_t g differs from torch's; we teach the course's."""
    lr, m, decay = 0.01, 0.9, 0.1
    spec = OptimizerSpec.of("momentum", lr=lr, momentum=m, decay=decay)
    w, v = np.array([-5.0, 4.0]), np.zeros(2)
    for t in range(1, 31):
        v = m * v - lr / (1 + decay * (t - 1)) * SURFACES["knou"].grad(w)
        w = w + v
    np.testing.assert_allclose(path("knou", spec, (-5.0, 4.0), 30)[-1], w, rtol=1e-12)


def test_nesterov_position_is_the_course_point():
    """Course: v <- m v - lr g(w + m v); w <- w + v. Our path must report this w."""
    lr, m = 0.03, 0.9
    w, v = np.array([2.0, -1.0]), np.zeros(2)
    grad = SURFACES["himmelblau"].grad
    course = [w]
    for _ in range(40):
        v = m * v - lr * 0.01 * grad(w + m * v)
        w = w + v
        course.append(w)
    ours = path("himmelblau", OptimizerSpec.of("nesterov", lr=lr * 0.01, momentum=m), (2.0, -1.0), 40)
    np.testing.assert_allclose(ours, np.array(course), rtol=1e-9, atol=1e-12)


def book_rules(name, lr, steps, start=(-7.0, 2.0)):
    """The book's own update code (common/optimizer.py), transcribed, on f = x^2/20 + y^2."""
    x = np.array(start)
    grad = SURFACES["book"].grad
    v = h = m = vv = np.zeros(2)
    out = [x.copy()]
    for it in range(1, steps + 1):
        g = grad(x)
        if name == "sgd":
            x = x - lr * g
        elif name == "momentum":
            v = 0.9 * v - lr * g
            x = x + v
        elif name == "adagrad":
            h = h + g * g
            x = x - lr * g / (np.sqrt(h) + 1e-7)
        elif name == "adam":
            lr_t = lr * np.sqrt(1.0 - 0.999**it) / (1.0 - 0.9**it)
            m = m + (1 - 0.9) * (g - m)
            vv = vv + (1 - 0.999) * (g**2 - vv)
            x = x - lr_t * m / (np.sqrt(vv) + 1e-7)
        out.append(x.copy())
    return np.array(out)


@pytest.mark.parametrize("name,lr", [("sgd", 0.95), ("momentum", 0.1), ("adagrad", 1.5), ("adam", 0.3)])
def test_book_figure_6_8_rules(name, lr):
    ours = path("book", OptimizerSpec.of(name, lr=lr, book=True), (-7.0, 2.0), 30)
    np.testing.assert_allclose(ours, book_rules(name, lr, 30), rtol=1e-10, atol=1e-12)


def test_book_and_torch_adam_differ_only_by_epsilon_scaling():
    book = path("book", OptimizerSpec.of("adam", lr=0.3, book=True), (-7.0, 2.0), 30)
    torch_form = path("book", OptimizerSpec.of("adam", lr=0.3), (-7.0, 2.0), 30)
    assert not np.array_equal(book, torch_form)
    np.testing.assert_allclose(book, torch_form, atol=1e-4)


def test_invalid_hyperparameters_are_rejected_clearly():
    with pytest.raises(ValueError, match="outside"):
        OptimizerSpec.of("sgd", lr=100.0)
    with pytest.raises(ValueError, match="no hyperparameter"):
        OptimizerSpec.of("sgd", beta1=0.9)
    with pytest.raises(ValueError, match="unknown optimizer"):
        OptimizerSpec.of("lion")


def test_divergent_path_stops_with_nan_rows():
    pts = path("book", OptimizerSpec.of("sgd", lr=5.0), (-7.0, 2.0), 100)
    assert pts.shape == (101, 2)
    assert np.isnan(pts[-1]).all() and np.isfinite(pts[0]).all()


def test_pytorch_still_has_its_fused_optimizer_kernels():
    """Training uses torch's private fused kernels where it can (about 3x faster steps). A
    PyTorch without them still trains, through the public kernels, but this test says so."""
    missing = [name for name in inplace.FUSED_KERNELS if not hasattr(torch, name)]
    assert inplace.FUSED and not missing, f"torch {torch.__version__} lacks {missing}: training runs slower"


@pytest.mark.parametrize("settings", ["per_variant", "shared", "shared_fixed_rate", "without_fused_kernels"])
@pytest.mark.parametrize("book", [False, True])
@pytest.mark.parametrize("method", list(TORCH))
def test_inplace_kernel_equals_the_pure_rule(method, book, settings, monkeypatch):
    """Training runs `core.inplace`; it must take exactly the pure rule's steps, with three
    stacked variants sharing plain-float settings (PyTorch's fused kernels for Adam, AdamW and
    AdaGrad, and for Momentum and Nesterov at a fixed rate; the public kernels where a PyTorch
    lacks the fused ones), or with their own rates, decays and weight decays as [3, 1] tensors,
    as training stacks them."""
    if settings == "without_fused_kernels":
        monkeypatch.setattr(inplace, "FUSED", False)
    specs = [
        OptimizerSpec.of(method, book=book, **{**SETTINGS[method], "lr": SETTINGS[method]["lr"] * f, "decay": d})
        for f, d in ((1.0, 0.0), (0.5, 0.1), (2.0, 0.02))
    ]
    specs[2] = OptimizerSpec.of(method, book=book, **{**specs[2].hp, "weight_decay": 0.2})
    hp = {name: torch.tensor([s.hp[name] for s in specs], dtype=torch.float64).view(-1, 1) for name in specs[0].hp}
    if settings != "per_variant":
        hp = {**specs[2].hp, "decay": 0.1 if settings == "shared" else 0.0}
    gen = torch.Generator().manual_seed(0)
    w_rule = torch.randn(3, 50, generator=gen, dtype=torch.float64)
    w_kernel = w_rule.clone()
    s_rule, s_kernel = {}, {}
    for t in range(1, 21):
        g = torch.randn(3, 50, generator=gen, dtype=torch.float64) + w_rule  # a pull that depends on w
        w_rule = specs[0].step(w_rule, g, s_rule, t, hp)
        inplace.step(method, specs[0].book, w_kernel, g, s_kernel, t, hp)
        torch.testing.assert_close(w_kernel, w_rule, rtol=1e-12, atol=1e-12)
    assert {k for k in s_kernel if not k.startswith("_")} == set(s_rule)  # _t: the fused kernels step count


def race_summary(losses: dict[str, float], diverged: dict[str, int] | None = None) -> pd.DataFrame:
    """A summary frame shaped as the MNIST race stores it, one row per method id."""
    diverged = diverged or {}
    return pd.DataFrame(
        {
            "variant": list(losses),
            "method": list(losses),
            "final_loss": [math.nan if m in diverged else v for m, v in losses.items()],
            "test_acc": 0.9,
            "diverged_at": pd.array([diverged.get(m) for m in losses], dtype="Int64"),
        }
    )


def test_mnist_race_facts_say_when_sgd_is_not_the_slowest():
    """The book's figure 6-9 has SGD slowest; a result where Adam ends higher and AdaGrad diverged
    must say so, with the result's own numbers."""
    o = outcome(race_summary({"sgd": 0.4, "adam": 0.7, "momentum": 0.2, "adagrad": 0.1}, {"adagrad": 12}))
    assert o.order == ("momentum", "sgd", "adam") and o.sgd_slowest is False
    assert o.losses["sgd"] == 0.4 and o.diverged == {"adagrad": 12}
    assert o.beaten == ("momentum",)


def test_mnist_race_facts_when_sgd_is_slowest_only_narrowly():
    o = outcome(race_summary({"sgd": 1.0, "adam": 0.95}))
    assert o.sgd_slowest is True and o.beaten == ()
    assert outcome(race_summary({"adam": 0.5})).sgd_slowest is None


def test_the_mnist_race_publishes_its_curves_while_it_trains():
    spec = OptimizerComparison(iterations=10, n_train=200, hidden=(8,), batch_size=50)
    seen: list[pd.DataFrame] = []
    result = spec.run(progress=lambda fraction, message: seen.append(live_loss(spec)))
    assert seen and not seen[-1].empty and set(seen[-1].variant) == {v.name for v in spec.variants()}
    assert live_loss(spec).empty  # nothing left over once the run has ended
    summary = result.frames["summary"]
    assert summary["test_acc"].between(0, 1).all() and "sample_loss" not in summary
    assert set(result.frames["curves"].metric) == {"loss", "test_loss", "test_acc"}
