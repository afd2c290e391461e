"""A trained network as plain JSON: its NetSpec plus its numbers as base64 `.npy` bytes.

The store and exported files hold no pickle, so a checkpoint is the flat parameter row of one
variant (`BatchedMLP.flat[k]`) and the batch-norm running statistics, each written with
`numpy.save(allow_pickle=False)`. Reloading rebuilds the network from its spec and copies the
numbers back, so it predicts exactly the probabilities it did when it was saved.
"""

from __future__ import annotations

import base64
import dataclasses
import io

import numpy as np
import torch

from core import device
from core.nets import BatchedMLP, NetSpec

MAX_VALUES = 20_000_000  # a checkpoint larger than this is not one this app made


def _to_b64(array: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _from_b64(text: str) -> np.ndarray:
    """A float array saved by `_to_b64`; anything else (bad base64, not .npy, another dtype) is a ValueError."""
    if not isinstance(text, str):
        raise ValueError("a saved array must be base64 text")
    try:
        array = np.load(io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)), allow_pickle=False)
    except (ValueError, OSError, EOFError, UnicodeEncodeError, MemoryError) as err:
        raise ValueError(f"a saved array cannot be read ({err})") from err
    if array.dtype.kind != "f":  # NaN is fine: a diverged network is saved as it ended
        raise ValueError("a saved array must hold floating-point numbers")
    return array


def net_from_dict(d: dict) -> NetSpec:
    """A NetSpec from its JSON form (lists become tuples; unknown fields and wrong types are refused)."""
    names = {f.name for f in dataclasses.fields(NetSpec)}
    if not isinstance(d, dict) or set(d) - names:
        raise ValueError("the checkpoint's network description is not a NetSpec")
    try:
        return NetSpec(**{**d, "sizes": tuple(int(s) for s in d.get("sizes", NetSpec.sizes))})
    except (TypeError, ValueError) as err:
        raise ValueError(f"the checkpoint's network description is not a NetSpec ({err})") from err


def _statistics(model: BatchedMLP) -> dict[str, torch.Tensor]:
    """The persistent buffers (batch-norm running mean and variance), not the dropout rates."""
    params = {name for name, _ in model.named_parameters()}
    return {name: b for name, b in model.state_dict().items() if name not in params}


def pack(model: BatchedMLP, k: int = 0) -> dict:
    """Variant `k` of a flattened `BatchedMLP` as a JSON-able dict."""
    if not hasattr(model, "flat"):
        raise ValueError("flatten the model before packing it")
    buffers = {name: _to_b64(b[k].detach().cpu().numpy()) for name, b in _statistics(model).items()}
    return {
        "net": dataclasses.asdict(model.specs[k]),
        "flat": _to_b64(model.flat[k].detach().cpu().numpy()),
        "buffers": buffers,
    }


def unpack(doc: dict) -> BatchedMLP:
    """The network saved by `pack`, in eval mode, as a K = 1 `BatchedMLP` on the current device
    (moved before `flatten`, so that its parameters stay views of one flat tensor there)."""
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("flat"), str)
        or not isinstance(doc.get("buffers", {}), dict)
    ):
        raise ValueError("this is not a saved network")
    net = net_from_dict(doc.get("net"))
    model = BatchedMLP([net], [0]).to(device.current())
    model.flatten()
    flat = _from_b64(doc["flat"])
    if flat.ndim != 1 or flat.size != model.flat.shape[1] or flat.size > MAX_VALUES:
        raise ValueError(f"the checkpoint holds {flat.size} numbers; this network has {model.flat.shape[1]}")
    with torch.no_grad():
        model.flat[0].copy_(torch.from_numpy(flat.astype(np.float32)))
        own = _statistics(model)
        if set(doc.get("buffers", {})) != set(own):
            raise ValueError("the checkpoint's batch-norm statistics do not fit this network")
        for name, text in doc["buffers"].items():
            value = _from_b64(text)
            if value.shape != tuple(own[name].shape[1:]):
                raise ValueError(f"batch-norm statistic {name} has the wrong shape")
            own[name][0].copy_(torch.from_numpy(value.astype(np.float32)))
    return model.eval()


@torch.no_grad()
def probabilities(model: BatchedMLP, x: torch.Tensor, k: int = 0, chunk: int = 10000) -> np.ndarray:
    """Softmax class probabilities [N, C] of variant `k` for images x [N, 784], in eval mode."""
    was = model.training
    model.eval()
    dev = model.flat.device if hasattr(model, "flat") else x.device
    out = [torch.softmax(model(x[s : s + chunk].to(dev))[k], -1).cpu() for s in range(0, len(x), chunk)]
    model.train(was)
    return torch.cat(out).numpy() if out else np.zeros((0, model.sizes[-1]), dtype=np.float32)
