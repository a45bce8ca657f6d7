"""Reading and writing the IDX files MNIST is distributed in (book: Chapter 4, "Full MNIST").

An IDX file is a tiny header followed by raw big-endian numbers::

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d       each dimension's size, big-endian uint32
    rest        prod(sizes) elements

Files may be gzip-compressed (``.gz``). A file that does not follow this layout (wrong magic, truncated data,
trailing bytes) raises :class:`IDXError` naming the file and what was expected; nothing is guessed.
"""
from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

__all__ = ["IDXError", "read_idx", "write_idx", "load_mnist", "MNIST_FILES", "MNISTSplit"]

_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
           0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _DTYPES.items()}

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class IDXError(ValueError):
    """An IDX file is malformed: the message names the file and what was expected."""


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise IDXError(f"{path}: cannot decompress or read the file ({error})") from error


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally ``.gz``) into a NumPy array of its stored type and shape.

    Raises:
        FileNotFoundError: no such file.
        IDXError: bad magic number, unknown element type, or a data size that does not match the header.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXError(f"{path}: {len(raw)} bytes is too short for an IDX header (expected at least 4)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise IDXError(f"{path}: bad magic number: the first two bytes must be 0, got {raw[:2].hex()} "
                       "(is this an IDX file?)")
    if code not in _DTYPES:
        raise IDXError(f"{path}: unknown element type code 0x{code:02X}; expected one of "
                       + ", ".join(f"0x{c:02X}" for c in _DTYPES))
    if ndim == 0:
        raise IDXError(f"{path}: the header declares 0 dimensions; expected at least 1")
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise IDXError(f"{path}: truncated header: {ndim} dimensions need {header_end} bytes, file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_end])
    dtype = _DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header_end
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise IDXError(f"{path}: data {what}: shape {tuple(shape)} of {dtype.name} needs {expected} bytes "
                       f"after the header, found {actual}")
    return np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``); returns the path."""
    path = Path(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.byteorder not in "=|" else array.dtype
    if native not in _CODES:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX code; use one of "
                        + ", ".join(str(np.dtype(d).newbyteorder('=')) for d in _DTYPES.values()))
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: array must have 1 to 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(_DTYPES[code]).tobytes()
    tmp = path.with_name(path.name + ".part")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)
    return path


class MNISTSplit(NamedTuple):
    X_train: torch.Tensor  # (N, 1, 28, 28) float32 in [0, 1]
    y_train: torch.Tensor  # (N,) int64
    X_test: torch.Tensor
    y_test: torch.Tensor


def _find(root: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        if (root / name).exists():
            return root / name
    raise FileNotFoundError(f"{root}: no {stem} (or {stem}.gz); MNIST's four IDX files are expected there: "
                            + ", ".join(MNIST_FILES.values()))


def load_mnist(root: str | os.PathLike) -> MNISTSplit:
    """Load MNIST from the four IDX files in ``root`` (plain or ``.gz``) as float tensors in [0, 1].

    Raises:
        FileNotFoundError: a file is missing.
        IDXError: a file is malformed, or images and labels disagree in count or shape.
    """
    root = Path(root)
    arrays = {key: read_idx(_find(root, stem)) for key, stem in MNIST_FILES.items()}
    out = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3:
            raise IDXError(f"{split} images: expected 3 dimensions (N, rows, cols), got shape {images.shape}")
        if labels.ndim != 1:
            raise IDXError(f"{split} labels: expected 1 dimension (N,), got shape {labels.shape}")
        if len(images) != len(labels):
            raise IDXError(f"{split}: {len(images)} images but {len(labels)} labels")
        X = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
        out += [X, torch.from_numpy(labels.astype(np.int64))]
    return MNISTSplit(*out)
