"""Where a run's tensors live: the compute device as a setting (auto / cpu / cuda / mps).

`LAB_DEVICE` sets it for the process (default `auto`); the app's sidebar and the command line's
`--device` choose it for one visitor or one command through `using`, which holds the choice in
a context variable, so two visitors' background jobs each keep their own.

`auto` takes CUDA when present and the CPU otherwise. It does not take Apple's MPS: MPS has no
float64, and the course's networks are so small that a step is dozens of tiny kernel launches; on
an H200 without CUDA graphs that made the book preset no faster than the CPU, and no Mac was at
hand to measure MPS. `LAB_DEVICE=mps` (or the sidebar) chooses it where it is present.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import torch

CHOICES = ("auto", "cpu", "cuda", "mps")
_chosen: ContextVar[str | None] = ContextVar("lab_device", default=None)


def present() -> list[str]:
    """The devices this machine can run on, the CPU first."""
    out = ["cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    if torch.backends.mps.is_available():
        out.append("mps")
    return out


def choice() -> str:
    """What was asked for: `using`'s choice, else `$LAB_DEVICE`, else `auto` (lower case, unchecked)."""
    return (_chosen.get() or os.environ.get("LAB_DEVICE") or "auto").strip().lower()


def unusable() -> str | None:
    """The asked-for device when it cannot be used here (unknown, or not on this machine), so
    that the sidebar and the command line can say that the CPU runs instead; None when fine."""
    name = choice()
    return None if name == "auto" or name in present() else name


def current() -> torch.device:
    """The device runs use now."""
    name = choice()
    if name == "auto":
        return torch.device("cuda" if "cuda" in present() else "cpu")
    return torch.device(name if name in present() else "cpu")


def describe(dev: torch.device | None = None) -> str:
    """The device with the card's name or the CPU's thread count, for benchmarks and the sidebar."""
    dev = current() if dev is None else dev
    if dev.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(dev)})"
    if dev.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return dev.type


def synchronize(dev: torch.device) -> None:
    """Wait for the device's queued work, so that a timing covers it (a no-op on the CPU)."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()


def supports(dev: torch.device, dtype: torch.dtype) -> bool:
    """Whether `dev` computes in `dtype`: Apple's MPS has no float64."""
    return not (dev.type == "mps" and dtype == torch.float64)


def for_dtype(dtype: torch.dtype) -> torch.device:
    """The current device where it has `dtype`, else the CPU (float64 gradient checks on MPS)."""
    dev = current()
    return dev if supports(dev, dtype) else torch.device("cpu")


@contextmanager
def using(name: str | None) -> Iterator[None]:
    """Run the block on device `name`, one of CHOICES; None keeps the process default. A name
    this machine cannot use runs on the CPU, and `unusable` says so."""
    token = _chosen.set(name)
    try:
        yield
    finally:
        _chosen.reset(token)


def generator(dev: torch.device, seed: int) -> torch.Generator:
    """A random generator on `dev`, seeded: each run draws its dropout masks from its own, so
    what else runs in the process cannot change its results."""
    return torch.Generator(device=dev).manual_seed(seed)
