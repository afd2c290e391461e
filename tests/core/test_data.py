"""IDX parsing, the bundled MNIST, deterministic subsets and splits."""

import gzip
import hashlib
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


def test_fashion_is_bundled_with_its_ten_classes():
    x, y = data.load("fashion", "test")
    assert x.shape == (10000, 784) and sorted(set(y.tolist())) == list(range(10))
    assert data.available("fashion") and len(data.CLASS_NAMES["fashion"]) == 10


def test_every_bundled_file_matches_its_published_md5():
    for dataset in data.DATASETS:
        for pair in data.FILES.values():
            for name in pair:
                assert data.checked(dataset, name).exists()


def test_a_missing_or_damaged_file_gives_a_clear_message(tmp_path, monkeypatch):
    folder = tmp_path / data.FOLDERS["mnist"]
    folder.mkdir()
    images, labels = np.arange(3 * 784).reshape(3, 28, 28) % 256, np.array([3, 1, 4])
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    sums = {f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in folder.iterdir()}
    monkeypatch.setattr(data, "ASSETS", tmp_path)
    monkeypatch.setitem(data.MD5, "mnist", sums)
    data.load.cache_clear()
    try:
        x, y = data.load("mnist", "test")  # tiny files of our own, checked like the real ones
        assert x.shape == (3, 784) and y.tolist() == [3, 1, 4]
        with pytest.raises(data.DataMissing, match="missing"):
            data.load("mnist", "train")
        (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x03abc"))
        data.load.cache_clear()
        with pytest.raises(data.DataMissing, match="damaged"):
            data.load("mnist", "test")
    finally:
        data.load.cache_clear()
