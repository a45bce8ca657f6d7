"""dlcourse.data.idx: the MNIST IDX reader, on files the tests write, including corrupted ones."""
import gzip
import struct

import numpy as np
import pytest
import torch

from dlcourse.data import IDXError, load_mnist, read_idx, write_idx
from dlcourse.data.idx import MNIST_FILES


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_roundtrip(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    path = write_idx(tmp_path / f"a.idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, array)


def test_header_layout_is_the_published_one(tmp_path):
    path = write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1])


def write_mnist(root, n_train=5, n_test=3, gz=False):
    rng = np.random.default_rng(0)
    data = {"train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
            "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8)}
    for key, array in data.items():
        write_idx(root / (MNIST_FILES[key] + (".gz" if gz else "")), array)
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist(tmp_path, gz):
    data = write_mnist(tmp_path, gz=gz)
    split = load_mnist(tmp_path)
    assert split.X_train.shape == (5, 1, 28, 28) and split.X_train.dtype == torch.float32
    assert split.y_test.dtype == torch.int64 and split.y_test.tolist() == data["test_labels"].tolist()
    assert torch.allclose(split.X_train[0, 0], torch.from_numpy(data["train_images"][0] / 255.0).float())


def test_missing_file_names_what_is_expected(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / MNIST_FILES["test_labels"]).unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_truncated_file(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros((4, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(IDXError, match=r"data truncated: shape \(4, 28, 28\) of uint8 needs 3136 bytes.*found 3036"):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros(3, np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(IDXError, match="trailing bytes"):
        read_idx(path)


@pytest.mark.parametrize("payload, message", [
    (b"", "too short"),
    (b"\x00\x00", "too short"),
    (b"\x1f\x8b\x08\x03" + bytes(20), "bad magic number"),
    (bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]), "unknown element type code 0x07"),
    (bytes([0, 0, 0x08, 0]), "0 dimensions"),
    (bytes([0, 0, 0x08, 3, 0, 0, 0, 1]), "truncated header"),
])
def test_corrupted_headers(tmp_path, payload, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(payload)
    with pytest.raises(IDXError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_corrupted_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(struct.pack(">HBBI", 0, 8, 1, 3) + b"abc")[:-6])
    with pytest.raises(IDXError, match="cannot decompress"):
        read_idx(path)


def test_mismatched_images_and_labels(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES["train_labels"], np.zeros(4, np.uint8))
    with pytest.raises(IDXError, match="5 images but 4 labels"):
        load_mnist(tmp_path)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="no IDX code"):
        write_idx(tmp_path / "x", np.zeros(3, np.complex64))
