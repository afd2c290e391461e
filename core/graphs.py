"""CUDA graphs: a training step recorded once and replayed with one launch.

A lockstep step of the book preset is about ninety small kernels (a few matrix products, the
activations, four optimizers' updates, the loss bookkeeping). On a GPU each takes a few
microseconds to run and longer than that to launch from Python, so an eager GPU step is no
faster than the CPU's. A CUDA graph records the launches of one step and replays all of them
with a single call.

A replay repeats the recorded launches exactly: the same kernels, the same tensors, the same
numbers. So whatever changes from one step to the next must live in tensors that stay put,
changed in place before the replay: `core.train.Stepper` keeps the step number and the batch's
indices on the device, and `core.inplace` computes rates and bias corrections from that step
number on the device.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable

import torch


class Replay:
    """Runs a step function as CUDA graphs, one per `key` (what changes the recorded launches:
    the batch size, the variants stopped early).

    The first call with a key runs the step for real on a side stream (which also lets
    libraries such as cuBLAS set themselves up there, as capturing requires) and records it for
    the next calls with that key, which replay it. Recording captures this thread's launches
    only (`thread_local`), so another visitor's run on the same GPU goes on meanwhile. Where
    recording fails the steps run one launch at a time from then on, with a warning: slower, the
    same numbers.
    """

    def __init__(self) -> None:
        self.graphs: dict[Hashable, torch.cuda.CUDAGraph] = {}
        self.stream = torch.cuda.Stream()
        self.failed: str | None = None  # why recording failed, if it did

    def __call__(self, key: Hashable, step: Callable[[], None]) -> None:
        graph = self.graphs.get(key)
        if graph is not None:
            graph.replay()
            return
        if self.failed is not None:
            step()
            return
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            step()
        torch.cuda.current_stream().wait_stream(self.stream)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph, stream=self.stream, capture_error_mode="thread_local"):
                step()
        except RuntimeError as e:  # the step is already taken: only the recording is lost
            self.failed = str(e)
            warnings.warn(f"recording a CUDA graph failed, stepping without one: {e}", RuntimeWarning, stacklevel=2)
            return
        self.graphs[key] = graph
