"""Weight initialization: how long the computations behind the histogram and the
vanishing-gradient views take after a knob change (target: within 1 s; they run right in the
page), plus the book's MNIST preset. Core code only: the CLI imports no UI."""

from __future__ import annotations

import time

import torch

from core import data
from core.experiments.initialization import DepthProfile, InitComparison, InitHistograms


def timed(fn, repeat: int = 3) -> float:
    """Best of `repeat` runs, in seconds: the machine's other load only ever adds time."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def views(figures: dict, suffix: str = "") -> None:
    """The computations behind the histogram and vanishing-gradient views."""
    hist = InitHistograms.presets()["book-relu"]
    figures[f"histograms_book_relu_ms{suffix}"] = timed(hist.run) * 1000
    deep = InitHistograms(depth=InitHistograms.MAX_DEPTH, inits=("normal", "xavier", "he_normal"))
    figures[f"histograms_20_layers_3_inits_ms{suffix}"] = timed(deep.run) * 1000
    profile = DepthProfile(depth=50, steps=0)
    figures[f"depth_profile_50_layers_at_init_ms{suffix}"] = timed(profile.run) * 1000


def run() -> dict:
    data.subset(2000, "mnist", "train", 0)  # parse the files outside the timings
    figures: dict = {}
    threads = torch.get_num_threads()
    views(figures)
    torch.set_num_threads(1)  # on a machine shared with other work, one thread often wins
    views(figures, "_1_thread")
    torch.set_num_threads(threads)
    figures["depth_profile_50_layers_20_steps_s"] = timed(DepthProfile(depth=50, steps=20).run, 1)
    print(f"torch threads: {threads}")
    for name, value in figures.items():
        print(f"{name}: {value:.1f}")
    book = InitComparison()
    data.load("mnist", "train"), data.load("mnist", "test")
    figures["mnist_book_preset_s"] = timed(book.run, 1)
    print(
        f"init-mnist book preset (3 inits x {book.iterations} iterations, lockstep): {figures['mnist_book_preset_s']:.1f} s"
    )
    return figures
