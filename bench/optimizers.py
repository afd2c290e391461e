"""Book-preset MNIST comparison: lockstep batched vs one model after another with torch.optim,
and the 2-D playground's 8 optimizers x 1000 steps."""

from __future__ import annotations

import time

import torch

from core import data, device
from core.experiments.optimizers import OptimizerComparison
from core.optimizers import METHODS, OptimizerSpec
from core.surfaces import path

WARM_UP = 50  # iterations of an untimed first run: a GPU loads its kernels and sets up cuBLAS once


def torch_optimizer(spec: OptimizerSpec, params) -> torch.optim.Optimizer:
    """PyTorch's own implementation of the book-preset methods, with the same settings."""
    hp = spec.hp
    if spec.method == "sgd":
        return torch.optim.SGD(params, lr=hp["lr"])
    if spec.method == "momentum":
        return torch.optim.SGD(params, lr=hp["lr"], momentum=hp["momentum"])
    if spec.method == "adagrad":
        return torch.optim.Adagrad(params, lr=hp["lr"], eps=hp["eps"])
    if spec.method == "adam":
        return torch.optim.Adam(params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"])
    raise ValueError(f"no PyTorch baseline for {spec.method}")


def sequential_torch(spec: OptimizerComparison) -> float:
    """The plain way: each model alone, torch.nn layers and torch.optim (their defaults pick
    the foreach or fused kernels for the device), same batches, on the current device."""
    dev = device.current()
    x, y = data.subset(spec.n_train, spec.dataset, "train", spec.seed)
    x, y = x.to(dev), y.to(dev)
    gen = torch.Generator().manual_seed(spec.seed)
    order = torch.randint(0, len(x), (spec.iterations, spec.batch_size), generator=gen).to(dev)
    start = time.perf_counter()
    for o in spec.optimizers:
        torch.manual_seed(spec.seed)
        sizes = spec.net().sizes
        layers = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers).to(dev)
        opt = torch_optimizer(o, model.parameters())
        for idx in order:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    device.synchronize(dev)
    return time.perf_counter() - start


def run() -> dict:
    torch.set_num_threads(torch.get_num_threads())
    spec = OptimizerComparison()
    data.load("mnist", "train"), data.load("mnist", "test")  # parse the files outside the timings
    start = time.perf_counter()
    OptimizerComparison(iterations=WARM_UP).run()
    print(f"warm-up, the preset for {WARM_UP} iterations (first run: the device's libraries start): "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip
    start = time.perf_counter()
    spec.run()
    device.synchronize(device.current())
    batched = time.perf_counter() - start
    print(
        f"optimizers-mnist book preset (4 optimizers x {spec.iterations} iterations), lockstep batched: {batched:.2f} s"
    )
    plain = sequential_torch(spec)
    print(f"same 4 models one after another with torch.optim: {plain:.2f} s")
    print(f"speed-up of lockstep batched training: {plain / batched:.2f}x")
    start = time.perf_counter()
    for m in METHODS:
        path("rosenbrock", OptimizerSpec.of(m), (-1.5, 2.0), 1000)
    playground = time.perf_counter() - start
    print(f"2-D playground, 8 optimizers x 1000 steps: {playground * 1000:.0f} ms")
    return {
        "batched_s": batched,
        "sequential_torch_s": plain,
        "speedup": plain / batched,
        "playground_ms": playground * 1000,
    }
