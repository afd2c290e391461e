"""Weight initialization: the inits against their formulas and torch.nn.init, the book's
histogram experiment, symmetry, and the signal over depth."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from core.__main__ import main
from core.commands.run import build
from core.experiments.initialization import (
    CHANCE_LOSS,
    GRADIENT_BAND,
    STEADY_PER_LAYER,
    DepthProfile,
    InitComparison,
    InitHistograms,
    MnistFacts,
    PReLUSlopes,
    Symmetry,
    depth_facts,
    gradient_trend,
    mnist_facts,
    prelu_facts,
    spread_facts,
    spread_verdict,
    symmetry_facts,
)
from core.nets import PRELU_INIT, NetSpec, init_weight

SHAPES = [(100, 100), (784, 100), (50, 300), (30, 10)]


def draw(init: str, n_in: int, n_out: int, **kw) -> torch.Tensor:
    return init_weight(NetSpec((n_in, n_out), init=init, **kw), n_in, n_out, torch.Generator().manual_seed(1))


def torch_draw(fn, n_in: int, n_out: int, **kw) -> torch.Tensor:
    """torch.nn.init on a Linear-layout [n_out, n_in] weight (fan_in = n_in)."""
    torch.manual_seed(2)
    w = torch.empty(n_out, n_in)
    fn(w, **kw)
    return w


def close_std(a: torch.Tensor, expected: float) -> bool:
    # the sample std of n draws is off by about std / sqrt(2n); allow 5 of those
    return abs(float(a.std()) - expected) <= 5 * expected / math.sqrt(2 * a.numel())


@pytest.mark.parametrize("n_in,n_out", SHAPES)
def test_normal_inits_match_formula_and_torch(n_in, n_out):
    cases = {
        "xavier": (1 / math.sqrt(n_in), torch.nn.init.kaiming_normal_, {"nonlinearity": "linear"}),
        "xavier_normal": (math.sqrt(2 / (n_in + n_out)), torch.nn.init.xavier_normal_, {}),
        "he_normal": (math.sqrt(2 / n_in), torch.nn.init.kaiming_normal_, {"nonlinearity": "relu"}),
    }
    for init, (std, fn, kw) in cases.items():
        ours, theirs = draw(init, n_in, n_out), torch_draw(fn, n_in, n_out, **kw)
        assert ours.shape == (n_in, n_out)
        assert close_std(ours, std), init
        assert close_std(theirs, std), init  # torch agrees on the formula, with its fan convention
        assert abs(float(ours.mean())) < 5 * std / math.sqrt(ours.numel())


@pytest.mark.parametrize("n_in,n_out", SHAPES)
def test_uniform_inits_match_bounds_and_torch(n_in, n_out):
    cases = {
        "xavier_uniform": (math.sqrt(6 / (n_in + n_out)), torch.nn.init.xavier_uniform_, {}),
        "he_uniform": (math.sqrt(6 / n_in), torch.nn.init.kaiming_uniform_, {"nonlinearity": "relu"}),
    }
    for init, (bound, fn, kw) in cases.items():
        ours, theirs = draw(init, n_in, n_out), torch_draw(fn, n_in, n_out, **kw)
        for w in (ours, theirs):
            assert float(w.abs().max()) <= bound * (1 + 1e-6)
            assert float(w.abs().max()) >= bound * (1 - 20 / w.numel())  # the range is filled
            assert close_std(w, bound / math.sqrt(3))


def test_fixed_and_scaled_inits():
    assert torch.count_nonzero(draw("zeros", 20, 30)) == 0
    assert torch.all(draw("constant", 20, 30, init_value=0.3) == 0.3)
    assert close_std(draw("normal", 200, 300, init_std=0.01), 0.01)
    base = draw("he_normal", 40, 50)
    assert torch.allclose(draw("he_normal", 40, 50, init_scale=1.5), 1.5 * base)
    assert torch.count_nonzero(draw("normal", 20, 30, init_std=0.0)) == 0


def shares(result, layer: int, lo: float, hi: float, variant: int = 0) -> float:
    h = result.frames["histogram"]
    name = h.variant.unique()[variant]
    rows = h[(h.variant == name) & (h.layer == layer) & (h.left >= lo - 1e-9) & (h.right <= hi + 1e-9)]
    return float(rows.share.sum())


def test_sigmoid_std1_piles_up_at_0_and_1():
    r = InitHistograms.presets()["book-sigmoid-std1"].run()
    for layer in (3, 4, 5):
        assert shares(r, layer, 0, 0.1) + shares(r, layer, 0.9, 1) > 0.5
        assert shares(r, layer, 0.4, 0.6) < 0.15
    stats = r.frames["stats"]
    assert (stats.flat > 0.3).all()  # much of the net passes almost no gradient


def test_sigmoid_std001_bunches_at_half():
    r = InitHistograms.presets()["book-sigmoid-std0.01"].run()
    for layer in range(1, 6):
        assert shares(r, layer, 0.4, 0.6) > 0.95
    assert (r.frames["stats"].flat == 0).all()


def test_relu_he_keeps_the_spread_and_small_init_loses_it():
    r = InitHistograms.presets()["book-relu"].run()
    stats = r.frames["stats"]
    he = stats[stats.init == "he_normal"].sort_values("layer")["act_std"].to_numpy()
    assert (he / he[0] > 0.5).all() and (he / he[0] < 2).all()
    small = stats[stats.init == "normal"].sort_values("layer")["act_std"].to_numpy()
    assert small[-1] < 1e-3 * small[0]
    h = r.frames["histogram"]
    total = h.groupby(["variant", "layer"]).share.sum()
    assert ((total - 1).abs() < 1e-9).all()  # every value is counted once
    assert h.equals(InitHistograms.presets()["book-relu"].run().frames["histogram"])  # reproducible


def test_verdicts_tell_the_books_figures_apart():
    """Each book figure gets the story its histograms show, per variant id, in the spec's order."""
    expected = {
        "book-sigmoid-std1": {"normal": "saturated"},
        "book-sigmoid-std0.01": {"normal": "bunched"},
        "book-sigmoid-xavier": {"xavier": "steady"},
        "book-tanh-xavier": {"xavier": "shrinks"},  # std 0.627 -> 0.314: not intact
        "book-relu": {"normal": "shrinks", "xavier": "shrinks", "he_normal": "steady"},
    }
    presets = InitHistograms.presets()
    for name, verdicts in expected.items():
        spec = presets[name]
        got = {f.variant: f.verdict for f in spread_facts(spec, spec.run().frames["stats"])}
        assert got == verdicts and list(got) == list(verdicts), name


