"""Gradients over time: vanishing in the RNN, kept by the LSTM, exploding and rescued by clipping
(book: Chapter 5, "Vanishing and exploding gradients", label ``ch5-gradients``).

* :func:`gradient_by_distance`: the norm of ``d h_T / d x_t`` (of a fixed random read-out of the last state) for
  every earlier step ``t``, for a freshly initialised layer. It shrinks geometrically with ``T - t`` in the RNN;
  in the LSTM the cell state is carried by the forget gate, and with that gate open (forget bias > 0, as Gers
  et al. 2000 and Jozefowicz et al. 2015 recommend) it shrinks far more slowly.
* :func:`exploding_run`: a ReLU RNN whose recurrent matrix starts at ``scale * I`` (scale > 1) trained by plain SGD:
  without clipping the gradient grows like ``scale^T`` and the loss blows up; clipping the gradient norm
  (Pascanu, Mikolov & Bengio 2013) keeps the steps bounded and training goes on.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.utils.clip_grad import clip_grad_norm_

__all__ = ["gradient_by_distance", "set_forget_bias", "exploding_run"]


def set_forget_bias(lstm: nn.Module, value: float) -> nn.Module:
    """Set the forget-gate part (rows H..2H) of every ``bias_ih_*`` to ``value`` and of ``bias_hh_*`` to 0."""
    H = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.startswith("bias_ih"):
                p[H:2 * H] = value
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0
    return lstm


def gradient_by_distance(layer: nn.Module, T: int = 100, batch: int = 16, seed: int = 0) -> torch.Tensor:
    """Mean over a random batch of ``|| d (w . h_T) / d x_t ||`` for t = 1..T; returns (T,) (index T-1 = distance 0).

    ``layer`` is a batch-first recurrent layer (``dlcourse.nn`` or ``torch.nn``); inputs are standard normal.
    """
    g = torch.Generator().manual_seed(seed)
    p = next(layer.parameters())
    x = torch.randn(batch, T, layer.input_size, generator=g, dtype=p.dtype).requires_grad_()
    w = torch.randn(layer.hidden_size, generator=g, dtype=p.dtype)
    out, _ = layer(x)
    (out[:, -1] @ w).sum().backward()
    return x.grad.norm(dim=2).mean(0)


def _sum_task(n: int, T: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, T, 1, generator=g)
    return x, x.sum(dim=(1, 2))[:, None] / T


def exploding_run(clip: float | None, T: int = 40, hidden: int = 16, scale: float = 1.15, steps: int = 60,
                  lr: float = 0.05, seed: int = 0, layer_cls=None) -> dict[str, list[float]]:
    """Train a ReLU RNN (W_hh = scale * I at the start) to output the mean of its inputs, by SGD.

    Returns ``{"loss": [...], "grad_norm": [...]}`` per step (the norm before clipping). A non-finite loss ends
    the run early (the rest of the list is ``inf``).
    """
    from ..nn.rnn import RNN

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    rnn = (layer_cls or RNN)(1, hidden, nonlinearity="relu", batch_first=True)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(scale * torch.eye(hidden))
    head = nn.Linear(hidden, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=lr)
    losses, norms = [], []
    for _ in range(steps):
        x, y = _sum_task(32, T, g)
        loss = F.mse_loss(head(rnn(x)[0][:, -1]), y)
        opt.zero_grad()
        loss.backward()
        total = clip_grad_norm_(params, clip if clip is not None else math.inf)
        losses.append(loss.item())
        norms.append(total.item())
        if not math.isfinite(loss.item()) or not math.isfinite(total.item()):
            losses += [math.inf] * (steps - len(losses))
            norms += [math.inf] * (steps - len(norms))
            break
        opt.step()
    return {"loss": losses, "grad_norm": norms}
