"""Batch norm in BatchedMLP against torch.nn.BatchNorm1d, a float64 gradient check on a real
batch, and the teaching helpers of core.batchnorm."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core import batchnorm as bn
from core.nets import BatchedMLP, NetSpec

SIZES = (6, 5, 4, 3)


def bn_net(k: int = 2, after: bool = False, activation: str = "relu") -> BatchedMLP:
    specs = [NetSpec(SIZES, activation, "he_normal", batchnorm=True, bn_after_activation=after)] * k
    model = BatchedMLP(specs, seeds=list(range(k)))
    with torch.no_grad():  # gamma and beta away from 1 and 0, so that they are really tested
        for i in range(len(SIZES) - 2):
            getattr(model, f"gamma{i}").uniform_(0.5, 1.5)
            getattr(model, f"beta{i}").uniform_(-0.5, 0.5)
    return model


def torch_reference(model: BatchedMLP, k: int, after: bool = False) -> torch.nn.Sequential:
    """Variant k of `model` as an ordinary torch network with nn.BatchNorm1d layers."""
    layers = []
    n_layers = len(SIZES) - 1
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        lin = torch.nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(getattr(model, f"W{i}")[k].T)
            lin.bias.copy_(getattr(model, f"b{i}")[k, 0])
        layers.append(lin)
        if i == n_layers - 1:
            break
        norm = torch.nn.BatchNorm1d(b, eps=model.bn_eps, momentum=model.bn_momentum)
        with torch.no_grad():
            norm.weight.copy_(getattr(model, f"gamma{i}")[k, 0])
            norm.bias.copy_(getattr(model, f"beta{i}")[k, 0])
        layers += [torch.nn.ReLU(), norm] if after else [norm, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers).to(model.W0.dtype)


@pytest.mark.parametrize("after", [False, True])
def test_forward_backward_and_running_stats_match_batchnorm1d(after):
    torch.manual_seed(0)
    model = bn_net(after=after)
    refs = [torch_reference(model, k, after) for k in range(model.K)]
    for step in range(3):  # running statistics accumulate over several batches
        x = torch.randn(16, SIZES[0]) * 2 + step
        out = model(x)
        out.pow(2).sum().backward()
        for k, ref in enumerate(refs):
            ref_out = ref(x)
            ref_out.pow(2).sum().backward()
            torch.testing.assert_close(out[k], ref_out, rtol=1e-5, atol=1e-5)
    for k, ref in enumerate(refs):
        norms = [m for m in ref if isinstance(m, torch.nn.BatchNorm1d)]
        lins = [m for m in ref if isinstance(m, torch.nn.Linear)]
        for i, norm in enumerate(norms):
            torch.testing.assert_close(getattr(model, f"mean{i}")[k, 0], norm.running_mean)
            torch.testing.assert_close(getattr(model, f"var{i}")[k, 0], norm.running_var)  # unbiased
            torch.testing.assert_close(getattr(model, f"gamma{i}").grad[k, 0], norm.weight.grad, rtol=1e-4, atol=1e-4)
            torch.testing.assert_close(getattr(model, f"beta{i}").grad[k, 0], norm.bias.grad, rtol=1e-4, atol=1e-4)
        for i, lin in enumerate(lins):
            torch.testing.assert_close(getattr(model, f"W{i}").grad[k].T, lin.weight.grad, rtol=1e-4, atol=1e-4)
    model.eval()
    x = torch.randn(5, SIZES[0])
    out = model(x)
    for k, ref in enumerate(refs):
        ref.eval()
        torch.testing.assert_close(out[k], ref(x), rtol=1e-5, atol=1e-5)


def test_running_variance_is_the_unbiased_batch_variance():
    model = bn_net(k=1)
    x = torch.randn(8, SIZES[0])
    h = model.linear(0, x)
    model.normalize(0, h)
    expected = 0.9 * 1.0 + 0.1 * h[0].var(0, unbiased=True)
    torch.testing.assert_close(model.var0[0, 0], expected)


def test_eval_mode_prediction_of_one_example_is_independent_of_the_others():
    model = bn_net(k=1)
    model.train()
    for _ in range(5):
        model(torch.randn(32, SIZES[0]))
    model.eval()
    x = torch.randn(10, SIZES[0])
    torch.testing.assert_close(model(x[:1])[0], model(x)[0, :1])


def test_training_batch_of_one_outputs_beta_and_does_not_crash():
    model = bn_net(k=2)
    x = torch.randn(1, SIZES[0])
    h = model.linear(0, x)
    out = model.normalize(0, h)
    torch.testing.assert_close(out, model.beta0.expand_as(out))


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """The course's ||g_num - g_bp|| / (||g_num|| + ||g_bp||)."""
    return float((a - b).norm() / (a.norm() + b.norm()))