def test_spread_verdict_thresholds():
    flat = np.zeros(3)
    assert spread_verdict("relu", np.array([1.0, 1.0, 0.0]), flat) == "identical"
    assert spread_verdict("relu", np.array([1.0, 2.0, 3.0]), flat) == "grows"
    assert spread_verdict("tanh", np.array([0.5, 0.5, 0.04]), flat) == "bunched"
    assert spread_verdict("relu", np.array([0.5, 0.5, 0.04]), flat) == "shrinks"  # bunching is sigmoid/tanh's
    assert spread_verdict("sigmoid", np.ones(3), np.array([0.0, 0.0, 0.5])) == "saturated"
    assert spread_verdict("relu", np.ones(3), np.array([0.0, 0.0, 0.5])) == "steady"  # ReLU's flat half is normal


def test_mnist_facts_name_the_best_and_the_stuck():
    summary = pd.DataFrame(
        {"variant": ["normal", "xavier", "he_normal", "zeros"], "final_loss": [2.29, 0.4, 0.3, np.nan]}
    )
    assert mnist_facts(summary) == MnistFacts("he_normal", ("normal",), 0.3, stuck_losses=(2.29,))
    assert 0.95 * CHANCE_LOSS < 2.29
    assert mnist_facts(summary.assign(final_loss=np.nan)) == MnistFacts(None, ())


def test_mnist_facts_say_when_the_book_figure_is_not_reproduced():
    """On figure 6-15's settings the facts compare with the book; Xavier best and σ = 0.01
    learning both contradict it."""
    assert InitComparison().book_settings() and InitComparison(inits=("he_normal", "normal")).book_settings()
    assert not InitComparison(iterations=300).book_settings()
    assert not InitComparison(inits=("xavier", "he_normal")).book_settings()
    book = pd.DataFrame({"variant": ["normal", "xavier", "he_normal"], "final_loss": [2.3, 0.25, 0.3]})
    facts = mnist_facts(book, book=True)
    assert facts == MnistFacts("xavier", ("normal",), 0.25, "6-15", False, (2.3,))
    learned = mnist_facts(book.assign(final_loss=[0.5, 0.4, 0.2]), book=True)
    assert learned.stuck == () and learned.agrees is False and learned.best == "he_normal"
    assert mnist_facts(book.assign(final_loss=[2.3, 0.4, 0.2]), book=True).agrees is True
    assert mnist_facts(book).book is None


