"""Private helpers shared by the layers, as ``torch.nn.modules.utils`` holds torch's (``_pair``): argument
normalisation and padding (book: Chapter 4, "Convolution")."""
from __future__ import annotations

import torch

__all__ = ["IntPair", "_pair", "_pad"]

IntPair = int | tuple[int, int]


def _pair(value: IntPair, name: str, minimum: int) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {tuple(value)}")
    return int(value[0]), int(value[1])


def _pad(x: torch.Tensor, p: tuple[int, int], value: float = 0.0) -> torch.Tensor:
    """Surround the last two dimensions with ``p`` rows/columns of ``value``."""
    if p == (0, 0):
        return x
    N, C, H, W = x.shape
    out = x.new_full((N, C, H + 2 * p[0], W + 2 * p[1]), value)
    out[:, :, p[0]:p[0] + H, p[1]:p[1] + W] = x
    return out
