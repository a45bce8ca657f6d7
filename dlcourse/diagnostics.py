"""Looking inside training: the gradient norm of each layer after one backward pass
(book: Chapter 3, "Vanishing gradients", label ``ch3-vanishing``).

By the rules of backpropagation the signal reaching layer :math:`l` is multiplied, on the way down, by
:math:`f'(Z_k)` and :math:`W_k` of every layer above it. The sigmoid's derivative is at most 1/4, so in a deep
sigmoid network these factors shrink the signal layer after layer and the first layers barely learn
(Hochreiter 1991; Bengio, Simard & Frasconi 1994). ReLU's derivative is 0 or 1, which keeps the scale.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["deep_mlp", "layer_gradient_norms"]


def deep_mlp(in_features: int, width: int, depth: int, out_features: int, activation: str = "sigmoid",
             init: str = "torch") -> nn.Sequential:
    """``depth`` hidden ``Linear(width) + activation`` layers then a ``Linear(out_features)``.

    Args:
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        init: ``"torch"`` (``nn.Linear``'s default), ``"xavier"`` (Glorot & Bengio 2010: weight variance
            :math:`2/(\\text{in}+\\text{out})`) or ``"he"`` (He et al. 2015: :math:`2/\\text{in}`, for ReLU);
            biases are zeroed for the last two (Chapter 6 derives both).
    """
    if init not in ("torch", "xavier", "he"):
        raise ValueError(f"init must be 'torch', 'xavier' or 'he', got {init!r}")
    acts = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
    if activation not in acts:
        raise ValueError(f"activation must be one of {sorted(acts)}, got {activation!r}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    layers: list[nn.Module] = []
    fan_in = in_features
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), acts[activation]()]
        fan_in = width
    layers.append(nn.Linear(fan_in, out_features))
    if init != "torch":
        for m in layers:
            if isinstance(m, nn.Linear):
                if init == "xavier":
                    nn.init.xavier_normal_(m.weight)
                else:
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
    return nn.Sequential(*layers)


def layer_gradient_norms(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
                         loss_fn: Callable = nn.functional.cross_entropy) -> list[float]:
    """The Frobenius norm of each ``nn.Linear`` weight's gradient after one forward and backward pass on
    ``(X, y)``, in order from the input layer to the output layer. The model's existing gradients are left as
    they were (this works on copies via ``torch.autograd.grad``)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("the model has no nn.Linear layers")
    device = next(model.parameters()).device
    loss = loss_fn(model(X.to(device)), y.to(device))
    grads = torch.autograd.grad(loss, [m.weight for m in linears])
    return [g.norm().item() for g in grads]