def test_spread_facts_quote_the_run_and_flag_tanh_xavier():
    """tanh with Xavier halves its spread over five layers: the facts say it shrinks, quote the
    run's stds, and say that the matched init failed because of tanh's slope."""
    spec = InitHistograms.presets()["book-tanh-xavier"]
    stats = spec.run().frames["stats"].sort_values("layer")
    (f,) = spread_facts(spec, stats)
    stds = stats.act_std.to_numpy()
    assert (f.first_std, f.last_std, f.depth, f.from_layer) == (stds[0], stds[-1], 5, 2)
    assert f.per_layer == pytest.approx((stds[-1] / stds[1]) ** (1 / 3)) and f.per_layer < STEADY_PER_LAYER
    assert f.verdict == "shrinks" and f.matched and not f.expected and f.reason == "slope_below_one"
    assert f.book is None  # the book prints no tanh figure
    sigmoid = InitHistograms.presets()["book-sigmoid-xavier"]
    (g,) = spread_facts(sigmoid, sigmoid.run().frames["stats"])
    assert g.book == ("6-13", "steady") and g.verdict == "steady" and g.expected
    off = InitHistograms(inits=("xavier",), depth=4)
    assert spread_facts(off, off.run().frames["stats"])[0].book is None  # not the book's stack


def test_variants_carry_ids_and_keys_not_names():
    """Every frame says what varies in key columns; no display text comes out of core."""
    r = InitHistograms(inits=("normal", "constant", "he_normal"), init_scale=1.5, depth=2, width=10).run()
    rows = r.frames["stats"].drop_duplicates("variant").set_index("variant")
    assert list(rows.index) == ["normal", "constant", "he_normal"]
    assert rows.loc["normal", "std"] == 1.0 and pd.isna(rows.loc["he_normal", "std"])
    assert rows.loc["constant", "init_value"] == 0.5 and pd.isna(rows.loc["normal", "init_value"])
    assert (rows["init_scale"] == 1.5).all()
    assert "label" not in r.frames["histogram"] and set(r.frames["histogram"]["init"]) == set(rows.index)
    plain = InitHistograms(depth=2, width=10).run().frames["stats"]
    assert "init_scale" not in plain and "activation" not in plain  # only what varies or modifies
    both = InitComparison(activations=("relu", "tanh"), inits=("xavier",)).variants()
    assert [v.name for v in both] == ["xavier/relu", "xavier/tanh"]
    assert [v.keys for v in both] == [{"init": "xavier", "activation": a} for a in ("relu", "tanh")]
    assert [v.keys for v in InitComparison().variants()] == [
        {"init": "normal", "std": 0.01},
        {"init": "xavier"},
        {"init": "he_normal"},
    ]


def test_histogram_spec_validates():
    with pytest.raises(ValueError):
        InitHistograms(inits=())
    with pytest.raises(ValueError):
        InitHistograms(depth=0)
    with pytest.raises(ValueError):
        InitHistograms(init_std=-1)
    with pytest.raises(ValueError):
        InitHistograms(activation="swish")


def test_extreme_histogram_settings_run():
    InitHistograms(width=1, depth=InitHistograms.MAX_DEPTH, inits=("normal", "zeros"), init_std=0).run()
    r = InitHistograms(activation="relu", init_std=1.0, depth=InitHistograms.MAX_DEPTH).run()
    assert r.frames["stats"]["std"].map(math.isfinite).all()


def test_zero_and_constant_init_keep_units_identical():
    spec = Symmetry(hidden=(8, 6), steps=12, every=4, n_train=300, batch_size=50)
    r = spec.run()
    units = r.frames["units"]
    last = units[units.step == 12]
    for init in ("zeros", "constant"):
        rows = last[last.init == init]
        assert (rows.distinct == 1).all(), init
        assert (rows.spread < 1e-6).all(), init
    rand = last[last.init == "xavier"].sort_values("layer")
    assert rand.distinct.tolist() == [8, 6]
    assert (rand.spread > 1e-3).all()
    assert set(units.step) == {0, 4, 8, 12}
    assert set(r.frames["summary"].init) == set(spec.inits)


