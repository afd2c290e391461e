"""MSE vs cross-entropy on a sigmoid neuron and softmax log-likelihood, against the lecture's
numbers and PyTorch's autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core import loss_functions as lf


def test_lecture_mse_cases_and_their_gradients():
    small, big = (lf.neuron_case("mse", w, b) for w, b in lf.LECTURE_CASES)
    assert small.o == pytest.approx(0.7503, abs=5e-5) and big.o == pytest.approx(0.9971, abs=5e-5)
    assert small.error == pytest.approx(0.2815, abs=1e-4)  # the lecture squares the rounded 0.7503
    assert big.error == pytest.approx(0.4971, abs=5e-5)
    assert abs(big.grad_w) < abs(small.grad_w)  # more wrong, yet a smaller gradient
    assert small.grad_w == pytest.approx(0.2109, abs=5e-5)
    assert small.grad_b == pytest.approx(0.1406, abs=5e-5)


def test_cross_entropy_bits_match_the_lecture():
    assert float(lf.cross_entropy(0.98, 1, base=2)) == pytest.approx(0.0291, abs=5e-5)
    assert float(lf.cross_entropy(0.0001, 1, base=2)) == pytest.approx(13.2877, abs=5e-5)


@pytest.mark.parametrize("name", lf.LOSSES)
@pytest.mark.parametrize("w, b, x, y", [(0.2, 0.8, 1.5, 0.0), (1.9, 3.0, 1.5, 0.0), (-2.0, 0.5, 0.7, 1.0)])
def test_gradients_match_autograd_and_closed_forms(name, w, b, x, y):
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    o = torch.sigmoid(wt * x + bt)
    yt = torch.tensor(y, dtype=torch.float64)
    e = 0.5 * (yt - o) ** 2 if name == "mse" else F.binary_cross_entropy(o, yt) / np.log(2)  # in bits
    e.backward()
    c = lf.neuron_case(name, w, b, x, y)
    assert c.error == pytest.approx(e.item())
    assert c.grad_w == pytest.approx(float(wt.grad)) and c.grad_b == pytest.approx(float(bt.grad))
    closed = (c.o - y) * c.o * (1 - c.o) if name == "mse" else (c.o - y) / np.log(2)
    assert c.grad_b == pytest.approx(closed) and c.grad_w == pytest.approx(closed * x)


def test_cross_entropy_recovers_where_mse_crawls():
    w, b = lf.LECTURE_CASES[1]
    mse, _ = lf.train_neuron("mse", w, b, lr=0.15, steps=300)
    ce, _ = lf.train_neuron("ce", w, b, lr=0.15, steps=300)
    assert mse[0] == pytest.approx(0.4971, abs=5e-5)
    mse_left = mse[-1] / mse[0]
    ce_left = ce[-1] / ce[0]
    assert ce_left < 0.01 < mse_left


def test_softmax_worked_numbers():
    o = lf.softmax(lf.LECTURE_LOGITS)
    assert o == pytest.approx([0.1131, 0.0508, 0.8360], abs=5e-5)
    # the lecture takes the logs of the rounded probabilities; exact values differ in the 3rd decimal
    assert -np.log2(np.round(o, 4)) == pytest.approx([3.1443, 4.2990, 0.2584], abs=5e-5)
    assert lf.log_likelihood_losses(lf.LECTURE_LOGITS) == pytest.approx([3.1443, 4.2990, 0.2584], abs=2e-3)
    z = torch.tensor(lf.LECTURE_LOGITS, dtype=torch.float64)
    assert o == pytest.approx(torch.softmax(z, 0).numpy())
    for target in range(3):
        ce = F.cross_entropy(z[None], torch.tensor([target])) / np.log(2)
        assert lf.log_likelihood_losses(lf.LECTURE_LOGITS)[target] == pytest.approx(float(ce))


def test_softmax_survives_big_logits():
    assert np.all(np.isfinite(lf.softmax([1000.0, 0.0, -1000.0])))


def test_lecture_case_rows_carry_both_losses():
    rows = lf.lecture_cases()
    assert len(rows) == len(lf.LECTURE_CASES)
    for row, (w, b) in zip(rows, lf.LECTURE_CASES):
        assert (row["w"], row["b"]) == (w, b)
        for name in lf.LOSSES:
            case = lf.neuron_case(name, w, b)
            assert row[f"grad_w_{name}"] == case.grad_w and row[f"error_{name}"] == case.error
    assert abs(rows[1]["grad_w_mse"]) < abs(rows[0]["grad_w_mse"])  # the more wrong neuron learns slower
    assert abs(rows[1]["grad_w_ce"]) > abs(rows[0]["grad_w_ce"])


def test_neuron_run_trains_both_losses_and_validates():
    outputs = lf.NeuronRun(case=2, lr=0.5, steps=50).outputs()
    assert set(outputs) == set(lf.LOSSES) and all(len(o) == 51 for o in outputs.values())
    assert outputs["ce"][-1] < outputs["mse"][-1]  # from the saturated start, CE heads for 0 sooner
    for kw in ({"case": 3}, {"lr": 0.0}, {"steps": -1}):
        with pytest.raises(ValueError):
            lf.NeuronRun(**kw)


def test_logits_are_parsed_or_refused():
    assert np.allclose(lf.parse_logits("2.0; 1.2, 4"), [2.0, 1.2, 4.0])
    for text in ("2, banana", "3", "1, inf", ""):
        with pytest.raises(ValueError):
            lf.parse_logits(text)


def test_lecture_rounding_applies_to_the_lecture_logits_only():
    bits = lf.lecture_rounded_bits(np.array(lf.LECTURE_LOGITS))
    assert np.allclose(bits, -np.log2([0.1131, 0.0508, 0.8360]))
    assert lf.lecture_rounded_bits(np.array([1.0, 2.0])) is None


def test_every_printed_number_sits_beside_its_computed_value():
    rows = lf.printed_comparison()
    assert {r["what"] for r in rows} == {"mse_error", "ce_bits", "softmax", "softmax_bits"}
    for r in rows:  # the lecture rounds to four decimals, and takes logs of rounded probabilities
        assert r["computed"] == pytest.approx(r["printed"], abs=2e-3)
    assert {r["what"] for r in lf.printed_comparison((1.0, 2.0))} == {"mse_error", "ce_bits"}  # not its logits


def test_the_neuron_facts_say_when_mse_moves_first():
    saturated = lf.neuron_facts(lf.NeuronRun(case=2, lr=0.5, steps=400).outputs())
    assert saturated.case == "ce_first" and saturated.crossed["ce"] < saturated.crossed["mse"]
    mild = {"mse": np.array([0.75, 0.6, 0.4, 0.3]), "ce": np.array([0.75, 0.7, 0.6, 0.45])}
    facts = lf.neuron_facts(mild)  # a made-up run where the textbook expectation fails
    assert facts.case == "mse_first" and facts.crossed == {"mse": 2, "ce": 3} and facts.final["ce"] == 0.45
    slow = lf.neuron_facts(lf.NeuronRun(case=2, lr=0.001, steps=5).outputs())
    assert slow.case == "neither" and slow.crossed == {"mse": None, "ce": None}


def test_softmax_facts_name_the_most_and_least_probable_class():
    f = lf.softmax_facts(lf.LECTURE_LOGITS)
    assert (f.top, f.bottom) == (2, 1) and f.top_bits == pytest.approx(0.2584, abs=1e-3)
    assert f.bottom_p == pytest.approx(0.0508, abs=1e-4)
