"""Small 2-D toy datasets generated on the fly, deterministic by seed (book: Chapter 2).

Labels follow the perceptron's convention, -1 and +1 (pass ``labels="01"`` for 0/1 class indices).
"""
from __future__ import annotations

import math

import torch

__all__ = ["make_separable", "make_xor", "make_xor_blobs"]


def _labels(y: torch.Tensor, labels: str) -> torch.Tensor:
    if labels == "pm1":
        return y
    if labels == "01":
        return ((y + 1) // 2).long()
    raise ValueError(f"labels must be 'pm1' (-1/+1) or '01' (0/1), got {labels!r}")


def _check(n: int, dtype: torch.dtype) -> None:
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be floating, got {dtype}")


def make_separable(n: int = 100, margin: float = 0.2, seed: int = 0, dtype: torch.dtype = torch.float32,
                   labels: str = "pm1") -> tuple[torch.Tensor, torch.Tensor]:
    """Two linearly separable classes in the square [-1, 1]^2 with a guaranteed margin.

    Points are drawn uniformly; a random line through the square labels them and points closer to it than
    ``margin`` are redrawn, so a separating line with margin ``margin`` exists (Novikoff's bound then caps
    the perceptron's mistakes at ``(R / margin)^2`` with ``R <= sqrt(2) + 1`` counting the bias input).

    Returns:
        ``X`` (n, 2) and ``y`` (n,) (-1/+1 floats in ``dtype``, or 0/1 int64 with ``labels="01"``).
    """
    _check(n, dtype)
    if not 0 <= margin < 0.5:
        raise ValueError(f"margin must be in [0, 0.5), got {margin}")
    g = torch.Generator().manual_seed(seed)
    angle = torch.rand((), generator=g, dtype=torch.float64).item() * 2 * math.pi
    normal = torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)
    offset = (torch.rand((), generator=g, dtype=torch.float64).item() - 0.5) * 0.4
    points = []
    count = 0
    while count < n:
        cand = torch.rand(4 * n, 2, generator=g, dtype=torch.float64) * 2 - 1
        keep = cand[((cand @ normal) - offset).abs() >= margin]
        points.append(keep)
        count += len(keep)
    X = torch.cat(points)[:n]
    y = torch.where(X @ normal - offset >= 0, 1.0, -1.0).to(torch.float64)
    if (y == 1).all() or (y == -1).all():  # pragma: no cover - astronomically unlikely with offset < 0.2
        y[0] = -y[0]
    return X.to(dtype), _labels(y, labels).to(dtype) if labels == "pm1" else _labels(y, labels)


def make_xor(dtype: torch.dtype = torch.float32, labels: str = "pm1") -> tuple[torch.Tensor, torch.Tensor]:
    """The four XOR points (0,0), (0,1), (1,0), (1,1) with labels -1, +1, +1, -1 (or 0, 1, 1, 0)."""
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be floating, got {dtype}")
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=dtype)
    y = torch.tensor([-1.0, 1.0, 1.0, -1.0], dtype=dtype)
    return X, (y if labels == "pm1" else _labels(y, labels))


def make_xor_blobs(n: int = 200, noise: float = 0.15, seed: int = 0, dtype: torch.dtype = torch.float32,
                   labels: str = "pm1") -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy XOR: ``n`` points scattered (Gaussian, std ``noise``) around the four XOR corners.

    Returns:
        ``X`` (n, 2) and ``y`` (n,): +1 around (0,1) and (1,0), -1 around (0,0) and (1,1).
    """
    _check(n, dtype)
    g = torch.Generator().manual_seed(seed)
    corner = torch.arange(n) % 4
    centres, y4 = make_xor(torch.float64)
    X = centres[corner] + noise * torch.randn(n, 2, generator=g, dtype=torch.float64)
    y = y4[corner]
    return X.to(dtype), (y.to(dtype) if labels == "pm1" else _labels(y, labels))
