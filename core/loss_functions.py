"""Mean squared error versus cross-entropy on a single sigmoid neuron, and softmax with the
log-likelihood loss.

One neuron o = sigmoid(w x + b) makes the difference plain: with MSE the gradient carries the
factor sigmoid'(z), which is nearly 0 when the neuron is saturated, so a badly wrong neuron
learns slowly; with cross-entropy that factor cancels and the gradient is (o - y) x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOSSES = ("mse", "ce")
LN2 = np.log(2.0)
BASE = 2.0  # the lecture's cross-entropy is in bits (base-2 logs): every value and gradient here is too

# The lecture's two cases: one input x = 1.5 with target y = 0; the second neuron is the more
# wrong one (output near 1) yet gets the smaller MSE gradient.
LECTURE_X, LECTURE_Y = 1.5, 0.0
LECTURE_CASES = ((0.2, 0.8), (1.9, 3.0))  # (w, b)
LECTURE_LOGITS = (2.0, 1.2, 4.0)
LECTURE_CE_OUTPUTS = (0.98, 0.0001)  # outputs o for y = 1 whose cross-entropy in bits the lecture prints


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def mse(o, y):
    """e = (y - o)^2 / 2."""
    return 0.5 * (np.asarray(y) - np.asarray(o)) ** 2


def cross_entropy(o, y, base: float = BASE):
    """e = -(y log o + (1 - y) log(1 - o)), in nats or (base 2) bits."""
    o, y = np.asarray(o, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -(np.where(y > 0, y * np.log(o), 0.0) + np.where(y < 1, (1 - y) * np.log1p(-o), 0.0))
    return e / np.log(base)


def loss(name: str, o, y, base: float = BASE):
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return mse(o, y) if name == "mse" else cross_entropy(o, y, base)


def grad_z(name: str, o, y, base: float = BASE):
    """de/dz for o = sigmoid(z): MSE (o - y) o (1 - o); cross-entropy (o - y) / ln(base), which
    is the lecture's (o - y) for natural logs."""
    o, y = np.asarray(o, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return (o - y) * o * (1 - o) if name == "mse" else (o - y) / np.log(base)


@dataclass(frozen=True)
class NeuronCase:
    """One neuron on one example: its output, error and the gradients of both parameters."""

    w: float
    b: float
    z: float
    o: float
    error: float
    grad_w: float
    grad_b: float


def neuron_case(name: str, w: float, b: float, x: float = LECTURE_X, y: float = LECTURE_Y) -> NeuronCase:
    z = w * x + b
    o = float(sigmoid(z))
    dz = float(grad_z(name, o, y))
    return NeuronCase(w, b, z, o, float(loss(name, o, y)), dz * x, dz)


def train_neuron(name: str, w: float, b: float, lr: float, steps: int, x: float = LECTURE_X, y: float = LECTURE_Y):
    """Gradient descent on one neuron and one example: error [steps + 1] and output [steps + 1]."""
    if steps < 0 or lr <= 0:
        raise ValueError("the learning rate must be positive and the steps at least 0")
    errors, outputs = [], []
    for _ in range(steps + 1):
        c = neuron_case(name, w, b, x, y)
        errors.append(c.error)
        outputs.append(c.o)
        w, b = w - lr * c.grad_w, b - lr * c.grad_b
    return np.array(errors), np.array(outputs)


@dataclass(frozen=True)
class NeuronRun:
    """Both losses train the neuron of one lecture case (1 or 2) from its start."""

    case: int = 2
    lr: float = 0.5
    steps: int = 400

    def __post_init__(self):
        if not 1 <= self.case <= len(LECTURE_CASES):
            raise ValueError(f"the lecture has cases 1 to {len(LECTURE_CASES)}")
        if self.steps < 0 or self.lr <= 0:
            raise ValueError("the learning rate must be positive and the steps at least 0")

    def outputs(self) -> dict[str, np.ndarray]:
        """loss -> the neuron's output at steps 0..steps."""
        w, b = LECTURE_CASES[self.case - 1]
        return {name: train_neuron(name, w, b, self.lr, self.steps)[1] for name in LOSSES}


def lecture_cases() -> list[dict[str, float]]:
    """The lecture's two cases under both losses, one row each: w, b, z, o, and per loss
    (suffix `_mse`, `_ce`) the error and the gradients of w and b."""
    rows = []
    for w, b in LECTURE_CASES:
        row = {}
        for name in LOSSES:
            c = neuron_case(name, w, b)
            row |= {"w": w, "b": b, "z": c.z, "o": c.o}
            row |= {f"error_{name}": c.error, f"grad_w_{name}": c.grad_w, f"grad_b_{name}": c.grad_b}
        rows.append(row)
    return rows


def parse_logits(text: str) -> np.ndarray:
    """Logits typed as "2.0, 1.2, 4.0" (commas or semicolons); ValueError unless they are at
    least two finite numbers."""
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError("logits must be numbers separated by commas") from None
    if len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError("enter at least two finite logits")
    return np.array(values)


def lecture_rounded_bits(logits) -> np.ndarray | None:
    """The losses in bits as the lecture computes them, from probabilities rounded to four
    digits, when `logits` are the lecture's; None for any other logits."""
    if tuple(float(v) for v in logits) != LECTURE_LOGITS:
        return None
    return -np.log2(np.round(softmax(logits), 4))


def softmax(logits) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def log_likelihood_losses(logits, base: float = BASE) -> np.ndarray:
    """e = -log o_y for every possible true class y (in bits by default)."""
    return -np.log(softmax(logits)) / np.log(base)


# What the lecture prints, beside what this module computes for the same settings
LECTURE_MSE_ERRORS = (0.2815, 0.4971)  # the two cases' MSE errors (the first from the rounded o = 0.7503)
LECTURE_CE_BITS = (0.0291, 13.2877)  # cross-entropy in bits of LECTURE_CE_OUTPUTS for y = 1
LECTURE_SOFTMAX = (0.1131, 0.0508, 0.8360)  # softmax of LECTURE_LOGITS
LECTURE_SOFTMAX_BITS = (3.1443, 4.2990, 0.2584)  # -log2 of each, from the rounded probabilities


def printed_comparison(logits=LECTURE_LOGITS) -> list[dict]:
    """Each number the lecture prints next to the one computed here: rows of `what` (a key a
    page names), `index` (case, output or class, from 1), `printed` and `computed`. The softmax
    rows only when `logits` are the lecture's, the settings those numbers belong to."""
    rows = [
        {"what": "mse_error", "index": i + 1, "printed": p, "computed": r["error_mse"]}
        for i, (p, r) in enumerate(zip(LECTURE_MSE_ERRORS, lecture_cases()))
    ]
    rows += [
        {"what": "ce_bits", "index": i + 1, "printed": p, "computed": float(cross_entropy(o, 1))}
        for i, (p, o) in enumerate(zip(LECTURE_CE_BITS, LECTURE_CE_OUTPUTS))
    ]
    if tuple(float(v) for v in logits) == LECTURE_LOGITS:
        probs, bits = softmax(logits), log_likelihood_losses(logits)
        rows += [
            {"what": "softmax", "index": i + 1, "printed": p, "computed": float(probs[i])}
            for i, p in enumerate(LECTURE_SOFTMAX)
        ]
        rows += [
            {"what": "softmax_bits", "index": i + 1, "printed": p, "computed": float(bits[i])}
            for i, p in enumerate(LECTURE_SOFTMAX_BITS)
        ]
    return rows


HALF = 0.5  # the neuron's output (target 0) has changed its mind once it falls below this


@dataclass(frozen=True)
class NeuronFacts:
    """How the two losses trained the neuron: the step each output first fell below `HALF`
    (None: never within the run) and the final outputs. `case`: "ce_first" (as the textbook
    expects from a saturated start), "mse_first", "same" (the same step), "neither"."""

    case: str
    crossed: dict[str, int | None]
    final: dict[str, float]


def neuron_facts(outputs: dict[str, np.ndarray]) -> NeuronFacts:
    crossed = {n: (int(np.argmax(o < HALF)) if np.any(o < HALF) else None) for n, o in outputs.items()}
    mse, ce = crossed["mse"], crossed["ce"]
    if mse is None and ce is None:
        case = "neither"
    elif mse == ce:
        case = "same"
    elif mse is None or (ce is not None and ce < mse):
        case = "ce_first"
    else:
        case = "mse_first"
    return NeuronFacts(case, crossed, {n: float(o[-1]) for n, o in outputs.items()})


@dataclass(frozen=True)
class SoftmaxFacts:
    """What softmax made of the logits: the most and least probable class (from 0), their
    probabilities and their losses in bits if each were the true class."""

    top: int
    top_p: float
    top_bits: float
    bottom: int
    bottom_p: float
    bottom_bits: float


def softmax_facts(logits) -> SoftmaxFacts:
    probs, bits = softmax(logits), log_likelihood_losses(logits)
    top, bottom = int(np.argmax(probs)), int(np.argmin(probs))
    return SoftmaxFacts(top, float(probs[top]), float(bits[top]), bottom, float(probs[bottom]), float(bits[bottom]))