def test_signal_explodes_or_vanishes_unless_matched():
    def ratio(scale: float, activation: str = "linear", init: str = "xavier") -> float:
        spec = DepthProfile(
            activation=activation, inits=(init,), init_scale=scale, depth=20, width=64, steps=0, n_train=256
        )
        p = spec.run().frames["profile"].sort_values("layer")
        return float(p.signal.iloc[0] / p.signal.iloc[-1])

    assert ratio(1.3) > 30  # gradient reaching the first layer blows up
    assert ratio(0.7) < 1 / 30  # ... or dies out
    assert 1 / 5 < ratio(1.0) < 5  # the matched init keeps it in a band
    assert 1 / 5 < ratio(1.0, "relu", "he_normal") < 5


def test_depth_facts_flag_xavier_with_sigmoid():
    """Xavier is sigmoid's matched init, yet its gradient vanishes (sigmoid's slope is at most
    1/4), while σ = 1 stays level but saturated: the facts say both, with the run's numbers."""
    spec = DepthProfile(activation="sigmoid", inits=("normal", "xavier"), init_std=1.0, depth=12, width=64, steps=0)
    p = spec.run().frames["profile"]
    normal, xavier = depth_facts("sigmoid", p)
    x = p[p.variant == "xavier"].sort_values("layer")
    assert (xavier.first, xavier.last) == (x.signal.iloc[0], x.signal.iloc[-1])
    assert xavier.per_layer == pytest.approx((xavier.first / xavier.last) ** (1 / 11)) and xavier.per_layer < 0.3
    assert xavier.trend == "vanishes" and xavier.matched and not xavier.expected
    assert xavier.reason == "sigmoid_slope" and xavier.phase == "init"
    assert normal.trend == "steady" and not normal.matched and not normal.expected
    assert normal.reason == "saturated" and normal.flat > 0.3


def test_gradient_trend_and_reasons_off_the_textbook():
    assert gradient_trend(1.0, 1.0) == "steady"
    assert gradient_trend(1.0 / (GRADIENT_BAND + 1), 1.0) == "vanishes"
    assert gradient_trend(GRADIENT_BAND + 1, 1.0) == "explodes"
    assert gradient_trend(0.0, 0.0) == "no_gradient"
    assert gradient_trend(float("inf"), 1.0) == "explodes"
    rows = [
        {"variant": "he_normal", "init": "he_normal", "phase": ph, "layer": i + 1, "signal": s, "act_std": 1.0}
        | {"flat": 0.5, "dead": d, "grad_norm": 1.0}
        for ph in ("init", "trained")
        for i, (s, d) in enumerate([(1e-6, 0.9), (1e-3, 0.9), (1.0, 0.1)])
    ]
    (f,) = depth_facts("relu", pd.DataFrame(rows))
    assert f.phase == "trained" and f.trend == "vanishes" and f.reason == "dead_units" and f.dead == 0.9
    assert f.matched and not f.expected and f.per_layer == pytest.approx(1e-3)


def test_symmetry_facts_follow_the_units():
    units = pd.DataFrame(
        {
            "variant": ["zeros", "zeros", "xavier", "xavier", "constant", "constant"],
            "init": ["zeros", "zeros", "xavier", "xavier", "constant", "constant"],
            "layer": [1, 2] * 3,
            "distinct": [1, 1, 8, 6, 3, 1],
            "step": 40,
        }
    )
    summary = pd.DataFrame({"variant": ["zeros", "xavier", "constant"], "test_acc": [0.1, 0.8, 0.2]})
    zeros, xavier, constant = symmetry_facts((8, 6), units, summary)
    assert zeros.symmetric and zeros.expected and zeros.accuracy == 0.1
    assert not xavier.symmetric and xavier.expected and xavier.distinct == (8, 6)
    assert not constant.symmetric and not constant.expected  # equal weights that came apart: said
    (one,) = symmetry_facts((1,), units[units.variant == "xavier"].head(1).assign(distinct=1), summary)
    assert not one.symmetric and one.expected  # a layer of one unit is no symmetry
    (alone,) = symmetry_facts((1,), units[units.variant == "zeros"].head(1), summary)
    assert alone.expected  # zeros in a one-unit layer: nothing to break


