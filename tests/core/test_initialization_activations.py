"""Activation curves and slopes against their closed forms and torch.nn.functional."""

import pytest
import torch
import torch.nn.functional as F

from core.activations import CURVES, curve, curve_facts, flat, max_slope, slope
from core.nets import ACTIVATIONS

X = torch.linspace(-6, 6, 241, dtype=torch.float64)


def test_curves_match_closed_forms():
    s = torch.sigmoid(X)
    f, df = curve("sigmoid", X)
    assert torch.allclose(f, s) and torch.allclose(df, s * (1 - s))
    f, df = curve("tanh", X)
    assert torch.allclose(df, 1 - torch.tanh(X) ** 2)
    f, df = curve("softplus", X)
    assert torch.allclose(f, F.softplus(X)) and torch.allclose(df, s)
    f, df = curve("step", X)
    assert set(f.tolist()) == {0.0, 1.0} and torch.count_nonzero(df) == 0


def test_leaky_slope_is_a_knob():
    f, df = curve("leaky_relu", X, 0.2)
    assert torch.allclose(f, F.leaky_relu(X, 0.2))
    assert torch.allclose(df[X < 0], torch.full_like(df[X < 0], 0.2))
    _, default = curve("leaky_relu", X)
    assert torch.allclose(default[X < 0], torch.full_like(default[X < 0], 0.01))
    f, _ = curve("prelu", X)
    assert torch.allclose(f, F.prelu(X, torch.tensor([0.25], dtype=X.dtype)))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_fast_slopes_agree_with_autograd(name):
    z = torch.randn(500, dtype=torch.float64) * 3
    _, expected = curve(name, z)
    h = curve(name, z)[0]
    a = torch.tensor(0.25, dtype=z.dtype)
    assert torch.allclose(slope(name, z, h, a), expected, atol=1e-12)
    assert torch.allclose(slope(name, z, None, a), expected, atol=1e-12)


def test_flat_regions():
    _, df = curve("sigmoid", X)
    region = flat("sigmoid", df)
    # sigma'(x) < 0.05 * 0.25 exactly when |x| > about 4.36
    assert bool(region[X.abs() > 4.4].all()) and not bool(region[X.abs() < 4.3].any())
    _, df = curve("relu", X)
    assert torch.equal(flat("relu", df), X <= 0)
    assert max_slope("sigmoid") == pytest.approx(0.25)
    _, df = curve("linear", X)
    assert not flat("linear", df).any()
    assert set(CURVES) >= set(ACTIVATIONS)


def test_curve_facts_follow_the_range_drawn():
    wide = curve_facts("sigmoid", X)
    assert wide.steepest == pytest.approx(0.25) and abs(wide.flat_from) == pytest.approx(4.4, abs=0.05)
    assert 0.2 < wide.flat < 0.35
    narrow = curve_facts("sigmoid", torch.linspace(-1, 1, 101, dtype=torch.float64))
    assert narrow.flat_from is None and narrow.flat == 0  # nothing flat is drawn: nothing is said
    relu = curve_facts("relu", X)
    assert relu.flat_from == 0.0 and relu.flat == pytest.approx(0.5, abs=0.01)
    assert curve_facts("leaky_relu", X, 0.2).flat == 0  # a slope of 0.2 is not "almost flat"
