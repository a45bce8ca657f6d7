"""Reverse mode against finite differences: the cost of a gradient (book: Chapter 3, label ``ch3-cost``).

A finite-difference gradient needs the loss at a perturbed copy of the weights once per weight (twice for central
differences), so its cost grows with the number of weights ``n``. Reverse mode (backpropagation) gets all ``n``
partial derivatives from one forward and one backward pass, a small constant times the cost of the forward pass
(Linnainmaa 1970; Baydin et al. 2018). :func:`time_gradients` measures both on one-hidden-layer MLPs of growing
width, in float64, and checks that they agree.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from ..autograd.gradcheck import numerical_gradient
from ..runtime import size as _size

__all__ = ["Config", "QUICK", "FULL", "config", "time_gradients"]


@dataclass(frozen=True)
class Config:
    """Hidden widths to try (the number of weights grows with them), inputs and batch size."""

    widths: tuple[int, ...] = (2, 8, 32, 128)
    inputs: int = 16
    batch: int = 32


QUICK = Config()
FULL = Config(widths=(2, 8, 32, 128, 512))


def config(size: str | None = None) -> Config:
    """:data:`FULL` when the size is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


def _best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_gradients(cfg: Config | None = None, seed: int = 0) -> list[dict]:
    """For each width: the number of weights, seconds for one reverse-mode gradient (forward + backward), seconds
    for the central-difference gradient of every weight (two forward passes per weight),
    and the largest relative difference between the two gradients.

    Returns a list of rows ``{"width", "weights", "reverse_s", "finite_s", "ratio", "max_rel_diff"}``.
    """
    cfg = cfg or config()
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(cfg.batch, cfg.inputs, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (cfg.batch,), generator=g)
    return [_time_one(width, X, y, seed) for width in cfg.widths]


def _time_one(width: int, X: torch.Tensor, y: torch.Tensor, seed: int) -> dict:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(X.shape[1], width), nn.Tanh(), nn.Linear(width, 3)).double()
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())

    def reverse():
        model.zero_grad()
        loss_fn(model(X), y).backward()

    reverse_s = _best_of(reverse, repeats=5)
    reverse()
    analytic = [p.grad.clone() for p in params]

    def loss() -> float:
        with torch.no_grad():
            return loss_fn(model(X), y).item()

    start = time.perf_counter()
    numeric = [numerical_gradient(loss, p.data) for p in params]
    finite_s = time.perf_counter() - start
    diff = max(((a - n).abs().max() / a.abs().max().clamp_min(1e-12)).item() for a, n in zip(analytic, numeric))
    return {"width": width, "weights": sum(p.numel() for p in params), "reverse_s": reverse_s,
            "finite_s": finite_s, "ratio": finite_s / reverse_s, "max_rel_diff": diff}
