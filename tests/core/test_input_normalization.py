"""Scalers fitted on training data only, the shape of the loss surface, the leak, the zig-zag
and one-hot codes."""

import numpy as np
import pytest

from core import input_normalization as norm


def test_lecture_table_standardizes_to_zero_mean_unit_std():
    x = np.column_stack([norm.LECTURE_X1, norm.LECTURE_X2])
    z = norm.Scaler.fit(x, "standardize").apply(x)
    assert np.allclose(z.mean(0), 0) and np.allclose(z.std(0), 1)
    m = norm.Scaler.fit(x, "minmax").apply(x)
    assert np.allclose(m.min(0), 0) and np.allclose(m.max(0), 1)


def test_test_data_uses_the_training_statistics():
    rng = np.random.default_rng(1)
    train, test = rng.normal(3, 2, (50, 2)), rng.normal(5, 4, (20, 2))
    s = norm.Scaler.fit(train, "standardize")
    assert np.allclose(s.apply(test), (test - train.mean(0)) / train.std(0))
    assert not np.allclose(s.apply(test).mean(0), 0)  # the test set is not re-centred
    mm = norm.Scaler.fit(train, "minmax")
    assert np.allclose(mm.apply(test), (test - train.min(0)) / (train.max(0) - train.min(0)))


def test_constant_feature_is_left_alone():
    x = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    assert np.all(np.isfinite(norm.Scaler.fit(x, "standardize").apply(x)))


def test_standardizing_makes_contours_round_and_descent_fast():
    x, y = norm.two_feature_problem(ratio=100.0)
    result = {}
    for how in norm.SCALINGS:
        q = norm.Quadratic.of(norm.Scaler.fit(x, how).apply(x), y)
        result[how] = (q.condition(), norm.descend(q, steps=3000).steps_to_converge)
    assert result["standardize"][0] < 2 < result["minmax"][0] < result["none"][0]
    assert result["none"][1] is None  # stretched: not there in 3000 steps
    assert result["standardize"][1] < result["minmax"][1]


def test_quadratic_gradient_and_optimum():
    x, y = norm.two_feature_problem(n=30, ratio=3.0)
    q = norm.Quadratic.of(x, y)
    theta = np.array([0.3, -0.2, 1.0])
    e = 1e-6
    numeric = [(q.loss(theta + e * d) - q.loss(theta - e * d)) / (2 * e) for d in np.eye(3)]
    assert np.allclose(numeric, q.grad(theta), rtol=1e-5)
    assert np.linalg.norm(q.grad(q.optimum())) < 1e-8


def test_leak_changes_the_score():
    s = norm.leak_demo(test_positive_share=0.9)
    assert s.train_stats > 0.85
    assert s.train_stats - s.test_stats > 0.1


def test_all_positive_inputs_zigzag():
    path_pos, same_pos = norm.zigzag(positive=True)
    path_mixed, same_mixed = norm.zigzag(positive=False)
    assert same_pos == 1.0  # every step moves both weights the same way
    assert same_mixed < 0.8
    target = np.array([1.0, -1.0])
    assert np.linalg.norm(path_mixed[-1] - target) < np.linalg.norm(path_pos[-1] - target)


def test_one_hot_and_integer_codes():
    cats = ("slim", "average", "muscular", "heavy")
    oh = norm.one_hot(["heavy", "slim"], cats)
    assert oh.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0]]
    assert norm.integer_codes(["heavy"], cats).tolist() == [[4.0]]
    with pytest.raises(ValueError):
        norm.one_hot(["tall"], cats)
    targets = (3.0, 1.0, 4.0, 2.0)
    integer, onehot = norm.category_fit(targets)
    assert np.allclose(onehot, targets)
    assert np.allclose(np.diff(integer, 2), 0)  # forced onto a straight line
    assert np.sum((integer - targets) ** 2) > 1.0


def test_lecture_table_under_every_scaling():
    table = norm.lecture_table()
    assert set(table) == set(norm.SCALINGS)
    assert np.allclose(table["none"][:, 1], norm.LECTURE_X2)  # as printed
    assert np.allclose(table["minmax"].min(0), 0) and np.allclose(table["minmax"].max(0), 1)


def test_panels_show_the_path_inside_a_square_around_the_optimum():
    x, y = norm.two_feature_problem(ratio=100.0)
    panels = {how: norm.panel(how, x, y) for how in norm.SCALINGS}
    for p in panels.values():
        gw1, gw2, _ = p.grid
        half = (gw1.max() - gw1.min()) / 2
        assert gw2.max() - gw2.min() == pytest.approx(2 * half)  # square
        assert np.all(np.abs(p.path[:, 1:] - p.optimum[:2]) <= half + 1e-9)
        assert np.all(np.diff(p.path[:, 0]) > 0) and len(p.path) <= 160  # thinned, in step order
    assert panels["standardize"].condition < panels["none"].condition
    assert panels["none"].steps_to_converge is None and panels["none"].steps == 2000


def test_one_hot_course_data_fits_only_with_one_hot_codes():
    assert {s for s, _ in norm.PEOPLE} <= set(norm.SEXES) and {b for _, b in norm.PEOPLE} <= set(norm.BODIES)
    integer, onehot = norm.category_fit(norm.BODY_TARGETS)
    assert np.allclose(onehot, norm.BODY_TARGETS) and not np.allclose(integer, norm.BODY_TARGETS)


def test_the_first_ratio_already_shows_the_stretched_bowl():
    x, y = norm.two_feature_problem(ratio=norm.FIRST_RATIO)
    assert norm.FIRST_RATIO in norm.RATIOS
    assert norm.panel("none", x, y).steps_to_converge is None
    assert norm.panel("standardize", x, y).steps_to_converge is not None


def test_contour_facts_say_when_the_offset_not_the_scale_slows_raw_inputs():
    def facts(ratio):
        x, y = norm.two_feature_problem(ratio=ratio)
        return norm.contour_facts({h: norm.panel(h, x, y) for h in norm.SCALINGS}, ratio)

    same_scale = facts(1.0)  # the textbook blames the scales; here there is no scale to blame
    assert same_scale.case == "offset" and same_scale.steps["none"] > same_scale.steps["standardize"]
    assert facts(100.0).case == "scale" and facts(100.0).steps["none"] is None


def test_leak_facts_say_when_the_test_statistics_score_higher():
    assert norm.leak_facts(norm.leak_demo()).case == "leak_hurts"
    helps = norm.leak_facts(norm.LeakScores(0.9, 0.95))
    assert helps.case == "leak_helps" and (helps.train_stats, helps.test_stats) == (0.9, 0.95)
    assert norm.leak_facts(norm.LeakScores(0.9, 0.91)).case == "same"


def test_zigzag_and_category_facts_follow_their_numbers():
    assert norm.zigzag_facts(*(norm.zigzag(p)[1] for p in (True, False))).expected
    assert not norm.zigzag_facts(0.3, 0.5).expected
    even = norm.category_facts((1.0, 2.0, 3.0, 4.0))  # targets that do rise evenly with the codes
    assert even.case == "integer_fits" and even.miss < 1e-9
    uneven = norm.category_facts(norm.BODY_TARGETS)
    integer, _ = norm.category_fit(norm.BODY_TARGETS)
    assert uneven.case == "integer_misses" and uneven.miss == pytest.approx(max(abs(integer - norm.BODY_TARGETS)))
