"""Dropout from scratch, mirroring ``torch.nn.Dropout`` (book: Chapter 6, "Dropout").

Srivastava et al. (2014): in training, zero each unit independently with probability ``p`` and scale the kept
ones by ``1 / (1 - p)`` ("inverted dropout"), so the expected output equals the input and nothing needs rescaling
at test time. In eval mode dropout is the identity. ``p = 0`` keeps everything; ``p = 1`` zeroes everything
(torch returns zeros rather than dividing by zero). The masks are random, so they cannot equal torch's; their
keep rate and scaling can.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["dropout", "Dropout"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (when ``training``).

    ``generator`` (ours, last) makes the mask reproducible.
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    keep = torch.empty(input.shape, device=input.device, dtype=input.dtype).bernoulli_(1 - p, generator=generator)
    mask = keep / (1 - p)
    return input.mul_(mask) if inplace else input * mask


class Dropout(nn.Module):
    """``torch.nn.Dropout(p=0.5, inplace=False)``. Shape: any; output the same shape."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
