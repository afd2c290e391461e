"""Gradient clipping: an exploding setup trained without clipping, clipped by norm and clipped
by value, from the same initial weights on the same mini-batches."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.experiments.learning_rate import MnistRun, Outcome, outcomes, summary_rows
from core.nets import NetSpec
from core.spec import Progress, Result, Spec, Stop
from core.train import Variant, result

CLIPPINGS = ("no_clip", "clip_norm", "clip_value")  # variant ids, and their `clipping` key


@dataclass(frozen=True)
class ClippingComparison(MnistRun):
    """A deep net with too large initial weights and a large rate: its gradients explode.
    Clipping by norm rescales the whole gradient to at most `clip_norm`; clipping by value
    cuts every component to [-clip_value, clip_value] (which also turns its direction)."""

    kind = "grad-clipping"
    hidden: tuple[int, ...] = (100,) * 8
    init_scale: float = 1.5
    lr: float = 0.05
    clip_norm: float = 1.0
    clip_value: float = 0.01
    iterations: int = 200

    def __post_init__(self):
        super().__post_init__()
        if self.clip_norm <= 0 or self.clip_value <= 0:
            raise ValueError("the clipping thresholds must be positive")
        if self.init_scale <= 0:
            raise ValueError("the init scale must be positive")
        self.opt(self.lr)

    def net(self) -> NetSpec:
        return NetSpec((784, *self.hidden, 10), self.activation, self.init, init_scale=self.init_scale)

    def variants(self) -> list[Variant]:
        """Unclipped, clipped by norm, clipped by value: the same net and rate, keyed by `clipping`."""
        net, opt = self.net(), self.opt(self.lr)
        thresholds = {
            "no_clip": {},
            "clip_norm": {"clip_norm": self.clip_norm},
            "clip_value": {"clip_value": self.clip_value},
        }
        return [Variant(c, net, opt, keys={"clipping": c}, **thresholds[c]) for c in CLIPPINGS]

    def run(self, progress: Progress | None = None, stop: Stop | None = None) -> Result:
        return result(self.train(self.variants(), progress, stop, record_grad_norm=True))

    @classmethod
    def presets(cls) -> dict[str, Spec]:
        return {"exploding": cls(), "quick": cls(iterations=60, n_train=1000)}

    def summary(self, result: Result) -> dict:
        return summary_rows(result)


@dataclass(frozen=True)
class ClippingFacts:
    """Which of the variants present trained (`core.experiments.learning_rate.LEARNED`).
    `case`: "expected" (the unclipped net failed and some clipping trained), "no_clip_learned"
    (the unclipped net trained too: the gradients did not explode enough to matter), "none"
    (nothing trained)."""

    case: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    learned: tuple[str, ...] = ()


def clipping_facts(result: Result) -> ClippingFacts:
    found = outcomes(result.frames["summary"])
    learned = tuple(v for v, o in found.items() if o.learned)
    if not learned:
        case = "none"
    elif "no_clip" in learned:
        case = "no_clip_learned"
    else:
        case = "expected"
    return ClippingFacts(case, found, learned)
