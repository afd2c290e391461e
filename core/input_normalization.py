"""Input normalization: scalers fitted on the training set, what feature scales do to the loss
surface of a linear model, the leak of using test statistics, the zig-zag of all-positive
inputs, and one-hot versus integer codes for nominal features.

Everything here is small NumPy linear algebra: the point is the shape of the problem, which
a two-weight model shows as clearly as a deep one and in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCALINGS = ("none", "standardize", "minmax")  # raw inputs, then the two scalers
RATIOS = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # scales of x2 next to x1 that a page offers
FIRST_RATIO = 10.0  # where a page starts: raw descent does not arrive in 2000 steps already
LEAK_SHARE = 0.9  # class 1's share of the test set in the leak demo (the training set is balanced)

# The lecture's table: a small feature next to one in the thousands, three classes.
LECTURE_X1 = (1.0, 2.0, 4.0, 6.0, 9.0)
LECTURE_X2 = (9000.0, -5000.0, -2000.0, 8000.0, 9000.0)
LECTURE_CLASSES = ("A", "A", "B", "B", "C")

# The lecture's nominal features: sex (2 values) and body type (4), four people, and a target per
# body type that no straight line over the integer codes 1..4 can fit.
SEXES = ("male", "female")
BODIES = ("slim", "average", "muscular", "heavy")
PEOPLE = (("female", "muscular"), ("male", "slim"), ("male", "heavy"), ("female", "average"))
BODY_TARGETS = (3.0, 1.0, 4.0, 2.0)


@dataclass(frozen=True)
class Scaler:
    """x -> (x - shift) / scale per feature. Fit it on training data only and apply the same
    numbers to validation and test data: they are part of the model."""

    shift: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, how: str) -> Scaler:
        x = np.asarray(x, dtype=np.float64)
        if how not in SCALINGS:
            raise ValueError(f"unknown scaling {how!r}; choose one of {', '.join(SCALINGS)}")
        if len(x) < 2 and how != "none":
            raise ValueError("fitting a scaler needs at least two examples")
        if how == "standardize":
            shift, scale = x.mean(0), x.std(0)
        elif how == "minmax":
            shift, scale = x.min(0), x.max(0) - x.min(0)
        else:
            shift, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
        return cls(shift, np.where(scale > 0, scale, 1.0))  # a constant feature stays as it is

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.shift) / self.scale


def two_feature_problem(n: int = 200, ratio: float = 1000.0, noise: float = 0.1, seed: int = 0):
    """A regression problem whose second feature is `ratio` times larger than the first (as in
    the lecture's table): x1 in [1, 10], x2 in [1, 10] * ratio, both positive; y depends on
    both about equally once they are put on the same scale."""
    if ratio <= 0 or n < 2:
        raise ValueError("the scale ratio must be positive and the problem needs two examples")
    rng = np.random.default_rng(seed)
    base = rng.uniform(1.0, 10.0, size=(n, 2))
    x = base * np.array([1.0, ratio])
    y = 1.5 * base[:, 0] - 1.0 * base[:, 1] + 3.0 + noise * rng.standard_normal(n)
    return x, y


@dataclass(frozen=True)
class Quadratic:
    """The mean squared error of a linear model y ~ w1 x1 + w2 x2 + b as a quadratic in
    theta = (w1, w2, b): L = 0.5 * mean((A theta - y)^2), Hessian H = A^T A / n."""

    A: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> Quadratic:
        return cls(np.column_stack([x, np.ones(len(x))]), np.asarray(y, dtype=np.float64))

    @property
    def hessian(self) -> np.ndarray:
        return self.A.T @ self.A / len(self.y)

    def optimum(self) -> np.ndarray:
        return np.linalg.lstsq(self.A, self.y, rcond=None)[0]

    def loss(self, theta: np.ndarray) -> np.ndarray:
        """Loss of parameter rows theta [..., 3]."""
        r = np.asarray(theta) @ self.A.T - self.y
        return 0.5 * np.mean(r * r, axis=-1)

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.A.T @ (self.A @ theta - self.y) / len(self.y)

    def condition(self) -> float:
        """Largest over smallest curvature: how stretched the contours are (1 = round)."""
        ev = np.linalg.eigvalsh(self.hessian)
        return float(ev[-1] / max(ev[0], 1e-300))


@dataclass(frozen=True)
class Descent:
    """Gradient descent on a `Quadratic`: the path, the rate used, and the step at which the
    loss first came within `tol` of the optimum (relative to where it started; None = never)."""

    path: np.ndarray
    lr: float
    steps_to_converge: int | None


def descend(q: Quadratic, steps: int = 2000, tol: float = 1e-3) -> Descent:
    """Gradient descent from theta = 0 at the rate 1/lambda_max, the largest safe fixed rate up to
    a factor 2: each scaling gets its own best rate, so only the shape of the surface differs."""
    lr = 1.0 / float(np.linalg.eigvalsh(q.hessian)[-1])
    best = float(q.loss(q.optimum()))
    theta = np.zeros(q.A.shape[1])
    start_gap = float(q.loss(theta)) - best
    path = [theta]
    reached = None
    for t in range(1, steps + 1):
        theta = theta - lr * q.grad(theta)
        path.append(theta)
        if reached is None and float(q.loss(theta)) - best <= tol * start_gap:
            reached = t
    return Descent(np.array(path), lr, reached)


def contour_grid(q: Quadratic, center: np.ndarray, half: float, n: int = 60):
    """Loss over (w1, w2) with b held at its optimum, on a square of side 2*half around
    `center`: a square view shows how stretched the contours really are."""
    w1, w2 = np.meshgrid(
        np.linspace(center[0] - half, center[0] + half, n), np.linspace(center[1] - half, center[1] + half, n)
    )
    b = np.full_like(w1, q.optimum()[2])
    return w1, w2, q.loss(np.stack([w1, w2, b], axis=-1))


@dataclass(frozen=True)
class LeakScores:
    """Test accuracy of one trained classifier when the test inputs are scaled with the training
    statistics (right) or with the test set's own statistics (the leak)."""

    train_stats: float
    test_stats: float


def classes_problem(n: int, positive_share: float, ratio: float, rng: np.random.Generator):
    """Two Gaussian classes on features of very different scales; `positive_share` of the
    examples belong to class 1."""
    y = (rng.uniform(size=n) < positive_share).astype(np.float64)
    centers = np.where(y[:, None] > 0, [2.0, 2.0], [0.0, 0.0])
    x = (centers + rng.standard_normal((n, 2))) * np.array([1.0, ratio]) + np.array([5.0, 5.0 * ratio])
    return x, y


def logistic_fit(x: np.ndarray, y: np.ndarray, steps: int = 500, lr: float = 0.5) -> np.ndarray:
    """Weights (w1, w2, b) of a logistic regression by full-batch gradient descent."""
    A = np.column_stack([x, np.ones(len(x))])
    theta = np.zeros(3)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(A @ theta)))
        theta -= lr * A.T @ (p - y) / len(y)
    return theta


