"""The MNIST learning-rate experiments on tiny subsets: sweep, finder, schedules, clipping."""

import numpy as np
import pandas as pd
import pytest

from core.experiments.clipping import CLIPPINGS, ClippingComparison, clipping_facts
from core.experiments.learning_rate import (
    CHANCE_LOSS,
    FINDER_MARKS,
    LEARNED,
    LRFinder,
    LRSweep,
    ScheduleComparison,
    finder_facts,
    finder_marks,
    finder_suggestion,
    finder_view,
    schedule_facts,
    sweep_facts,
)
from core.spec import Result

TINY = dict(hidden=(16,), n_train=200, batch_size=50)


def test_sweep_marks_a_huge_rate_as_diverged():
    spec = LRSweep(lrs=(0.01, 10.0), iterations=20, hidden=(64, 64), n_train=200, batch_size=50)
    result = spec.run()
    s = spec.summary(result)
    assert set(s) == {"lr=0.01", "lr=10"}
    assert s["lr=0.01"]["diverged_at"] is None and np.isfinite(s["lr=0.01"]["final_smoothed_loss"])
    assert s["lr=10"]["diverged_at"] is not None
    summary = result.frames["summary"].set_index("variant")
    assert summary.loc["lr=10", "lr"] == 10.0 and summary.loc["lr=0.01", "lr"] == 0.01  # the rate, as a number
    assert set(result.frames["curves"]["lr"]) == {0.01, 10.0}


def test_sweep_validates():
    with pytest.raises(ValueError):
        LRSweep(lrs=())
    with pytest.raises(ValueError):
        LRSweep(lrs=(100.0,))
    with pytest.raises(ValueError):
        LRSweep(optimizer="nope")


def test_finder_sweeps_exponentially_and_suggests_a_rate_inside_it():
    spec = LRFinder(iterations=60, lr_min=1e-4, lr_max=10.0, **TINY)
    result = spec.run()
    curve = result.frames["curve"]
    assert curve["lr"].iloc[0] == pytest.approx(1e-4) and curve["lr"].iloc[-1] == pytest.approx(10.0)
    assert np.allclose(np.diff(np.log(curve["lr"])), np.log(1e5) / 59)
    steepest = result.extras["steepest"]
    assert steepest is None or 1e-4 <= steepest <= 10.0
    assert set(finder_marks(result)) <= set(FINDER_MARKS)


def test_finder_view_cuts_at_the_blow_up_and_names_the_rate_there():
    curve = pd.DataFrame({"lr": np.logspace(-3, 0, 10), "loss": 1.0, "smoothed": 1.0})
    shown, cut_at = finder_view(Result({"curve": curve}, {"cut": 6, "steepest": 0.01, "min_over_10": None}))
    assert len(shown) == 6 and cut_at == pytest.approx(curve["lr"].iloc[6])
    shown, cut_at = finder_view(Result({"curve": curve}, {"cut": 1}))
    assert len(shown) == 3  # always a few points to draw
    shown, cut_at = finder_view(Result({"curve": curve}, {"cut": None}))
    assert len(shown) == 10 and cut_at is None
    assert finder_marks(Result({"curve": curve}, {"steepest": 0.01, "min_over_10": None})) == {"steepest": 0.01}


def test_finder_suggestion_on_a_known_curve():
    lr = np.logspace(-5, 1, 200)
    x = np.log10(lr)
    loss = 2.3 - 2.0 / (1 + np.exp(-3 * (x + 2.5))) + np.where(x > -0.5, np.exp(3 * (x + 0.5)) - 1, 0)
    found = finder_suggestion(lr, loss, beta=0.0)
    assert 10**-3 < found["steepest"] < 10**-2  # the steepest fall is at log lr = -2.5
    assert found["cut"] < len(lr)  # the blow-up at the end is cut off


def test_schedules_run_in_lockstep():
    spec = ScheduleComparison(names=("constant", "cosine"), iterations=20, **TINY)
    result = spec.run()
    curves = result.frames["curves"]
    loss = curves[curves.metric == "loss"].pivot(index="step", columns="variant", values="value")
    assert loss.loc[1, "constant"] == pytest.approx(loss.loc[1, "cosine"])  # same start, same batch
    assert not np.allclose(loss["constant"], loss["cosine"])
    assert set(result.frames["summary"]["schedule"]) == {"constant", "cosine"}


def test_schedule_rates_are_known_before_training():
    spec = ScheduleComparison(lr=0.5, names=("constant", "cosine"), final=0.1, iterations=20, **TINY)
    rates = spec.rates().pivot(index="step", columns="schedule", values="lr")
    assert list(rates.index) == list(range(1, 21))
    assert np.allclose(rates["constant"], 0.5)
    assert rates["cosine"].iloc[0] == pytest.approx(0.5) and rates["cosine"].is_monotonic_decreasing


