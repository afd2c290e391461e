"""IDX parsing, the bundled MNIST, deterministic subsets and splits."""

import gzip
import struct

import numpy as np
import pytest

from core import data


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_round_trip(tmp_path):
    a = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", a)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), a)


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros((4, 4)))
    raw = gzip.decompress((tmp_path / "a.gz").read_bytes())
    (tmp_path / "cut.gz").write_bytes(gzip.compress(raw[:-3]))
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "cut.gz")
    (tmp_path / "png.gz").write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n"))
    with pytest.raises(ValueError, match="IDX"):
        data.read_idx(tmp_path / "png.gz")


def test_bundled_mnist_shapes_and_scaling():
    x, y = data.load("mnist", "train")
    xt, yt = data.load("mnist", "test")
    assert x.shape == (60000, 784) and xt.shape == (10000, 784)
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(yt.numpy()).min() > 800  # every digit is well represented


def test_subsets_are_deterministic_and_distinct():
    a, la = data.subset(100, seed=1)
    b, lb = data.subset(100, seed=1)
    c, _ = data.subset(100, seed=2)
    assert (a == b).all() and (la == lb).all()
    assert not (a == c).all()


def test_split_holds_out_validation_from_training():
    s = data.make_split(500, 0.2, 1000, seed=0)
    assert len(s.x_train) == 400 and len(s.x_val) == 100 and len(s.x_test) == 1000
    train_rows = {tuple(r) for r in s.x_train[:, 200:220].numpy().round(3).tolist()}
    assert not any(tuple(r) in train_rows for r in s.x_val[:, 200:220].numpy().round(3).tolist() if any(r))
    with pytest.raises(ValueError):
        data.make_split(100, 1.0)


def test_fashion_from_the_data_directory_or_a_clear_message(tmp_path, monkeypatch):
    x, y = data.load("fashion", "test")  # tests point LAB_DATA_DIR at ../shared/data
    assert x.shape == (10000, 784)
    data.load.cache_clear()
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path))
    try:
        with pytest.raises(data.DataMissing, match="LAB_DATA_DIR"):
            data.load("fashion", "train")
    finally:
        data.load.cache_clear()
