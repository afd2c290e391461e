"""Datasets as in-memory tensors: MNIST and Fashion-MNIST, both bundled in `assets/`.

Mini-batches are index gathers on one tensor, so every variant of a lockstep comparison can be
fed exactly the same samples without a DataLoader. Both datasets ship as their original gzip IDX
files, checked against their published MD5 sums, so the lab works offline and on first start.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

ASSETS = Path(__file__).resolve().parent.parent / "assets"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
DATASETS = ("mnist", "fashion")
FOLDERS = {"mnist": "mnist", "fashion": "fashion-mnist"}
MD5 = {  # as published with each dataset (and checked by torchvision)
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}


class DataMissing(FileNotFoundError):
    """Raised when a dataset's IDX files are missing or damaged; the message says which."""


def raw_dir(dataset: str) -> Path:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {DATASETS}")
    return ASSETS / FOLDERS[dataset]


def read_idx(path: Path) -> np.ndarray:
    """Parse a (gzipped) IDX file: magic, dims as big-endian int32, then raw uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path.name} is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path.name} is truncated: expected {int(np.prod(dims))} values")
    return data.reshape(tuple(int(d) for d in dims))


def available(dataset: str) -> bool:
    folder = raw_dir(dataset)
    return all((folder / f).exists() for pair in FILES.values() for f in pair)


def checked(dataset: str, name: str) -> Path:
    """The path of one of the dataset's files, after checking its MD5 sum: a damaged or
    replaced file would otherwise train on wrong data without a word."""
    path = raw_dir(dataset) / name
    if not path.exists():
        raise DataMissing(f"{dataset}: {path.name} is missing from assets/{FOLDERS[dataset]}/; clone the lab again")
    if hashlib.md5(path.read_bytes()).hexdigest() != MD5[dataset][name]:
        raise DataMissing(f"{dataset}: {path.name} in assets/{FOLDERS[dataset]}/ is damaged; clone the lab again")
    return path


@lru_cache(maxsize=4)
def load(dataset: str = "mnist", split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """All images of a split as float32 [N, 784] in [0, 1] and labels as int64 [N]."""
    if split not in FILES:
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    images_file, labels_file = FILES[split]
    images = read_idx(checked(dataset, images_file))
    labels = read_idx(checked(dataset, labels_file))
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


@dataclass(frozen=True)
class Split:
    """Train / validation / test tensors of one experiment."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def subset(n: int, dataset: str = "mnist", split: str = "train", seed: int = 0):
    """A deterministic random subset of `n` examples (all of them when n is 0 or too large)."""
    x, y = load(dataset, split)
    if n <= 0 or n >= len(x):
        return x, y
    idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]
    return x[idx], y[idx]


def make_split(
    n_train: int = 0,
    val_fraction: float = 0.0,
    n_test: int = 0,
    dataset: str = "mnist",
    seed: int = 0,
) -> Split:
    """Take `n_train` training images, hold out `val_fraction` of them for validation."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError("the validation fraction must be in [0, 1)")
    x, y = subset(n_train, dataset, "train", seed)
    n_val = int(round(len(x) * val_fraction))
    xt, yt = subset(n_test, dataset, "test", seed)
    return Split(x[n_val:], y[n_val:], x[:n_val], y[:n_val], xt, yt)
