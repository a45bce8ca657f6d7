"""The 8-3-8 encoder of Rumelhart, Hinton and Williams (book: Chapter 3, label ``ch3-encoder``).

Eight input units, three hidden units, eight output units; the eight training patterns are the one-hot vectors and
the target is the input itself. To pass eight patterns through three units, the network must invent a code for
them; with sigmoid hidden units it tends to find one close to the 3-bit binary code, as the 1985 report observed.
Nothing in the task says "binary": backpropagation discovers the code.

Training is full-batch (all 8 patterns every step) with momentum, as in the report; the loss is the binary
cross-entropy of sigmoid outputs. The loop lives here rather than in :func:`dlcourse.training.fit` because each
"epoch" is one step on eight patterns and fit's per-epoch bookkeeping would cost more than the step.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm

from ..runtime import size as _size

__all__ = ["Config", "QUICK", "FULL", "config", "EncoderResult", "train_encoder", "hidden_codes"]


@dataclass(frozen=True)
class Config:
    """Steps of full-batch gradient descent with momentum, and the learning rate."""

    steps: int = 500
    lr: float = 2.0
    momentum: float = 0.9
    hidden: int = 3


QUICK = Config()
FULL = Config(steps=5000, lr=1.0)


def config(size: str | None = None) -> Config:
    """:data:`FULL` when the size is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


@dataclass
class EncoderResult:
    """The trained network, its loss per step, and its hidden activations for the 8 patterns (8, hidden)."""

    model: nn.Sequential
    losses: list[float]
    hidden: torch.Tensor
    accuracy: float


def hidden_codes(model: nn.Sequential, n: int = 8) -> torch.Tensor:
    """Hidden-unit activations (sigmoid outputs in [0, 1]) for the ``n`` one-hot patterns: shape (n, hidden)."""
    with torch.no_grad():
        return model[1](model[0](torch.eye(n, dtype=model[0].weight.dtype)))


def train_encoder(cfg: Config | None = None, seed: int = 0, n: int = 8, progress: bool = False) -> EncoderResult:
    """Train an ``n``-``cfg.hidden``-``n`` sigmoid encoder on the ``n`` one-hot patterns (CPU, float64)."""
    cfg = cfg or config()
    if n < 2 or cfg.hidden < 1:
        raise ValueError(f"need n >= 2 patterns and at least one hidden unit, got n={n}, hidden={cfg.hidden}")
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(n, cfg.hidden), nn.Sigmoid(), nn.Linear(cfg.hidden, n)).double()
    with torch.no_grad():  # small random weights, as in the report (uniform in +-0.5)
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=p.dtype) - 0.5)
    X = torch.eye(n, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in tqdm(range(cfg.steps), desc="8-3-8 encoder", disable=not progress):
        opt.zero_grad()
        loss = loss_fn(model(X), X)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        accuracy = (model(X).argmax(1) == torch.arange(n)).double().mean().item()
    return EncoderResult(model, losses, hidden_codes(model, n), accuracy)
