"""The 2-D playground's course data: presets, the lecture's printed results, where paths end."""

import numpy as np
import pytest

from core import playground
from core.optimizers import METHODS, OptimizerSpec
from core.playground import KNOU_PRINTED, PRESETS, Race
from core.surfaces import SURFACES, path, view


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
    paths = playground.race(race.surface, specs, (-5.0, 4.0), race.steps)
    ends = playground.endpoints(paths, race.surface, 100, specs)
    for row in ends.itertuples():
        np.testing.assert_allclose((row.x, row.y), row.printed, rtol=5e-3, atol=5e-5)
        assert row.gap == pytest.approx(np.hypot(row.x - row.printed[0], row.y - row.printed[1]))
    assert ends.diverged_at.isna().all()


@pytest.mark.parametrize(
    "change",
    [dict(start=(-4.0, 4.0)), dict(steps=99), dict(lr=0.02)],
)
def test_printed_points_only_beside_the_lectures_own_settings(change):
    """Off the lecture's start, step count or rate the app's points are not the printed ones."""
    start, steps = change.get("start", (-5.0, 4.0)), change.get("steps", 100)
    specs = [OptimizerSpec.of("sgd", lr=change.get("lr", 0.01)), OptimizerSpec.of("adagrad", lr=0.1)]
    ends = playground.endpoints(playground.race("knou", specs, start, steps), "knou", steps, specs)
    assert ends.printed.isna().all() and ends.gap.isna().all()


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


def race_facts(surface: str, specs: list[OptimizerSpec], steps: int, start=None) -> playground.RaceFacts:
    start = start or SURFACES[surface].start
    paths = playground.race(surface, specs, start, steps)
    return playground.facts(paths, playground.endpoints(paths, surface, steps, specs), surface, steps)


def test_every_surface_has_a_preset_that_starts_there():
    assert set(playground.SURFACE_PRESETS) == set(SURFACES)
    for surface, name in playground.SURFACE_PRESETS.items():
        assert PRESETS[name].surface == surface


def test_facts_say_when_sgd_beats_the_textbook_expectation():
    """Book figure 6-8's own rates: after 30 steps SGD's loss is below Momentum's and Adam's, so
    the textbook's "SGD is the slowest" does not hold on this number, and the facts say so; its
    zig-zag (a turn at almost every step) is the figure's point."""
    race = PRESETS["book"]
    specs = [OptimizerSpec.of(m, **race.hypers()[m]) for m in race.methods]
    f = race_facts("book", specs, race.steps)
    losses = {e.method: e.loss for e in f.endings}
    assert losses["sgd"] < max(losses["momentum"], losses["adam"])
    assert f.sgd_behind is False
    assert [e.loss for e in f.finished] == sorted(losses.values())
    turns = {e.method: e.turns for e in f.endings}
    assert turns["sgd"] >= race.steps - 2 and turns["sgd"] > max(t for m, t in turns.items() if m != "sgd")


def test_facts_when_sgd_is_behind_and_nothing_diverges():
    f = race_facts("knou", [OptimizerSpec.of("sgd", lr=0.01), OptimizerSpec.of("nesterov", lr=0.01)], 100)
    assert f.sgd_behind is True and not f.diverged
    assert [e.method for e in f.reached] == ["nesterov"] and f.endings[-1].method == "sgd"


def test_facts_without_sgd_or_with_sgd_alone_make_no_claim():
    assert race_facts("book", [OptimizerSpec.of("adam", lr=0.3)], 30).sgd_behind is None
    assert race_facts("book", [OptimizerSpec.of("sgd", lr=0.3)], 30).sgd_behind is None


def test_diverged_paths_come_last_with_their_step():
    f = race_facts("book", [OptimizerSpec.of("sgd", lr=10.0), OptimizerSpec.of("adam", lr=0.3)], 200)
    assert [e.method for e in f.diverged] == ["sgd"] and f.endings[-1].method == "sgd"
    assert f.diverged[0].diverged_at is not None and f.sgd_behind is None  # nothing left to compare SGD with


def test_saddle_facts_rank_by_escape_not_by_loss():
    """On the saddle the loss falls without end; progress is how far a path left y = 0."""
    race = PRESETS["saddle"]
    specs = [OptimizerSpec.of(m, **race.hypers()[m]) for m in race.methods]
    f = race_facts("saddle", specs, race.steps)
    ys = [abs(e.y) for e in f.finished]
    assert ys == sorted(ys, reverse=True)
    assert {e.method for e in f.finished if not e.escaped} == {"sgd"} and f.sgd_behind is True


def test_himmelblau_facts_name_the_minima_reached():
    race = PRESETS["himmelblau"]
    specs = [OptimizerSpec.of(m, **race.hypers()[m]) for m in race.methods]
    f = race_facts("himmelblau", specs, race.steps)
    minima = SURFACES["himmelblau"].minima
    assert len(f.basins) >= 2  # the preset's point: one path rolls into another basin
    for e in f.reached:
        assert np.hypot(e.x - minima[e.minimum][0], e.y - minima[e.minimum][1]) <= playground.REACHED


def test_the_map_grows_to_hold_a_start_off_it():
    assert view("book", (0.0, 0.0)) == SURFACES["book"].view
    x0, x1, y0, y1 = view("book", (-30.0, 8.0))
    assert x0 < -30.0 and x1 == 10.0 and y0 == -5.0 and y1 > 8.0