@pytest.mark.parametrize("after", [False, True])
def test_gradient_check_float64_real_batch(after):
    torch.manual_seed(1)
    model = bn_net(k=1, after=after, activation="tanh").double()
    x = torch.randn(8, SIZES[0], dtype=torch.float64)
    y = torch.randint(0, SIZES[-1], (8,))
    names = [n for n, _ in model.named_parameters()]

    def loss(*params):
        state = {**dict(zip(names, params)), **{n: b.clone() for n, b in model.named_buffers()}}
        logits = torch.func.functional_call(model, state, (x,))
        return F.cross_entropy(logits[0], y)

    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    assert torch.autograd.gradcheck(loss, params)
    backprop = torch.cat([g.view(-1) for g in torch.autograd.grad(loss(*params), params)])
    eps = 1e-6
    numeric = []
    for p in params:  # two-sided differences, one parameter at a time
        flat = p.detach().view(-1)
        for j in range(flat.numel()):
            keep = flat[j].item()
            flat[j] = keep + eps
            up = loss(*params).item()
            flat[j] = keep - eps
            down = loss(*params).item()
            flat[j] = keep
            numeric.append((up - down) / (2 * eps))
    # over the whole parameter vector, as the course does (the biases before BN have a zero
    # gradient: BN removes any constant shift, so they cannot be checked on their own)
    assert relative_error(torch.tensor(numeric, dtype=torch.float64), backprop) < 1e-7


