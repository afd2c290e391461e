"""The 2-D playground's course data: presets, the lecture's printed results, where paths end."""

import numpy as np
import pytest

from core import playground
from core.optimizers import METHODS, OptimizerSpec
from core.playground import KNOU_PRINTED, PRESETS, Race
from core.surfaces import SURFACES, path


def test_knou_lecture_printed_results():
    """COURSE.md: 100 iterations from (-5, 4) at lr 0.01 on J = x1^2 + (2 x2)^2 - x1 x2."""
    assert set(KNOU_PRINTED) == {"sgd", "momentum", "nesterov"}
    for method, expected in KNOU_PRINTED.items():
        final = path(
            "knou",
            OptimizerSpec.of(method, lr=0.01, momentum=0.9) if method != "sgd" else OptimizerSpec.of("sgd", lr=0.01),
            (-5.0, 4.0),
            playground.KNOU_STEPS,
        )[-1]
        np.testing.assert_allclose(final, expected, rtol=5e-3, atol=5e-5)


def test_the_knou_preset_reproduces_the_printed_results():
    """The lecture's preset, run as the page runs it, ends where the lecture printed."""
    race = PRESETS["knou"]
    assert SURFACES[race.surface].start == (-5.0, 4.0) and race.steps == 100
    hypers = race.hypers()
    specs = [OptimizerSpec.of(m, **hypers[m]) for m in race.methods]
    ends = playground.endpoints(playground.race(race.surface, specs, (-5.0, 4.0), race.steps), race.surface, 100)
    for row in ends.itertuples():
        np.testing.assert_allclose((row.x, row.y), row.printed, rtol=5e-3, atol=5e-5)
    assert ends.diverged_at.isna().all()


def test_book_preset_holds_figure_6_8s_rates_and_defaults_elsewhere():
    race = PRESETS["book"]
    assert race.surface == "book" and race.steps == 30 and race.panels
    hypers = race.hypers()
    assert {m: hypers[m]["lr"] for m in race.methods} == {"sgd": 0.95, "momentum": 0.1, "adagrad": 1.5, "adam": 0.3}
    assert set(hypers) == set(METHODS)  # every method's knobs get a value, racing or not
    assert hypers["rmsprop"]["lr"] == playground.PLAYGROUND_LR["rmsprop"]
    assert hypers["momentum"]["momentum"] == next(h.default for h in METHODS["momentum"].hypers if h.name == "momentum")
    assert PRESETS["knou_adaptive"].hypers()["rmsprop"]["rho"] == 0.9


def test_a_diverging_path_is_noted_at_the_step_it_left():
    specs = [OptimizerSpec.of("sgd", lr=10.0), OptimizerSpec.of("adam", lr=0.3)]
    paths = playground.race("book", specs, (-7.0, 2.0), 200)
    assert list(paths.columns[:2]) == ["variant", "method"] and set(paths.method) == {"sgd", "adam"}
    ends = playground.endpoints(paths, "book", 200).set_index("method")
    sgd = paths[paths.method == "sgd"]
    first_nan = int(sgd[sgd.x.isna()].step.min())
    assert ends.loc["sgd", "diverged_at"] == first_nan
    assert np.isnan(ends.loc["adam", "diverged_at"])
    assert ends.printed.isna().all()  # only the lecture's race has printed results
    last = sgd.dropna().iloc[-1]
    assert (ends.loc["sgd", "x"], ends.loc["sgd", "y"]) == (last.x, last.y)


@pytest.mark.parametrize("bad", [dict(surface="flat"), dict(methods={"sgdx": {}})])
def test_impossible_races_are_refused(bad):
    with pytest.raises(ValueError):
        Race(**{"surface": "book", "methods": {"sgd": {}}, "steps": 10, **bad})
