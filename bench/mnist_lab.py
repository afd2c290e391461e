"""MNIST lab: the default model's training time and accuracy, and how fast a saved model is
reloaded and a drawn digit is read (preprocess + predict)."""

from __future__ import annotations

import io
import time

import numpy as np
import torch
from PIL import Image

from core import checkpoint, data, preprocess
from core.experiments.mnist_lab import MnistLab


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run() -> dict:
    data.load("mnist", "train"), data.load("mnist", "test")  # parse the files outside the timings
    spec = MnistLab()
    result, seconds = timed(spec.run)
    e = result.extras
    print(
        f"default: 784-{'-'.join(map(str, spec.hidden))}-10, {e['n_train']} training images, {spec.epochs} epochs: "
        f"{seconds:.1f} s, test accuracy {e['test_acc']:.4f}, validation accuracy {e['final_val_acc']:.4f}"
    )
    figures = {"default_s": seconds, "default_test_acc": e["test_acc"]}
    model, reload_s = timed(lambda: checkpoint.unpack(result.extras["model"]))
    digit = data.load("mnist", "test")[0][0].numpy().reshape(28, 28)
    buf = io.BytesIO()
    Image.fromarray((255 - digit * 255).astype(np.uint8)).resize((280, 280)).save(buf, "PNG")
    raw = buf.getvalue()
    reps = 50
    _, read_s = timed(
        lambda: [
            checkpoint.probabilities(
                model, torch.from_numpy(preprocess.preprocess(preprocess.read_upload(raw)).x[None])
            )
            for _ in range(reps)
        ]
    )
    print(f"reload a saved model: {reload_s * 1000:.1f} ms; read a 280 x 280 drawing: {read_s / reps * 1000:.1f} ms")
    figures.update(reload_ms=reload_s * 1000, read_digit_ms=read_s / reps * 1000)
    return figures
