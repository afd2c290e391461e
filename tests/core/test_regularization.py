"""Regularization: penalties vs torch.optim, dropout statistics, early stopping, ensembles,
and the book's overfitting setting on tiny budgets."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from core import data
from core.commands.run import build
from core.dropout import dropped_units, expectation_gap
from core.early_stopping import Criterion, EarlyStopping
from core.ensemble import growing_accuracy
from core.experiments.regularization import (
    BOOK_LR,
    DECAY_REMEDIES,
    ES_SIZES,
    LAMBDAS,
    SCALING_RULES,
    TRAIN_SIZES,
    DecayVsL2,
    EarlyStoppingRun,
    Ensemble,
    Overfitting,
    decay_demo_facts,
    dropout_expectation,
    dropout_mask,
    early_stopping_facts,
    ensemble_bars,
    ensemble_facts,
    monitored_measure,
    overfitting_facts,
    split_curves,
    start_curves,
)
from core.nets import BatchedMLP, NetSpec
from core.optimizers import OptimizerSpec
from core.spec import Result
from core.train import Variant, add_l2_grad, batch_order, make_groups, shrink_l1, train

SIZES = (784, 32, 16, 10)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny():
    return data.subset(200, "mnist", "train", 1)


def torch_reference(net: NetSpec, seed: int) -> torch.nn.Sequential:
    """The same network as `BatchedMLP([net], [seed])`, written with torch.nn layers."""
    ours = BatchedMLP([net], [seed])
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(net.sizes, net.sizes[1:])):
        lin = torch.nn.Linear(a, b, bias=net.bias)
        with torch.no_grad():
            lin.weight.copy_(getattr(ours, f"W{i}")[0].T)
            if net.bias:
                lin.bias.copy_(getattr(ours, f"b{i}")[0, 0])
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def train_torch(model, opt, x, y, batch_size, steps, seed):
    for idx in batch_order(len(x), batch_size, steps, seed):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    return [m.weight.detach().T for m in model if isinstance(m, torch.nn.Linear)]


def our_weights(run, k=0):
    g = run.groups[0]
    return [W[g.indices.index(k)].detach().cpu() for W in g.model.weights()]  # the references run on the CPU


def test_l2_gradient_is_lambda_w_on_weights_only():
    g = make_groups([Variant("a", NetSpec(SIZES), OptimizerSpec.of("sgd"), l2=0.3)], 0, torch.device("cpu"))[0]
    g.model.zero_grad()
    add_l2_grad(g, torch.tensor([True]))
    for i, W in enumerate(g.model.weights()):
        penalty = 0.5 * 0.3 * W.pow(2).sum()
        (autograd,) = torch.autograd.grad(penalty, W)
        torch.testing.assert_close(W.grad, autograd)
        torch.testing.assert_close(W.grad, 0.3 * W.detach())
        assert torch.count_nonzero(getattr(g.model, f"b{i}").grad) == 0


def test_l1_step_soft_thresholds_weights_only_by_rate_times_lambda():
    variant = Variant(
        "a", NetSpec(SIZES, init="normal", init_std=0.1), OptimizerSpec.of("sgd", lr=0.5, decay=0.1), l1=0.04
    )
    g = make_groups([variant], 0, torch.device("cpu"))[0]
    with torch.no_grad():
        g.model.b0.normal_()
    g.model.zero_grad()
    for _ in range(3):  # zero gradients: only the L1 step moves anything; the rate decays to 0.5 / 1.2
        g.optimizer.step()
    before = [p.detach().clone() for p in g.model.parameters()]
    shrink_l1(g)
    tau = 0.5 / 1.2 * 0.04
    for (name, p), old in zip(g.model.named_parameters(), before):
        if name.startswith("W"):
            torch.testing.assert_close(p.detach(), torch.sign(old) * (old.abs() - tau).clamp(min=0))
            assert 0.1 < float((p == 0).float().mean()) < 0.9
        else:
            torch.testing.assert_close(p.detach(), old)


def test_sgd_with_l1_is_the_proximal_gradient_method_and_zeroes_weights(tiny):
    """Our L1 run equals torch SGD followed by soft-thresholding the weight matrices (ISTA)."""
    x, y = tiny
    net, lr, lam = NetSpec(SIZES), 0.1, 0.02
    run = train([Variant("l1", net, OptimizerSpec.of("sgd", lr=lr), l1=lam)], x, y, batch_size=50, steps=12, seed=3)
    ref = torch_reference(net, 3)
    opt = torch.optim.SGD(ref.parameters(), lr=lr)
    for idx in batch_order(len(x), 50, 12, 3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(ref(x[idx]), y[idx]).backward()
        opt.step()
        with torch.no_grad():
            for m in ref:
                if isinstance(m, torch.nn.Linear):
                    m.weight.copy_(torch.nn.functional.softshrink(m.weight, lr * lam))
    theirs = [m.weight.detach().T for m in ref if isinstance(m, torch.nn.Linear)]
    ours = our_weights(run)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    assert float(torch.cat([w.flatten() for w in ours]).eq(0).float().mean()) > 0.2  # 12 steps: about a third


def test_sgd_with_l2_in_the_loss_equals_torch_sgd_weight_decay(tiny):
    x, y = tiny
    net = NetSpec(SIZES, bias=False)  # torch decays every parameter; without biases both act on the same ones
    run = train([Variant("l2", net, OptimizerSpec.of("sgd", lr=0.05), l2=0.1)], x, y, batch_size=50, steps=12, seed=3)
    ref = torch_reference(net, 3)
    theirs = train_torch(ref, torch.optim.SGD(ref.parameters(), lr=0.05, weight_decay=0.1), x, y, 50, 12, 3)
    for a, b in zip(our_weights(run), theirs):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_decoupled_decay_matches_torch_adamw(tiny):
    x, y = tiny
    net = NetSpec(SIZES)
    opt = OptimizerSpec.of("adamw", lr=0.01, weight_decay=0.2, eps=1e-8)
    run = train([Variant("adamw", net, opt)], x, y, batch_size=50, steps=12, seed=4)
    ref = torch_reference(net, 4)
    theirs = train_torch(ref, torch.optim.AdamW(ref.parameters(), lr=0.01, weight_decay=0.2, eps=1e-8), x, y, 50, 12, 4)
    for a, b in zip(our_weights(run), theirs):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_l2_and_weight_decay_coincide_for_sgd_but_not_for_adam():
    spec = DecayVsL2(n_train=200, hidden=(16,), steps=20, record_every=5)
    paths = spec.run().frames["paths"]
    last = paths[paths.step == paths.step.max()].set_index(["method", "decay"])
    assert last.loc[("sgd", "l2"), "pair_distance"] < 1e-4 * last.loc[("sgd", "l2"), "weight_norm"]
    assert last.loc[("adam", "l2"), "pair_distance"] > 1e-2 * last.loc[("adam", "l2"), "weight_norm"]


def test_decay_variants_are_keyed_by_method_and_decay_form():
    variants = DecayVsL2().variants()
    keys = [(v.keys["method"], v.keys["decay"]) for v in variants]
    assert keys == [("sgd", "l2"), ("sgd", "decoupled"), ("adam", "l2"), ("adamw", "decoupled")]
    for v in variants:  # the key says where the decay lives: in the loss (l2) or in the optimizer
        assert (v.l2 > 0) == (v.keys["decay"] == "l2")
        assert (v.optimizer.hp.get("weight_decay", 0) > 0) == (v.keys["decay"] == "decoupled")
        assert v.optimizer.method == v.keys["method"]


def test_dropout_mask_rate_matches_p():
    net = NetSpec((784, 2000, 2000, 10), dropout=0.3)
    kept = dropped_units(net, seed=5)
    assert kept.shape == (2, 2000)
    assert abs(kept.mean() - 0.7) < 4 * math.sqrt(0.3 * 0.7 / kept.size)


@pytest.mark.parametrize("scaling", ["inverted", "test"])
def test_dropout_eval_is_deterministic_and_scaled_by_the_rule(scaling):
    x = torch.rand(8, 784)
    model = BatchedMLP([NetSpec(SIZES, dropout=0.4, dropout_scaling=scaling)], [0])
    plain = BatchedMLP([NetSpec(SIZES)], [0]).eval()
    model.eval()
    torch.testing.assert_close(model(x), model(x))
    h = torch.rand(1, 8, 32)
    expected = h if scaling == "inverted" else h * 0.6
    torch.testing.assert_close(model.dropout(h, torch.full((1, 1, 1), 0.4)), expected)
    if scaling == "inverted":
        torch.testing.assert_close(model(x), plain(x))
    else:
        assert not torch.allclose(model(x), plain(x))
    model.train()
    assert not torch.allclose(model(x), model(x))  # fresh masks every training forward


def test_inverted_and_test_time_scaling_give_the_training_expectation():
    x, _ = data.subset(1, "mnist", "train", 2)
    net = NetSpec((784, 64, 64, 10), dropout=0.5)
    few, many = expectation_gap(net, x, 400), expectation_gap(net, x, 16000)
    for rule in ("inverted", "test"):
        assert many[rule] < 0.05
        assert many[rule] < few[rule]  # the gap is sampling noise, not a bias
    assert many["unscaled"] > 0.3  # without any scaling test time is off by a factor 1/(1-p) = 2


def test_criterion_on_a_scripted_validation_loss():
    losses = [1.0, 0.8, 0.7, 0.71, 0.69, 0.695, 0.70, 0.72, 0.5]
    crit = Criterion("val_loss", patience=2)
    stopped_at = next(step for step, v in enumerate(losses, start=1) if crit.update(step, v))
    assert stopped_at == 7  # best 0.69 at 5; the second miss in a row (patience 2) stops
    assert crit.best_at == 5 and crit.best == 0.69


def test_criterion_min_delta_accuracy_and_zero_patience():
    crit = Criterion("val_acc", patience=0, min_delta=0.01)
    assert not crit.update(1, 0.50)
    assert crit.update(2, 0.505)  # better, but not by more than min delta
    assert crit.best_at == 1


def test_early_stopping_stops_and_restores_the_best_weights():
    net = NetSpec(SIZES)
    groups = make_groups([Variant(n, net, OptimizerSpec.of("sgd")) for n in "ab"], 0, torch.device("cpu"))
    g = groups[0]
    es = EarlyStopping([1], "val_loss", patience=2)
    row = g.indices.index(1)
    snapshots = []
    stopped = []
    for step, loss in enumerate([0.9, 0.5, 0.6, 0.7], start=1):
        with torch.no_grad():
            g.model.flat[row].add_(1.0)  # the weights change every epoch
        snapshots.append(g.model.flat[row].clone())
        stopped += es(step, {"val_loss": np.array([0.1, loss])}, groups)
    assert stopped == [1] and es.stopped_at == {1: 4} and es.best_step(1) == 2
    other = g.model.flat[1 - row].clone()
    es.restore(groups)
    torch.testing.assert_close(g.model.flat[row], snapshots[1])
    torch.testing.assert_close(g.model.flat[1 - row], other)  # the unwatched variant is untouched


def test_early_stopping_inside_training_freezes_the_variant():
    spec = EarlyStoppingRun(n_train=300, hidden=16, epochs=8, patience=0, min_delta=10.0, n_eval=50)
    result = spec.run()
    s = result.frames["summary"].set_index("variant")
    assert s.loc["early_stopping", "stopped_epoch"] == 2  # nothing beats the first epoch by 10
    assert s.loc["early_stopping", "kept_epoch"] == 1
    assert math.isnan(s.loc["none", "stopped_epoch"])
    curves = result.frames["curves"]
    assert curves[curves.variant == "early_stopping"].epoch.max() == 2
    assert curves[curves.variant == "none"].epoch.max() == 8


def test_ensemble_of_identical_members_is_the_single_network():
    logits = torch.randn(1, 50, 10).expand(4, 50, 10)
    y = torch.randint(0, 10, (50,))
    acc = growing_accuracy(logits, y)
    assert acc == [acc[0]] * 4


def test_ensemble_averages_probabilities_not_votes():
    # two members: confident wrong vs mildly right; the mean of probabilities follows confidence
    logits = torch.tensor([[[5.0, 0.0]], [[0.0, 0.5]]])
    assert growing_accuracy(logits, torch.tensor([1])) == [0.0, 0.0]
    assert growing_accuracy(logits, torch.tensor([0])) == [1.0, 1.0]


def test_ensemble_run_reports_members_and_dropout():
    spec = Ensemble(n_train=100, hidden=(16,), members=3, epochs=2, n_eval=50)
    result = spec.run()
    singles = result.frames["singles"]
    assert list(singles.variant) == ["member_1", "member_2", "member_3", "dropout"]
    assert list(singles.member.iloc[:3]) == [1, 2, 3] and singles.remedy.iloc[3] == "dropout"
    assert len(set(singles.test_acc.round(6))) > 1  # different initial weights, different networks
    assert list(result.frames["ensemble"].members) == [1, 2, 3]
    assert result.frames["ensemble"].test_acc.iloc[0] == pytest.approx(singles.test_acc.iloc[0], abs=1e-6)


def test_l2_narrows_the_gap_on_the_book_setting():
    spec = build("overfit", "book_l2", ["--epochs", "60", "--n_eval", "100"])
    result = spec.run()
    s = result.frames["summary"].set_index("variant")
    assert s.loc["none", "train_acc"] > 0.5  # it has learned something, so the gap means something
    assert s.loc["none", "gap"] > s.loc["l2", "gap"]
    w = result.frames["weights"]
    spread = {v: np.average(np.abs((g.left + g.right) / 2), weights=g["count"]) for v, g in w.groupby("variant")}
    assert spread["l2"] < spread["none"]  # decay keeps the weights smaller


def test_compare_all_runs_every_remedy_with_a_full_test_summary():
    spec = Overfitting(regularizer=("none", "l1", "dropout", "early_stopping", "batchnorm"), epochs=2, n_eval=50)
    result = spec.run()
    s = result.frames["summary"]
    assert list(s.variant) == list(spec.regularizer)
    assert s.test_acc.notna().all() and (s.gap == s.train_acc - s.test_acc).all()
    assert set(result.frames["curves"].metric) >= {"train_acc", "test_acc", "val_loss"}
    summary = spec.summary(result)
    assert set(summary["none"]["per_epoch"]) == {"1", "2"}
    zeros = result.extras["zeros"]
    assert zeros["l1"]["near_zero"] >= zeros["none"]["near_zero"]
    assert zeros["l1"]["exact_zero"] > zeros["none"]["exact_zero"] == 0.0


def test_a_diverging_remedy_is_marked_not_scored():
    spec = Overfitting(regularizer=("none", "dropout"), lr=10.0, epochs=3, n_eval=50)
    s = spec.run().frames["summary"]
    assert s.diverged_at.notna().all() and s.test_acc.isna().all()


@pytest.mark.parametrize(
    "changes",
    [
        {"regularizer": ("none", "magic")},
        {"regularizer": ("l2", "l2")},
        {"regularizer": ()},
        {"l2": -0.1},
        {"dropout": 1.0, "regularizer": ("dropout",)},
        {"patience": -1},
        {"optimizer": "rmsprop"},
        {"n_val": 0, "regularizer": ("early_stopping",)},
    ],
)
def test_impossible_settings_are_refused(changes):
    with pytest.raises(ValueError):
        Overfitting(**changes)


def test_cli_builds_the_book_preset_with_a_regularizer():
    spec = build("overfit", "book", ["--regularizer", "dropout"])
    assert spec.regularizer == ("dropout",) and spec.n_train == 300 and spec.epochs == 200
    assert spec.variant("dropout").net.dropout == 0.15
    assert spec.variant("l2").l2 == 0.1 and spec.variant("l2").net.dropout == 0.0


def test_every_remedy_is_keyed_by_itself_in_the_frames():
    spec = Overfitting(regularizer=("none", "l2", "dropout"), epochs=1, n_eval=50)
    assert [spec.variant(r).keys for r in spec.regularizer] == [{"remedy": r} for r in spec.regularizer]
    frames = spec.run().frames
    for name in ("curves", "summary", "weights"):
        assert (frames[name].remedy == frames[name].variant).all(), name


def test_split_curves_name_the_split_and_keep_the_keys():
    curves = pd.DataFrame(
        {
            "variant": ["a"] * 4,
            "epoch": [1.0] * 4,
            "metric": ["train_acc", "test_acc", "val_loss", "train_loss"],
            "value": [0.9, 0.8, 0.5, 0.4],
            "remedy": ["none"] * 4,
        }
    )
    acc = split_curves(curves)
    assert list(acc.split) == ["train", "test"] and list(acc.value) == [0.9, 0.8] and set(acc.remedy) == {"none"}
    loss = split_curves(curves, monitored_measure("val_loss"), ("train", "val"))
    assert dict(zip(loss.split, loss.value)) == {"val": 0.5, "train": 0.4}
    assert monitored_measure("val_acc") == "acc"
    with pytest.raises(ValueError):
        monitored_measure("loss")


def test_early_stopping_variants_and_when_the_lecture_numbers_apply():
    assert [v.keys for v in EarlyStoppingRun().variants()] == [{"remedy": "none"}, {"remedy": "early_stopping"}]
    lecture = EarlyStoppingRun.presets()["lecture"]
    assert lecture.lecture_comparable and lecture.n_train == 0 and lecture.epochs == 50
    assert replace(lecture, patience=1, monitor="val_acc").lecture_comparable  # early stopping's knobs only
    assert not replace(lecture, epochs=49).lecture_comparable
    assert not EarlyStoppingRun().lecture_comparable  # 6,000 images
    assert EarlyStoppingRun.LECTURE == {"train_acc": 0.9957, "test_acc": 0.9801}


def test_ensemble_bars_and_facts_follow_the_members():
    singles = pd.DataFrame(
        {
            "variant": ["member_1", "member_2", "dropout"],
            "test_acc": [0.8, 0.9, 0.7],
            "member": [1, 2, None],
            "remedy": [None, None, "dropout"],
        }
    )
    grow = pd.DataFrame({"members": [1, 2], "test_acc": [0.8, 0.95]})
    result = Result({"singles": singles, "ensemble": grow}, {})
    bars = ensemble_bars(result)
    assert list(bars.kind) == ["single", "single", "ensemble", "dropout"]
    assert list(bars.test_acc) == [0.8, 0.9, 0.95, 0.7] and bars.remedy.iloc[2] == "ensemble"
    facts = ensemble_facts(result)
    assert (facts.mean_single, facts.best_single, facts.ensemble) == pytest.approx((0.85, 0.9, 0.95))
    assert facts.case == "beats_best" and facts.members == 2 and facts.dropout == pytest.approx(0.7)


def test_the_pages_choices_are_all_valid_settings():
    assert BOOK_LR == {"sgd": 0.01, "adam": 0.001}  # the book's SGD rate; Adam's default
    assert Overfitting().lr == BOOK_LR["sgd"] and DecayVsL2().adam_lr == BOOK_LR["adam"]
    assert TRAIN_SIZES[0] == Overfitting().n_train and EarlyStoppingRun().n_train in ES_SIZES
    for lam in LAMBDAS:
        Overfitting(regularizer=DECAY_REMEDIES, l2=lam, l1=lam)
        DecayVsL2(lam=lam)
    for n in TRAIN_SIZES:
        Overfitting(n_train=n, regularizer=("none",))
    for n in ES_SIZES:
        EarlyStoppingRun(n_train=n)
    for opt in BOOK_LR:
        Overfitting(regularizer=DECAY_REMEDIES, optimizer=opt, lr=BOOK_LR[opt])
    assert set(dropout_expectation(0.5, samples=50)) == set(SCALING_RULES)


def test_dropout_mask_covers_the_book_network():
    cells = dropout_mask(0.5, seed=1)
    assert len(cells) == 6 * 100 and cells.layer.max() == 6 and cells.unit.max() == 100
    assert 0.35 < cells.kept.mean() < 0.65
    assert dropout_mask(0.0, seed=1).kept.all()
    assert not cells.equals(dropout_mask(0.5, seed=2))


def overfit_summary(rows: dict[str, tuple[float, float]], stopped: dict | None = None) -> pd.DataFrame:
    """A summary frame as `final_summary` writes it: variant -> (train accuracy, test accuracy)."""
    frame = pd.DataFrame(
        [(v, train, test, train - test, math.nan) for v, (train, test) in rows.items()],
        columns=["variant", "train_acc", "test_acc", "gap", "diverged_at"],
    )
    frame["stopped_epoch"] = [(stopped or {}).get(v, math.nan) for v in rows]
    frame["kept_epoch"] = math.nan
    return frame.assign(remedy=frame.variant)


def test_overfitting_facts_say_when_remedies_do_not_do_what_the_book_shows():
    spec = Overfitting(regularizer=("none", "l1", "batchnorm", "l2_dropout", "early_stopping"), epochs=30)
    rows = {"none": (0.45, 0.39), "l1": (0.37, 0.33), "batchnorm": (0.98, 0.41), "l2_dropout": (0.27, 0.22)}
    rows["early_stopping"] = (0.45, 0.39)
    zeros = {"l1": {"exact_zero": 0.064, "near_zero": 0.1, "max_abs": 0.6}}
    facts = overfitting_facts(spec, Result({"summary": overfit_summary(rows)}, {"zeros": zeros}))
    assert facts.case == "unfit"  # 45 % of the training images: nothing to overfit yet
    found = {f.variant: f for f in facts.remedies}
    assert found["batchnorm"].widened and not found["batchnorm"].narrowed
    assert found["batchnorm"].test_change == pytest.approx(0.02) and facts.best == "batchnorm"
    assert found["l1"].narrowed and found["l2_dropout"].underfit and not found["batchnorm"].underfit
    assert found["early_stopping"].stopped_epoch is None and not found["early_stopping"].narrowed
    assert not facts.l1.sparse and facts.l1.exact_zero == 0.064  # the measured share, not the book's
    assert facts.l1.step_pull == pytest.approx(spec.lr * spec.l1) and facts.l1.run_pull == pytest.approx(
        spec.lr * spec.l1 * spec.steps
    )


def test_overfitting_facts_on_the_books_picture_and_without_a_baseline():
    spec = Overfitting(regularizer=("none", "l2", "weight_decay"), optimizer="adam", lr=0.001)
    rows = {"none": (1.0, 0.81), "l2": (0.86, 0.75), "weight_decay": (1.0, 0.805)}
    facts = overfitting_facts(spec, Result({"summary": overfit_summary(rows)}, {}))
    assert facts.case == "memorized" and facts.best == "none" and facts.l1 is None
    assert facts.baseline.gap == pytest.approx(0.19)
    assert facts.decay.method == "adamw" and facts.decay.step_factor == pytest.approx(1 - 0.001 * 0.1)
    assert facts.decay.run_factor == pytest.approx((1 - 0.001 * 0.1) ** spec.steps)
    solo = Result({"summary": overfit_summary({"l2": (0.86, 0.75)})}, {})
    assert overfitting_facts(replace(spec, regularizer=("l2",)), solo).case == "no_baseline"


def test_decay_demo_facts_follow_the_measured_norms_even_against_the_usual_account():
    paths = pd.DataFrame(
        [(v, 0, 20.5, 0.0) for v in ("sgd_l2", "sgd_weight_decay", "adam_l2", "adamw")]
        + [("sgd_l2", 300, 15.4, 0.0), ("sgd_weight_decay", 300, 15.4, 0.0)]
        + [("adam_l2", 300, 5.2, 20.0), ("adamw", 300, 22.3, 20.0)],
        columns=["variant", "step", "weight_norm", "pair_distance"],
    )
    spec = DecayVsL2()
    facts = decay_demo_facts(spec, Result({"paths": paths}, {}))
    assert (facts.start, facts.steps, facts.most, facts.least) == (20.5, 300, "adam_l2", "adamw")
    assert facts.end["adamw"] == 22.3 and facts.sgd_same and facts.adam_distance == 20.0
    assert not facts.expected  # Adam + L2 shrank the weights more than AdamW
    assert facts.adamw_step == pytest.approx(spec.adam_lr * spec.lam)
    assert facts.adamw_factor == pytest.approx((1 - spec.adam_lr * spec.lam) ** 300) and not facts.adamw_visible
    paths.loc[paths.variant == "adamw", "weight_norm"] = [20.5, 3.0]
    paths.loc[(paths.variant == "sgd_l2") & (paths.step == 300), "pair_distance"] = 0.5
    facts = decay_demo_facts(spec, Result({"paths": paths}, {}))
    assert facts.expected and facts.most == "adamw" and not facts.sgd_same


def test_decay_demo_records_the_common_starting_norm():
    spec = DecayVsL2(n_train=100, steps=2, record_every=1)
    paths = spec.run().frames["paths"]
    start = paths[paths.step == 0]
    assert len(start) == 4 and start.weight_norm.nunique() == 1 and (start.pair_distance == 0).all()
    assert decay_demo_facts(spec, Result({"paths": paths}, {})).start == start.weight_norm.iloc[0]


def es_result(val_loss: list[float], val_acc: list[float], test: tuple[float, float], stopped, kept) -> Result:
    """An `EarlyStoppingRun` result with these validation curves (from epoch 0), test accuracies
    (without, with early stopping), stopping and kept epochs."""
    epochs = range(len(val_loss))
    curves = pd.DataFrame(
        [(v, e, "val_loss", x) for v in ("none", "early_stopping") for e, x in zip(epochs, val_loss)]
        + [(v, e, "val_acc", x) for v in ("none", "early_stopping") for e, x in zip(epochs, val_acc)],
        columns=["variant", "epoch", "metric", "value"],
    ).astype({"epoch": float})
    summary = pd.DataFrame(
        {
            "variant": ["none", "early_stopping"],
            "train_acc": [1.0, 0.99],
            "test_acc": list(test),
            "gap": [1.0 - test[0], 0.99 - test[1]],
            "stopped_epoch": [math.nan, stopped],
            "kept_epoch": [math.nan, kept],
            "diverged_at": math.nan,
            "remedy": ["none", "early_stopping"],
        }
    )
    return Result({"curves": curves, "summary": summary}, {})


def test_early_stopping_facts_say_when_it_cost_test_accuracy_and_why():
    spec = EarlyStoppingRun(epochs=5)
    result = es_result([2.3, 0.5, 0.27, 0.28, 0.30, 0.31], [0.1, 0.9, 0.93, 0.935, 0.938, 0.94], (0.9428, 0.9394), 4, 2)
    facts = early_stopping_facts(spec, result)
    assert facts.case == "hurt" and facts.test_change == pytest.approx(-0.0034)
    assert (facts.best_epoch, facts.best_value, facts.last_value) == (2.0, 0.27, 0.31) and facts.worsened
    assert (facts.stopped_epoch, facts.kept_epoch) == (4.0, 2.0)
    assert facts.acc_rose_after and (facts.val_acc_kept, facts.val_acc_last) == (0.93, 0.94)
    assert facts.lecture is None  # 6,000 images are not the lecture's setting


def test_early_stopping_facts_put_the_lecture_beside_the_run_only_on_its_setting():
    lecture = EarlyStoppingRun.presets()["lecture"]
    result = es_result([2.3, 0.1, 0.09], [0.1, 0.97, 0.975], (0.9797, 0.9798), math.nan, 2)
    facts = early_stopping_facts(lecture, result)
    assert facts.case == "same" and facts.stopped_epoch is None and not facts.worsened
    assert facts.lecture["train_printed"] == 0.9957 and facts.lecture["test_printed"] == 0.9801
    assert facts.lecture["train_diff"] == pytest.approx(1.0 - 0.9957)
    assert facts.lecture["test_diff"] == pytest.approx(0.9797 - 0.9801)
    assert early_stopping_facts(replace(lecture, epochs=2), result).lecture is None


def test_early_stopping_curves_start_before_the_first_step():
    spec = EarlyStoppingRun(n_train=500, epochs=1, n_eval=100)
    curves = spec.run().frames["curves"]
    start = curves[curves.epoch == 0]
    assert set(start.metric) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert set(start.variant) == {"none", "early_stopping"} and (start.remedy == start.variant).all()
    loss = start[start.metric == "val_loss"].value
    assert (
        loss.nunique() == 1 and loss.iloc[0] > curves[(curves.epoch == 1) & (curves.metric == "val_loss")].value.max()
    )
    variants = spec.variants()
    x, y = data.subset(10, "mnist", "test", 0)
    assert len(start_curves(variants, {"test": (x, y)}, 0)) == 2 * len(variants)


def test_ensemble_facts_say_when_the_ensemble_does_not_beat_its_best_member():
    singles = pd.DataFrame(
        {
            "variant": ["member_1", "member_2", "member_3", "dropout"],
            "test_acc": [0.39, 0.54, 0.40, 0.45],
            "member": [1, 2, 3, None],
            "remedy": [None, None, None, "dropout"],
        }
    )
    grow = pd.DataFrame({"members": [1, 2, 3], "test_acc": [0.39, 0.50, 0.52]})
    facts = ensemble_facts(Result({"singles": singles, "ensemble": grow}, {}))
    assert facts.case == "beats_mean" and facts.best_single == 0.54 and facts.worst_single == 0.39
    assert facts.most_by == 2 and facts.dropout > facts.mean_single
    one = Result({"singles": singles.iloc[[0, 3]], "ensemble": grow.iloc[:1]}, {})
    assert ensemble_facts(one).case == "single" and ensemble_facts(one).most_by is None
