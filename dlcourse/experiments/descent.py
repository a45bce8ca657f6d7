"""Gradient descent, stochastic and minibatch gradient descent on one problem
(book: Chapter 3, "Walking down the mountain in fog", label ``ch3-sgd``).

All three take steps :math:`\\theta \\leftarrow \\theta - \\eta\\, \\hat g` where :math:`\\hat g` is the gradient of
the average loss over a batch :math:`B`: the whole training set (gradient descent: the exact slope), one example
(stochastic gradient descent, Robbins & Monro 1951: a cheap, noisy estimate) or :math:`|B|` examples (minibatch).
The problem here is a line fit :math:`\\hat y = w x + b` with mean squared error, so the loss surface over
:math:`(w, b)` can be drawn and the paths plotted on it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

__all__ = ["make_line_data", "line_loss", "line_grad", "DescentRun", "minibatch_descent", "loss_surface"]


def make_line_data(n: int = 512, w: float = 2.0, b: float = -1.0, noise: float = 0.5, x_mean: float = 2.0,
                   generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``y = w x + b + noise`` with ``x ~ N(x_mean, 1)``; an off-centre ``x`` makes the loss surface a
    long narrow valley, where plain gradient descent must take small steps. Returns ``x, y`` of shape (n,)."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    x = torch.randn(n, generator=generator, dtype=dtype) + x_mean
    y = w * x + b + noise * torch.randn(n, generator=generator, dtype=dtype)
    return x, y


def line_loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error :math:`\\frac1n\\sum (w x_i + b - y_i)^2` for ``theta = (w, b)``; ``theta`` may carry
    leading batch axes (..., 2) to evaluate a whole grid at once."""
    if theta.shape[-1] != 2:
        raise ValueError(f"theta must end in size 2 (w, b), got shape {tuple(theta.shape)}")
    pred = theta[..., :1] * x + theta[..., 1:]
    return ((pred - y) ** 2).mean(dim=-1)


def line_grad(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """:math:`\\nabla_{w,b}` of :func:`line_loss`: :math:`\\frac2n \\sum r_i (x_i, 1)` with residual :math:`r_i`."""
    r = theta[0] * x + theta[1] - y
    return torch.stack([2 * (r * x).mean(), 2 * r.mean()])


@dataclass
class DescentRun:
    """One run: the path of ``theta``, and after every step the full training loss, examples seen and seconds."""

    batch_size: int
    path: list[torch.Tensor] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def minibatch_descent(x: torch.Tensor, y: torch.Tensor, theta0: torch.Tensor, lr: float, batch_size: int,
                      epochs: float = 1.0, generator: torch.Generator | None = None) -> DescentRun:
    """Run descent with batches of ``batch_size`` (``len(x)`` = gradient descent, 1 = SGD), reshuffling each
    epoch, for ``epochs`` passes over the data (may be fractional). Time spent on measuring the full loss for
    the record is excluded from ``seconds``."""
    n = len(x)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    theta = theta0.detach().clone().to(x.dtype)
    run = DescentRun(batch_size)
    run.path.append(theta.clone())
    run.losses.append(float(line_loss(theta, x, y)))
    run.examples.append(0)
    run.seconds.append(0.0)
    steps = max(1, int(round(epochs * n / batch_size)))
    seen, elapsed, order, pos = 0, 0.0, torch.randperm(n, generator=generator), 0
    for _ in range(steps):
        start = time.perf_counter()
        if pos + batch_size > n:
            order, pos = torch.randperm(n, generator=generator), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        theta = theta - lr * line_grad(theta, x[idx], y[idx])
        elapsed += time.perf_counter() - start
        seen += batch_size
        run.path.append(theta.clone())
        run.losses.append(float(line_loss(theta, x, y)))
        run.examples.append(seen)
        run.seconds.append(elapsed)
    return run


def loss_surface(x: torch.Tensor, y: torch.Tensor, w_range: tuple[float, float], b_range: tuple[float, float],
                 resolution: int = 80) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The loss on a ``resolution`` x ``resolution`` grid of ``(w, b)``: returns ``W, B, L`` for ``contour``."""
    w = torch.linspace(*w_range, resolution, dtype=x.dtype)
    b = torch.linspace(*b_range, resolution, dtype=x.dtype)
    W, B = torch.meshgrid(w, b, indexing="xy")
    L = line_loss(torch.stack([W, B], dim=-1).unsqueeze(-2), x, y).squeeze(-1)
    return W, B, L
