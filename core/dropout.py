"""Looking inside dropout with the network's own code (`BatchedMLP.dropout`): which units one
training step drops, and why inverted and test-time scaling agree at test time."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from core.nets import BatchedMLP, NetSpec


def dropped_units(net: NetSpec, seed: int = 0) -> np.ndarray:
    """The keep mask [hidden layers, max width] of one training step for one example
    (True = kept; False past a narrower layer's width counts as absent)."""
    model = BatchedMLP([net], [seed]).train()
    width = max(net.sizes[1:-1])
    mask = np.zeros((len(net.sizes) - 2, width), dtype=bool)
    model.generator = torch.Generator().manual_seed(seed)
    for i, n in enumerate(net.sizes[1:-1]):
        kept = model.dropout(torch.ones(1, 1, n), model._p_hidden)
        mask[i, :n] = (kept[0, 0] > 0).numpy()
    return mask


@torch.no_grad()
def expectation_gap(net: NetSpec, x: torch.Tensor, samples: int = 4000, seed: int = 0) -> dict[str, float]:
    """For each scaling rule: the largest gap between the test-time pre-activation of the
    second hidden layer and the mean of its training-time values over `samples` dropout masks,
    relative to the largest test-time value. That layer is linear in the dropped units, so the
    gap shrinks like 1/sqrt(samples) when test time reproduces the training expectation.
    'unscaled' is what forgetting to scale gives: a gap of about p that no sample count removes."""
    out = {}
    for rule in ("inverted", "test"):
        spec = replace(net, dropout_scaling=rule, input_dropout=0.0, batchnorm=False)
        model = BatchedMLP([spec], [seed])
        model.generator = torch.Generator().manual_seed(seed)
        record: list = []
        model.train()(x.expand(samples, -1), record)
        train_mean = record[1][0].mean(1)
        record.clear()
        model.eval()(x, record)
        test = record[1][0][:, 0]
        out[rule] = float((train_mean - test).abs().max() / test.abs().max())
        if rule == "test":  # forgetting the scaling: unscaled masks in training, nothing at test
            unscaled = test / (1.0 - net.dropout)
            out["unscaled"] = float((train_mean - unscaled).abs().max() / unscaled.abs().max())
    return out
