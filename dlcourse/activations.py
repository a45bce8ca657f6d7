"""The algorithms driver: sigmoid vs ReLU in a deep network (book: Chapter 1, "Algorithms"; Chapter 6 goes deeper).

.. math::

    \\sigma(x) = \\frac{1}{1 + e^{-x}}, \\qquad \\sigma'(x) = \\sigma(x)\\,(1 - \\sigma(x)) \\le \\tfrac14;
    \\qquad \\operatorname{relu}(x) = \\max(0, x), \\qquad \\operatorname{relu}'(x) = [x > 0].

Backpropagation multiplies one activation derivative per layer. With the sigmoid each factor is at most 1/4, so
the gradient reaching the first layers of a deep network shrinks geometrically and they barely learn; with ReLU
the factor is 1 wherever the unit is active. :func:`compare_activations` trains the same deep MLP on the digits
with each activation and returns the training histories.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .diagnostics import deep_mlp

__all__ = ["sigmoid", "relu", "compare_activations"]


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic sigmoid :math:`1 / (1 + e^{-x})`, elementwise; any shape, same shape out.

    Written as :math:`e^{x} / (1 + e^{x})` for negative ``x`` so that large ``|x|`` never overflows.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"sigmoid expects a floating-point tensor, got {type(x).__name__}")
    e = torch.exp(-x.abs())                     # in (0, 1]: no overflow
    return torch.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x: torch.Tensor) -> torch.Tensor:
    """The rectified linear unit :math:`\\max(0, x)`, elementwise; any shape, same shape out."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"relu expects a floating-point tensor, got {type(x).__name__}")
    return torch.where(x > 0, x, torch.zeros_like(x))


def compare_activations(data, activations: Sequence[str] = ("sigmoid", "relu"), depth: int = 5,
                        width: int = 64, epochs: int = 20, lr: float = 0.05, momentum: float = 0.9,
                        batch_size: int = 64, seed: int = 0, device=None, progress: bool = False) -> dict:
    """Train the same deep MLP with each activation (SGD with momentum, same seed) and return the histories.

    Args:
        data: :class:`dlcourse.data.Digits` with flattened images, ``X_train`` (N, 64).
        activations: names accepted by :func:`dlcourse.diagnostics.deep_mlp`.
        depth, width: the network's hidden layers.
        epochs, lr, momentum, batch_size: the optimiser's settings, identical for every activation.
        seed: seed of the initial weights and of the batch order.

    Returns:
        ``{activation: History}`` with ``train_loss``, ``valid_loss`` and ``valid_accuracy`` per epoch.
    """
    from .training import accuracy, fit

    results = {}
    for name in activations:
        torch.manual_seed(seed)
        model = deep_mlp(data.X_train.shape[1], width, depth, 10, activation=name)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        results[name] = fit(model, (data.X_train, data.y_train), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer,
                            epochs=epochs, batch_size=batch_size, valid=(data.X_test, data.y_test),
                            metrics={"accuracy": accuracy}, device=device,
                            generator=torch.Generator().manual_seed(seed), progress=progress, desc=name)
    return results
