"""Gradient descent on the two-minimum losses and the learning-rate verdict."""

import numpy as np
import pytest
import torch

from core.landscapes import LANDSCAPES, descend, grid, verdict
from core.optimizers import OptimizerSpec


@pytest.mark.parametrize("key", list(LANDSCAPES))
def test_hand_written_gradients_match_autograd(key):
    land = LANDSCAPES[key]
    p = torch.tensor([0.7, -1.3][: land.dim], dtype=torch.float64, requires_grad=True)
    x = [p[i] for i in range(land.dim)]
    land.f(*x).backward()
    assert np.allclose(land.grad(p.detach().numpy()), p.grad.numpy())


@pytest.mark.parametrize("key", list(LANDSCAPES))
def test_minima_are_stationary_and_the_first_is_lowest(key):
    land = LANDSCAPES[key]
    values = [float(land.loss(np.array(m))) for m in land.minima]
    assert values[0] < values[1]
    for m in land.minima:
        assert np.linalg.norm(land.grad(np.array(m))) < 1e-9


@pytest.mark.parametrize("key", list(LANDSCAPES))
def test_lecture_cases(key):
    """lr 10 overshoots and diverges; lr 0.001 is still crawling after 100 steps."""
    start = LANDSCAPES[key].start
    big = descend(key, OptimizerSpec.of("sgd", lr=10.0), start, 100)
    assert verdict(key, big).kind == "diverged"
    assert np.isnan(big[-1]).all() and not np.isnan(big[0]).any()
    small = descend(key, OptimizerSpec.of("sgd", lr=0.001), start, 100)
    assert verdict(key, small).kind == "slow"
    loss = LANDSCAPES[key].loss(small)
    assert np.all(np.diff(loss) < 0)  # steady, just slow


def test_converged_and_oscillating_verdicts():
    key = "well_1d"
    start = LANDSCAPES[key].start
    good = verdict(key, descend(key, OptimizerSpec.of("sgd", lr=0.03), start, 100))
    assert good.kind == "converged" and good.minimum is not None and 0 < good.step <= 100
    bouncing = descend(key, OptimizerSpec.of("sgd", lr=0.13), start, 100)
    assert verdict(key, bouncing).kind == "oscillating"
    steps = np.diff(bouncing[-20:, 0])
    assert np.mean(steps[1:] * steps[:-1] < 0) > 0.5


def test_verdict_names_the_minimum_reached():
    key = "well_1d"
    for m, point in enumerate(LANDSCAPES[key].minima):
        near = descend(key, OptimizerSpec.of("sgd", lr=0.01), (point[0] + 0.05,), 300)
        assert verdict(key, near).minimum == m


def test_grid_shapes():
    x, f = grid("well_1d", 10)
    assert x.shape == f.shape
    gx, gy, gf = grid("well_2d", 12)
    assert gx.shape == gy.shape == gf.shape == (12, 12)


def test_wrong_start_dimension_is_rejected():
    with pytest.raises(ValueError):
        descend("well_2d", OptimizerSpec.of("sgd", lr=0.1), (1.0,), 5)


def test_the_lecture_presets_show_each_verdict():
    from core.landscapes import LR_GRID, Walk

    kinds = {name: verdict(w.landscape, w.points()).kind for name, w in Walk.presets().items()}
    assert kinds == {"diverge": "diverged", "crawl": "slow", "oscillate": "oscillating", "good": "converged"}
    assert all(w.lr in LR_GRID for w in Walk.presets().values())  # the slider can show every preset


def test_a_walk_validates_and_frames_its_finite_path():
    from core.landscapes import Walk

    for kw in ({"landscape": "nope"}, {"steps": 0}, {"method": "nope"}):
        with pytest.raises(ValueError):
            Walk(**kw)
    walk = Walk(landscape="well_2d", lr=10.0, steps=20)
    frame = walk.frame(walk.points())
    assert {"step", "loss", "x", "y", "lr"} <= set(frame.columns)
    assert frame[["x", "y", "loss"]].notna().all().all() and len(frame) < 21  # cut where it diverged
