"""`predict --model ID --image FILE`: a saved MNIST-lab model reads one image."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from core import checkpoint, preprocess
from core.experiments.mnist_lab import MnistLab
from core.store import Store

MIN_PREFIX = 6


def register(sub) -> None:
    p = sub.add_parser("predict", help="class probabilities of a saved MNIST-lab model for one image")
    p.add_argument("--model", required=True, help="the model's key (from `train`), or its first characters")
    p.add_argument("--image", required=True, type=Path, help="a PNG or JPEG of one digit")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def find_model(store: Store, model: str) -> str:
    """The full key of the saved lab model whose key starts with `model`."""
    entries = store.entries()
    keys = entries.loc[entries["kind"] == MnistLab.kind, "key"]
    matches = [k for k in keys if k.startswith(model.lower())]
    if len(model) < MIN_PREFIX or len(matches) != 1:
        found = "no" if not matches else "more than one"
        raise ValueError(f"{found} saved model matches {model!r} (give at least {MIN_PREFIX} characters of its key)")
    return matches[0]


def run(args, extra) -> int:
    store = Store()
    key = find_model(store, args.model)
    result = store.load(key)
    if result is None or "model" not in result.extras:
        raise ValueError(f"the saved run {key} holds no readable model")
    stages = preprocess.preprocess(preprocess.read_upload(args.image.read_bytes()))
    probs = checkpoint.probabilities(checkpoint.unpack(result.extras["model"]), torch.from_numpy(stages.x[None]))[0]
    names = result.extras.get("class_names") or [str(i) for i in range(len(probs))]
    if args.json:
        print(
            json.dumps(
                {
                    "model": key,
                    "prediction": names[int(probs.argmax())],
                    "probabilities": dict(zip(names, map(float, probs))),
                }
            )
        )
    else:
        for name, p in zip(names, probs):
            print(f"{name:>12}  {p:.4f}  {'#' * round(40 * float(p))}")
        print(f"prediction: {names[int(probs.argmax())]}")
    return 0
