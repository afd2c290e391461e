"""Gradient checking: correct networks pass in float64, planted bugs are caught."""

import json

import pytest
import torch

from core import gradcheck
from core.gradcheck import GradCheckSpec, band, check, forward, relative_error, setup


@pytest.mark.parametrize(
    "spec",
    [
        GradCheckSpec(depth=3, activation="tanh"),
        GradCheckSpec(depth=2, activation="relu"),
        GradCheckSpec(depth=2, activation="sigmoid", batchnorm=True),
        GradCheckSpec(depth=1, activation="gelu", width=4),
    ],
)
def test_correct_networks_pass(spec):
    results = check(spec)
    checked = [r for r in results if not r.no_signal]
    assert len(checked) >= 2 * spec.depth
    assert all(r.rel_error < 1e-7 for r in checked), [(r.name, r.rel_error) for r in checked]


def test_bias_before_batchnorm_has_no_signal():
    results = {r.name: r for r in check(GradCheckSpec(depth=2, batchnorm=True))}
    assert results["b0"].no_signal and results["b1"].no_signal
    assert not results["W0"].no_signal and not results["b2"].no_signal


@pytest.mark.parametrize("bug, layer, hit", [("activation", 1, "W1"), ("weight", 0, "W0")])
def test_planted_bugs_are_caught(bug, layer, hit):
    results = {r.name: r for r in check(GradCheckSpec(depth=3, bug=bug, bug_layer=layer))}
    assert results[hit].rel_error > 1e-3
    assert band(results[hit].rel_error) == "bug"
    assert results["W3"].rel_error < 1e-7  # layers above the bug are untouched


def test_forward_without_bug_is_the_networks_forward():
    spec = GradCheckSpec(depth=2, batchnorm=True)
    model, x, _ = setup(spec)
    assert torch.allclose(forward(model, x), model(x))
    assert model.W0.dtype == torch.float64


def test_tiny_epsilon_is_swamped_by_rounding():
    rough = check(GradCheckSpec(depth=1, eps=1e-12))
    assert max(r.rel_error for r in rough) > 1e-6


def test_relative_error_and_bands():
    a = torch.tensor([1.0, 2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(torch.zeros(2), torch.zeros(2)) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert [band(v) for v in (1e-9, 1e-5, 1e-2)] == ["great", "look", "bug"]


def test_bad_settings_say_why():
    for kw in ({"depth": 0}, {"eps": 0.0}, {"bug": "nope"}, {"bug_layer": 3, "depth": 3}):
        with pytest.raises(ValueError):
            GradCheckSpec(**kw)


def test_command_line_prints_every_tensor(capsys):
    from core.__main__ import main

    assert main(["gradcheck", "--depth", "2", "--activation", "tanh", "--batchnorm", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    names = [r["name"] for r in out["tensors"]]
    assert names[:4] == ["W0", "b0", "gamma0", "beta0"] and out["spec"]["batchnorm"] is True
    assert all(r["band"] in ("great", "no signal") for r in out["tensors"])
    assert main(["gradcheck", "--bug", "weight", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tensors"][0]["band"] == "bug"


def test_the_init_follows_the_activation_by_the_course_rule():
    from core.nets import recommended_init

    for activation in ("tanh", "relu", "softplus", "sigmoid"):
        assert GradCheckSpec(activation=activation).net().init == recommended_init(activation)


def test_readings_and_notes():
    from core.gradcheck import READINGS, TINY_EPS, notes, reading

    results = check(GradCheckSpec(depth=2, batchnorm=True))
    assert {reading(r) for r in results} <= set(READINGS)
    assert reading(next(r for r in results if r.name == "b0")) == "none"  # before BN: no signal
    assert notes(GradCheckSpec(depth=2, batchnorm=True), results) == ["no_signal"]
    plain = GradCheckSpec(depth=1)
    assert notes(plain, check(plain)) == []
    one = GradCheckSpec(depth=1, batchnorm=True, batch=1)
    assert notes(one, check(one))[0] == "batch_one"  # the vacuous pass is what to say first
    tiny = GradCheckSpec(depth=1, eps=TINY_EPS / 10)
    assert "tiny_eps" in notes(tiny, check(tiny))


def test_facts_tell_a_false_alarm_from_a_caught_bug():
    tiny = gradcheck.GradCheckSpec(eps=1e-12)
    f = gradcheck.facts(tiny, gradcheck.check(tiny))  # no bug, yet the check is not clean: ε's fault
    assert f.case == "false_alarm" and f.reason == "tiny_eps" and f.flagged and f.worst_error > gradcheck.GREAT
    bug = gradcheck.GradCheckSpec(bug="weight", bug_layer=1)
    checks = gradcheck.check(bug)
    f = gradcheck.facts(bug, checks)
    assert f.case == "caught" and f.flagged == ("W1",) and f.worst == "W1"
    assert f.worst_error == max(c.rel_error for c in checks)
    one = gradcheck.GradCheckSpec(batchnorm=True, batch=1, bug="activation")
    assert gradcheck.facts(one, gradcheck.check(one)).case == "vacuous"