def test_clipping_records_the_gradient_norm_and_tames_the_explosion():
    spec = ClippingComparison(iterations=15, hidden=(32,) * 6, n_train=200, batch_size=50)
    result = spec.run()
    curves = result.frames["curves"]
    norms = curves[curves.metric == "grad_norm"]
    assert set(norms.variant) == set(CLIPPINGS)
    assert (norms["clipping"] == norms["variant"]).all()  # keyed by what varies
    first = norms[norms.step == 1].set_index("variant")["value"]
    assert first["no_clip"] == pytest.approx(first["clip_norm"])  # recorded before norm clipping
    summary = spec.summary(result)
    assert summary["clip_norm"]["diverged_at"] is None
    loss = curves[curves.metric == "loss"]
    worst = loss.groupby("variant")["value"].max()
    assert worst["clip_norm"] < worst["no_clip"] or summary["no_clip"]["diverged_at"] is not None
    assert isinstance(result.frames["summary"], pd.DataFrame)


def summary_of(key: str, rows: dict) -> Result:
    """A result whose summary has one row per `key` value: (final loss, diverged at, test acc)."""
    frame = pd.DataFrame(
        [
            {"variant": f"{key}={v}" if key == "lr" else v, key: v, "final_loss": loss, "test_acc": acc}
            for v, (loss, _, acc) in rows.items()
        ]
    )
    frame["diverged_at"] = pd.array([d for _, d, _ in rows.values()], dtype="Int64")
    return Result({"summary": frame})


LOW = 0.2  # a final loss that learned (below LEARNED of chance)


def test_the_sweep_names_its_best_rate_and_says_when_it_is_at_the_edge():
    assert LOW < LEARNED * CHANCE_LOSS < 2.0
    valley = sweep_facts(summary_of("lr", {0.01: (2.0, None, 0.3), 0.1: (LOW, None, 0.95), 10.0: (None, 3, None)}))
    assert valley.case == "valley" and valley.best == 0.1 and valley.best_loss == LOW and valley.best_acc == 0.95
    assert valley.crawled == (0.01,) and valley.unstable == () and valley.diverged == ((10.0, 3),)
    rough = sweep_facts(summary_of("lr", {0.001: (2.2, None, 0.2), 0.1: (LOW, None, 0.9), 1.0: (2.0, None, 0.3)}))
    assert rough.crawled == (0.001,) and rough.unstable == (1.0,)  # too large, not too small
    edge = sweep_facts(summary_of("lr", {0.001: (2.2, None, 0.2), 0.01: (0.5, None, 0.8), 0.1: (LOW, None, 0.9)}))
    assert edge.case == "edge_high" and edge.best == 0.1  # the textbook's valley is not in this range
    assert sweep_facts(summary_of("lr", {0.1: (2.2, None, 0.2), 1.0: (None, 2, None)})).case == "none"


def test_schedules_say_when_a_constant_rate_beats_decay_and_when_not():
    def facts(constant, cosine):
        return schedule_facts(summary_of("schedule", {"constant": constant, "cosine": cosine}))

    won = facts((LOW, None, None), (0.3, None, None))
    assert won.case == "constant_best" and won.best == "constant" and won.constant_loss == LOW
    decay = facts((0.3, None, None), (LOW, None, None))
    assert decay.case == "decay_best" and decay.best == "cosine" and decay.best_loss == LOW
    assert facts((0.3, None, None), (0.3 * 0.99, None, None)).case == "tie"
    assert facts((None, 5, None), (LOW, None, None)).case == "constant_failed"


def test_clipping_facts_say_which_variant_trained():
    def facts(no_clip, norm, value):
        return clipping_facts(summary_of("clipping", dict(zip(CLIPPINGS, (no_clip, norm, value)))))

    expected = facts((None, 4, None), (LOW, None, None), (2.25, None, None))
    assert expected.case == "expected" and expected.learned == ("clip_norm",)
    assert expected.outcomes["no_clip"].diverged_at == 4 and expected.outcomes["clip_value"].final_loss == 2.25
    both = facts((LOW, None, None), (LOW, None, None), (LOW, None, None))
    assert both.case == "no_clip_learned"  # the textbook's explosion did not happen here
    assert facts((None, 2, None), (None, 3, None), (2.3, None, None)).case == "none"


def test_finder_facts_read_its_suggestions_and_its_blowup():
    lr = np.geomspace(1e-4, 10, 60)
    falling = np.concatenate([np.full(20, 2.3), np.linspace(2.3, 0.3, 30), np.geomspace(0.3, 50, 10)])
    found = finder_suggestion(lr, falling)
    curve = pd.DataFrame({"step": np.arange(1, 61), "lr": lr, "loss": falling, "smoothed": found.pop("smoothed")})
    facts = finder_facts(Result({"curve": curve}, extras=found))
    assert facts.case == "suggested" and facts.steepest == found["steepest"] and facts.blew_up_at is not None
    still = finder_suggestion(lr[:50], falling[:50])  # stopped before the blow-up
    short = curve.iloc[:50].assign(smoothed=still.pop("smoothed"))
    assert finder_facts(Result({"curve": short}, extras=still)).case == "no_blowup"
    rising = finder_suggestion(lr, np.geomspace(2.3, 50, 60))  # the textbook's fall never came
    curve = curve.assign(loss=np.geomspace(2.3, 50, 60), smoothed=rising.pop("smoothed"))
    facts = finder_facts(Result({"curve": curve}, extras=rising))
    assert facts.case == "no_fall" and facts.steepest is None