def test_batch_norm_formula_matches_torch():
    h = bn.layer_preactivations(32, units=3)
    gamma, beta = np.array([0.5, 2.0, 1.0]), np.array([0.1, -1.0, 3.0])
    out = bn.batch_norm(h, gamma, beta)
    ref = F.batch_norm(
        torch.from_numpy(h), None, None, torch.from_numpy(gamma), torch.from_numpy(beta), training=True, eps=bn.EPS
    )
    np.testing.assert_allclose(out["scaled"], ref.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(out["normalized"].mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(out["normalized"].std(0), 1, atol=1e-3)


def test_walkthrough_stages_and_batch_of_one():
    df = bn.walkthrough(64, gamma=2.0, beta=1.0)
    stats = bn.stage_stats(df).set_index(["stage", "unit"])
    assert set(df["stage"]) == set(bn.STAGES)
    raw = stats.loc["raw"]
    assert raw["mean"].abs().max() > 0.1  # something to normalize
    np.testing.assert_allclose(stats.loc["normalized"]["mean"], 0, atol=1e-9)
    np.testing.assert_allclose(stats.loc["scaled"]["mean"], 1.0, atol=1e-9)
    np.testing.assert_allclose(stats.loc["scaled"]["std"], 2.0, atol=1e-3)
    one = bn.walkthrough(1, gamma=2.0, beta=1.0)
    assert (one[one.stage == "scaled"]["value"] == 1.0).all()  # no spread: only beta is left


def test_running_estimates_follow_torch_rule():
    df = bn.running_estimates(batch_size=16, momentum=0.1, steps=50)
    mean = df[df.statistic == "mean"]
    expected = 0.0
    for b in mean["batch"]:
        expected = 0.9 * expected + 0.1 * b
    assert mean["running"].iloc[-1] == pytest.approx(expected)
    # after 50 steps the running mean sits far closer to the population mean than the start did
    pop = mean["population"].iloc[0]
    assert abs(mean["running"].iloc[-1] - pop) < 0.2 * abs(pop)
    with pytest.raises(ValueError):
        bn.running_estimates(batch_size=1, momentum=0.1, steps=5)


def test_probes_leave_running_statistics_untouched():
    model = bn_net(k=2)
    model.eval()
    before = copy.deepcopy(list(model.buffers()))
    x = torch.randn(20, SIZES[0])
    zs = bn.preactivations(model, x)
    assert len(zs) == len(SIZES) - 2 and zs[0].shape == (2, 20, SIZES[1])
    torch.testing.assert_close(zs[0].mean(1), model.beta0[:, 0], atol=1e-5, rtol=0)
    y = torch.randint(0, SIZES[-1], (20,))
    acc_one = bn.accuracy_by_batch(model, x, y, 1, batch_stats=True)
    acc_eval = bn.accuracy_by_batch(model, x, y, 1, batch_stats=False)
    assert acc_one.shape == acc_eval.shape == (2,)
    assert not model.training
    for b, s in zip(model.buffers(), before):
        torch.testing.assert_close(b, s)


def test_histograms_share_edges_and_sum_to_one():
    rng = np.random.default_rng(0)
    edges, counts = bn.histograms([rng.normal(0, 1, 500), rng.normal(3, 2, 500)], bins=10)
    assert len(edges) == 11 and len(counts) == 2
    for c in counts:
        assert c.sum() == pytest.approx(1.0)
    assert counts[0][:3].sum() > counts[1][:3].sum()  # the first sits further left


def test_linear_zone_is_where_the_sigmoid_is_nearly_its_tangent():
    x = np.linspace(-bn.LINEAR_ZONE, bn.LINEAR_ZONE, 1001)
    assert np.abs(1 / (1 + np.exp(-x)) - (0.5 + x / 4)).max() < 0.06
    wider = np.linspace(-2 * bn.LINEAR_ZONE, 2 * bn.LINEAR_ZONE, 1001)
    assert np.abs(1 / (1 + np.exp(-wider)) - (0.5 + wider / 4)).max() > 0.2


def test_linear_share_counts_each_stage():
    df = bn.walkthrough(64, gamma=5.0, beta=0.0)
    share = bn.linear_share(df)
    assert set(share) == set(bn.STAGES)
    normalized = df[df.stage == "normalized"]["value"]
    assert share["normalized"] == pytest.approx(float((normalized.abs() < bn.LINEAR_ZONE).mean()))
    assert share["normalized"] > 0.7 > share["scaled"]  # gamma 5 pushes most values into the curved parts


def test_walk_facts_follow_the_batch():
    facts = bn.walk_facts(bn.walkthrough(32, 2.0, 0.5))
    assert facts.case == "unit_spread" and facts.batch_size == 32
    assert facts.std["scaled"][0] == pytest.approx(2.0, abs=0.01) and facts.mean["scaled"][1] == pytest.approx(0.5)
    one = bn.walk_facts(bn.walkthrough(1, 1.0, 0.0))
    assert one.case == "batch_one" and one.std["normalized"] == (0.0, 0.0)


def test_running_facts_say_when_the_start_is_not_forgotten():
    slow = bn.running_facts(bn.running_estimates(16, 0.01, 10), 0.01)
    assert not slow.forgotten and not slow.settled and slow.steps_to_forget == 299  # 0.99^299 < 0.05
    est = bn.running_estimates(256, 0.1, 200)
    fast = bn.running_facts(est, 0.1)
    last = est[est.step == 200].set_index("statistic")
    assert fast.forgotten and fast.running["var"] == last.loc["var", "running"]


def test_bn_inputs_spread_is_squashed_when_the_variance_is_below_epsilon():
    x = torch.randn(64, SIZES[0])
    specs = [NetSpec(SIZES, "relu", "normal", init_std=s, batchnorm=True, bn_eps=1e-2) for s in (1.0, 1e-3)]
    model = BatchedMLP(specs, seeds=[0, 0])
    before = [b.clone() for b in model.buffers()]
    spread = bn.bn_inputs_spread(model, x)
    assert spread[0] > 0.9 and spread[1] < 0.1
    assert all(torch.equal(a, b) for a, b in zip(before, model.buffers()))  # looking changes nothing
    assert "normalize" not in vars(model)  # the spy is gone
