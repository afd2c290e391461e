"""Gradient checking: the batched numerical gradient (one network per perturbed weight, in one
pass) against the plain loop of two forward passes per weight; and the learning-rate finder."""

from __future__ import annotations

import time

import torch

from core import data
from core.experiments.learning_rate import LRFinder
from core.gradcheck import GradCheckSpec, forward, numeric, relative_error, setup
from core.train import per_variant_loss


def loop_numeric(spec: GradCheckSpec) -> dict[str, torch.Tensor]:
    """The textbook way: nudge one weight, two forward passes, put it back; weight by weight."""
    model, x, y = setup(spec)
    out = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            flat, grad = p.data.view(-1), torch.zeros(p[0].numel(), dtype=p.dtype, device=p.device)
            for j in range(flat.numel()):
                keep = flat[j].item()
                flat[j] = keep + spec.eps
                up = float(per_variant_loss(forward(model, x), y)[0])
                flat[j] = keep - spec.eps
                down = float(per_variant_loss(forward(model, x), y)[0])
                flat[j] = keep
                grad[j] = (up - down) / (2 * spec.eps)
            out[name] = grad.view(p.shape[1:])
    return out


def run() -> dict:
    results = {}
    for label, spec in (
        ("gradcheck_depth3", GradCheckSpec()),
        ("gradcheck_depth10_bn", GradCheckSpec(depth=10, width=16, batchnorm=True)),
    ):
        model, x, y = setup(spec)
        start = time.perf_counter()
        batched = numeric(spec, model, x, y)
        t_batched = time.perf_counter() - start
        start = time.perf_counter()
        looped = loop_numeric(spec)
        t_loop = time.perf_counter() - start
        worst = max(relative_error(batched[n], looped[n]) for n in batched)
        n = sum(v.numel() for v in batched.values())
        print(
            f"{label}: {n} weights, batched {t_batched:.2f} s, loop {t_loop:.2f} s, "
            f"speed-up {t_loop / t_batched:.1f}x, largest difference {worst:.1e}"
        )
        results[label] = {"weights": n, "batched_s": t_batched, "loop_s": t_loop, "speedup": t_loop / t_batched}
    data.load("mnist", "train")
    spec = LRFinder()
    start = time.perf_counter()
    result = spec.run()
    t_finder = time.perf_counter() - start
    print(f"lr-finder default ({spec.iterations} steps): {t_finder:.2f} s, suggests {result.extras}")
    results["lr_finder_s"] = t_finder
    return results