def accuracy(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(((np.column_stack([x, np.ones(len(x))]) @ theta) > 0) == (y > 0.5)))


def leak_demo(
    n_train: int = 400, n_test: int = 100, test_positive_share: float = LEAK_SHARE, ratio: float = 1000.0, seed: int = 0
) -> LeakScores:
    """Train on a balanced training set standardized with its own statistics, then score a test
    set whose class mix differs. Standardizing the test set with its own mean and spread moves
    every test point (its mean now says 'mostly class 1'), so the score changes; the training
    statistics keep the test points where the model expects them."""
    if not 0.0 <= test_positive_share <= 1.0:
        raise ValueError("the share of class 1 in the test set must be in [0, 1]")
    if n_train < 2 or n_test < 2:
        raise ValueError("the training and the test set need at least two examples each")
    rng = np.random.default_rng(seed)
    x_tr, y_tr = classes_problem(n_train, 0.5, ratio, rng)
    x_te, y_te = classes_problem(n_test, test_positive_share, ratio, rng)
    scaler = Scaler.fit(x_tr, "standardize")
    theta = logistic_fit(scaler.apply(x_tr), y_tr)
    own = Scaler.fit(x_te, "standardize")
    return LeakScores(accuracy(theta, scaler.apply(x_te), y_te), accuracy(theta, own.apply(x_te), y_te))


def zigzag(positive: bool, steps: int = 60, lr: float = 0.05, seed: int = 0) -> tuple[np.ndarray, float]:
    """One linear unit learning w* = (1, -1) by per-example gradient descent from w = 0.

    With all-positive inputs every example's gradient x * error has the same sign in both
    weights, so both weights must rise or fall together and the path to (1, -1) zig-zags.
    Returns the path [steps + 1, 2] and the share of steps that moved both weights the same way."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, size=(steps, 2)) if positive else rng.uniform(-1.5, 1.5, size=(steps, 2))
    target = np.array([1.0, -1.0])
    w = np.zeros(2)
    path = [w]
    for xi in x:
        w = w - lr * (w @ xi - target @ xi) * xi
        path.append(w)
    path = np.array(path)
    moves = np.diff(path, axis=0)
    moving = np.abs(moves).sum(1) > 0
    same = np.sign(moves[moving, 0]) == np.sign(moves[moving, 1])
    return path, float(same.mean()) if moving.any() else 0.0


def one_hot(values: list[str] | tuple[str, ...], categories: tuple[str, ...]) -> np.ndarray:
    """One column per category, a 1 in the column of each value's category."""
    index = {c: i for i, c in enumerate(categories)}
    unknown = [v for v in values if v not in index]
    if unknown:
        raise ValueError(f"unknown category {unknown[0]!r}")
    out = np.zeros((len(values), len(categories)))
    out[np.arange(len(values)), [index[v] for v in values]] = 1.0
    return out


def integer_codes(values: list[str] | tuple[str, ...], categories: tuple[str, ...]) -> np.ndarray:
    """Category number 1, 2, 3, ... as a single column: invents an order and equal spacing."""
    return np.array([[categories.index(v) + 1.0] for v in values])


