"""Weight-initialization page: how long the histogram and the vanishing-gradient views take to
update after a knob change (target: within 1 s), measured on the computation alone and on a
whole page rerun (server side, Streamlit's AppTest), plus the book's MNIST preset."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from core import data
from core.experiments.initialization import DepthProfile, InitComparison, InitHistograms

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int = 3) -> float:
    """Best of `repeat` runs, in seconds: the machine's other load only ever adds time."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def page_rerun(changes: list[tuple[str, str, object]]) -> list[float]:
    """Seconds of each page rerun after setting one widget (kind, key, value) of the page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/initialization.py")
    at.run()
    out = []
    for kind, key, value in changes:
        getattr(at, kind)(key=key).set_value(value)
        start = time.perf_counter()
        at.run()
        out.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(at.exception[0].message)
    return out


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
    reruns = page_rerun(
        [
            ("number_input", "inithist.depth", 8),
            ("number_input", "inithist.width", 200),
            ("slider", "initdepth.depth", 50),
            ("slider", "initdepth.depth", 40),
        ]
    )
    figures["page_rerun_histogram_knob_s"] = max(reruns[:2])
    figures["page_rerun_depth_slider_s"] = max(reruns[2:])
    print(f"whole-page rerun after a histogram knob change: {figures['page_rerun_histogram_knob_s']:.2f} s")
    print(f"whole-page rerun after a depth slider change: {figures['page_rerun_depth_slider_s']:.2f} s")
    book = InitComparison()
    data.load("mnist", "train"), data.load("mnist", "test")
    figures["mnist_book_preset_s"] = timed(book.run, 1)
    print(
        f"init-mnist book preset (3 inits x {book.iterations} iterations, lockstep): {figures['mnist_book_preset_s']:.1f} s"
    )
    return figures