def test_prelu_facts():
    slopes = pd.DataFrame({"step": [0, 0, 10, 10], "layer": [1, 2, 1, 2], "slope": [0.25, 0.25, 0.251, 0.2]})
    summary = pd.DataFrame({"variant": ["relu", "leaky_relu", "prelu"], "test_acc": [0.9, 0.905, 0.93]})
    f = prelu_facts(slopes, summary)
    assert f.step == 10 and f.slopes == (0.251, 0.2) and f.moved == pytest.approx(0.05) and f.learned
    assert (f.best, f.worst, f.best_acc, f.worst_acc, f.tie) == ("prelu", "relu", 0.93, 0.9, False)
    still = prelu_facts(slopes.assign(slope=0.25), summary.assign(test_acc=[0.9, 0.9, 0.9]))
    assert not still.learned and still.tie


def test_depth_profile_after_training_and_dead_units():
    spec = DepthProfile(activation="relu", inits=("he_normal", "normal"), init_std=0.01, depth=6, width=16, steps=3)
    r = spec.run()
    p = r.frames["profile"]
    assert set(p.phase) == {"init", "trained"}
    assert set(zip(p.variant, p["std"].fillna(-1))) == {("he_normal", -1), ("normal", 0.01)}
    assert len(p) == 2 * 2 * 6
    assert p.dead.between(0, 1).all() and p.flat.between(0, 1).all()
    assert (p.grad_norm >= 0).all()


def test_layer_stats_gradients_match_plain_backward():
    from core.nets import BatchedMLP
    from core.probes import layer_stats
    from core.train import per_variant_loss

    nets = [NetSpec((12, 7, 5, 3), "tanh", "xavier"), NetSpec((12, 7, 5, 3), "relu", "he_normal")]
    model = BatchedMLP(nets, [0, 1])
    x, y = torch.randn(9, 12), torch.randint(0, 3, (9,))
    stats = layer_stats(model, x, y)
    per_variant_loss(model(x), y).sum().backward()
    for k in range(2):
        for i in range(2):
            row = stats[(stats.k == k) & (stats.layer == i + 1)].iloc[0]
            assert row.grad_norm == pytest.approx(float(model.W0.grad[k].norm() if i == 0 else model.W1.grad[k].norm()))


def test_init_comparison_runs_in_lockstep():
    spec = InitComparison(inits=("normal", "he_normal"), activations=("relu", "tanh"), iterations=4, n_train=256)
    r = spec.run()
    s = r.frames["summary"]
    assert len(s) == 4 and set(s.activation) == {"relu", "tanh"}
    assert set(r.frames["curves"].init) == {"normal", "he_normal"}
    assert s.test_acc.between(0, 1).all()
    summary = spec.summary(r)
    assert len(summary) == 4 and all(v["diverged_at"] is None for v in summary.values())
    assert build("init-mnist", "book", []) == InitComparison()
    assert InitComparison().iterations == 2000 and InitComparison().batch_size == 128


def test_cli_prints_per_layer_statistics(capsys):
    assert main(["run", "init-histograms", "--preset", "book-sigmoid-std1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (layers,) = out.values()
    assert list(layers) == [f"layer {i}" for i in range(1, 6)]
    assert 0 < layers["layer 5"]["mean"] < 1


def test_prelu_slopes_are_learned():
    spec = PReLUSlopes(hidden=(16, 16), iterations=20, every=5, n_train=300, lr=0.01)
    r = spec.run()
    s = r.frames["slopes"]
    assert sorted(s.step.unique()) == [0, 5, 10, 15, 20]
    assert (s[s.step == 0].slope == PRELU_INIT).all()
    assert (s[s.step == 20].slope - PRELU_INIT).abs().min() > 1e-4
    assert set(r.frames["summary"].variant) == {"relu", "leaky_relu", "prelu"}
    assert (r.frames["summary"].activation == r.frames["summary"].variant).all()
    with pytest.raises(ValueError):
        PReLUSlopes(activations=("relu",))


def test_a_constant_inits_value_leaves_the_curves_numbers_alone():
    """The constant init's value is a key column of its own: the curves' `value` stays the metric."""
    r = Symmetry(steps=30, every=10, n_train=500).run()
    curves, summary = r.frames["curves"], r.frames["summary"].set_index("variant")
    last = curves[curves.metric == "test_acc"].sort_values("step").groupby("variant")["value"].last()
    for variant, acc in last.items():
        assert acc == pytest.approx(summary.loc[variant, "test_acc"])
    assert curves.loc[curves.variant == "constant", "init_value"].eq(Symmetry().init_value).all()