def category_fit(targets: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares predictions of a linear model (with bias) for one example per category,
    from integer codes and from one-hot codes. Integer codes force the predictions onto a
    straight line over 1, 2, 3, ...; one-hot codes give every category its own weight."""
    cats = tuple(str(i) for i in range(len(targets)))
    y = np.asarray(targets, dtype=np.float64)
    fits = []
    for X in (integer_codes(cats, cats), one_hot(cats, cats)):
        A = np.column_stack([X, np.ones(len(y))])
        fits.append(A @ np.linalg.lstsq(A, y, rcond=None)[0])
    return fits[0], fits[1]


def lecture_table() -> dict[str, np.ndarray]:
    """The lecture's table under each scaler: scaling -> rows [5, 2] (x1, x2); "none" is the
    table as printed."""
    x = np.column_stack([LECTURE_X1, LECTURE_X2])
    return {how: Scaler.fit(x, how).apply(x) for how in SCALINGS}


@dataclass(frozen=True)
class Panel:
    """One scaling of the two-feature problem as a page draws it: the loss over (w1, w2) on a
    square around the optimum, the descent path inside that square (thinned to ~150 points),
    the optimum, the condition number and the steps to converge (None: not within `steps`)."""

    grid: tuple[np.ndarray, np.ndarray, np.ndarray]
    path: np.ndarray  # [n, 3]: step, w1, w2
    optimum: np.ndarray
    condition: float
    steps_to_converge: int | None
    steps: int


def panel(how: str, x: np.ndarray, y: np.ndarray) -> Panel:
    """Fit the scaler `how` on x, and descend on the linear model's loss over the scaled x."""
    q = Quadratic.of(Scaler.fit(x, how).apply(x), y)
    run = descend(q)
    best = q.optimum()
    half = 1.25 * float(np.max(np.abs(best[:2])))
    every = max(1, len(run.path) // 150)
    steps = np.arange(len(run.path))[::every]
    path = run.path[::every, :2]
    inside = (np.abs(path - best[:2]) <= half).all(axis=1)
    shown = np.column_stack([steps[inside], path[inside]])
    return Panel(contour_grid(q, best[:2], half), shown, best, q.condition(), run.steps_to_converge, len(run.path) - 1)


LEAK_TOL = 0.02  # accuracies this close count as the same
FIT_TOL = 1e-9  # a fit this close to every target is exact


@dataclass(frozen=True)
class ContourFacts:
    """What the three panels show. `case`: "scale" (standardized inputs converge fastest and raw
    inputs slowest, as the textbook expects), "offset" (the features share a scale, yet raw inputs
    are slowest: their means sit far from 0), "other"."""

    case: str
    condition: dict[str, float]
    steps: dict[str, int | None]  # None: not within the run


def contour_facts(panels: dict[str, Panel], ratio: float) -> ContourFacts:
    condition = {h: p.condition for h, p in panels.items()}
    steps = {h: p.steps_to_converge for h, p in panels.items()}
    slowness = {h: math.inf if s is None else s for h, s in steps.items()}
    expected = min(condition, key=condition.get) == "standardize" and max(slowness, key=slowness.get) == "none"
    case = ("offset" if ratio == 1 else "scale") if expected else "other"
    return ContourFacts(case, condition, steps)


@dataclass(frozen=True)
class LeakFacts:
    """`case`: "leak_hurts" (the test set's own statistics lower the score, as the textbook
    expects), "same" (within `LEAK_TOL`), "leak_helps" (they raise it: the test mix is close to
    the training mix, and the score now belongs to another pipeline)."""

    case: str
    train_stats: float
    test_stats: float


def leak_facts(scores: LeakScores) -> LeakFacts:
    diff = scores.test_stats - scores.train_stats
    case = "same" if abs(diff) <= LEAK_TOL else ("leak_hurts" if diff < 0 else "leak_helps")
    return LeakFacts(case, scores.train_stats, scores.test_stats)


@dataclass(frozen=True)
class ZigzagFacts:
    """The share of steps that moved both weights the same way, with all-positive and with
    centred inputs; `expected` when the positive inputs tie the weights together more."""

    positive: float
    centered: float
    expected: bool


def zigzag_facts(positive: float, centered: float) -> ZigzagFacts:
    return ZigzagFacts(positive, centered, positive > centered)


@dataclass(frozen=True)
class CategoryFacts:
    """How the integer code's straight line misses the targets: `worst` the category index it
    misses most, by `miss`; `case` "integer_misses" (as the textbook expects) or "integer_fits"
    (the targets happen to rise or fall evenly with the invented order)."""

    case: str
    worst: int
    miss: float
    onehot_miss: float


def category_facts(targets: tuple[float, ...]) -> CategoryFacts:
    integer, onehot = category_fit(targets)
    misses = np.abs(integer - np.asarray(targets))
    worst = int(np.argmax(misses))
    case = "integer_fits" if misses[worst] <= FIT_TOL * max(1.0, np.abs(targets).max()) else "integer_misses"
    return CategoryFacts(case, worst, float(misses[worst]), float(np.abs(onehot - np.asarray(targets)).max()))
