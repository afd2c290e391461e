"""Ensembles: several networks vote by averaging their predicted class probabilities.

Members are variants of one lockstep run (independently initialized through `init_seed`);
their logits come stacked as [K, N, C], so every ensemble size is a mean over the first rows.
"""

from __future__ import annotations

import torch


def accuracy(probs_or_logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose largest entry is the label."""
    return float((probs_or_logits.argmax(-1) == y).float().mean())


def growing_accuracy(logits: torch.Tensor, y: torch.Tensor) -> list[float]:
    """Test accuracy of the ensemble of the first n members, for n = 1 .. K."""
    probs = torch.softmax(logits, dim=-1)
    running = torch.cumsum(probs, dim=0)  # the mean's argmax equals the sum's
    return [accuracy(running[n], y) for n in range(len(logits))]
