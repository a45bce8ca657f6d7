"""Gradient clipping, mirroring ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` (book: Chapter 5,
"Exploding gradients").

Clipping by norm (Pascanu, Mikolov & Bengio 2013) treats all gradients as one long vector ``g``: if its norm
exceeds ``max_norm`` every gradient is scaled by the same factor, so the step keeps its direction::

    total_norm = || (||g_1||, ||g_2||, ...) ||        g <- g * min(1, max_norm / (total_norm + 1e-6))

Clipping by value clamps each element to ``[-clip_value, clip_value]``, which changes the direction.
"""
from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

Params = torch.Tensor | Iterable[torch.Tensor]


def _grads(parameters: Params) -> list[torch.Tensor]:
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Params, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> torch.Tensor:
    """Scale the gradients in place so that their joint ``norm_type``-norm is at most ``max_norm``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: the p of the p-norm; ``float("inf")`` for the largest absolute value.
        error_if_nonfinite: raise if the total norm is nan or inf.
        foreach: torch's choice of a faster kernel; the result is the same, so any value is accepted.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return torch.tensor(0.0)
    device = grads[0].device
    norms = torch.stack([torch.linalg.vector_norm(g.detach(), norm_type).to(device) for g in grads])
    total_norm = norms.max() if norm_type == float("inf") else torch.linalg.vector_norm(norms, norm_type)
    if error_if_nonfinite and not bool(torch.isfinite(total_norm)):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total_norm.item()}, so they "
                           "cannot be clipped; pass error_if_nonfinite=False to clip anyway")
    clip_coef = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)
    for g in grads:
        g.detach().mul_(clip_coef.to(g.device, g.dtype))
    return total_norm


def clip_grad_value_(parameters: Params, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element in place to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.detach().clamp_(min=-clip_value, max=clip_value)
