"""scikit-learn's handwritten digits as train/test tensors (book: Chapters 1-4).

1,797 grey 8x8 images of the digits 0-9 (UCI "Optical Recognition of Handwritten Digits"), shipped inside
scikit-learn, so nothing is downloaded. Pixel values 0..16 are scaled to [0, 1].
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from sklearn.datasets import load_digits as _sklearn_digits
from sklearn.model_selection import train_test_split

__all__ = ["Digits", "load_digits"]


class Digits(NamedTuple):
    X_train: torch.Tensor  # (N, 1, 8, 8) or (N, 64)
    y_train: torch.Tensor  # (N,) int64
    X_test: torch.Tensor
    y_test: torch.Tensor


def load_digits(test_size: float = 0.25, seed: int = 0, flatten: bool = False,
                dtype: torch.dtype = torch.float32) -> Digits:
    """The digits split into train and test sets, stratified by class.

    Args:
        test_size: fraction held out for testing, in (0, 1).
        seed: seed of the split (the same seed gives the same split everywhere).
        flatten: return images as (N, 64) rows instead of (N, 1, 8, 8).
        dtype: floating dtype of the images.

    Returns:
        :class:`Digits` ``(X_train, y_train, X_test, y_test)``.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    data = _sklearn_digits()
    X = data.images.astype(np.float64) / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, data.target, test_size=test_size, random_state=seed, stratify=data.target)
    shape = (-1, 64) if flatten else (-1, 1, 8, 8)

    def images(a):
        return torch.from_numpy(a.reshape(shape)).to(dtype)

    def labels(a):
        return torch.from_numpy(a.astype(np.int64))

    return Digits(images(X_train), labels(y_train), images(X_test), labels(y_test))
