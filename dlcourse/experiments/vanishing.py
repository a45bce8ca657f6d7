"""Vanishing gradients: sigmoid against ReLU in a deep network, and the gradient norm of each layer
(book: Chapter 1, "Algorithms"; Chapter 3, "Vanishing gradients", label ``ch3-vanishing``; Chapter 6 goes deeper).

By the rules of backpropagation the signal reaching layer :math:`l` is multiplied, on the way down, by
:math:`f'(Z_k)` and :math:`W_k` of every layer above it. The sigmoid's derivative is at most 1/4, so in a deep
sigmoid network these factors shrink the signal layer after layer and the first layers barely learn
(Hochreiter 1991; Bengio, Simard & Frasconi 1994). ReLU's derivative is 0 or 1, which keeps the scale.

- :func:`compare_activations` trains the same deep :class:`dlcourse.models.MLP` on the digits with each
  activation and returns the training histories (Chapter 1);
- :func:`layer_gradient_norms` measures each layer's weight gradient after one backward pass (Chapter 3).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..models.mlp import MLP
from ..training import accuracy, fit

__all__ = ["compare_activations", "layer_gradient_norms"]


def compare_activations(data, activations: Sequence[str] = ("sigmoid", "relu"), depth: int = 5,
                        width: int = 64, epochs: int = 20, lr: float = 0.05, momentum: float = 0.9,
                        batch_size: int = 64, seed: int = 0, device=None, progress: bool = False) -> dict:
    """Train the same deep MLP with each activation (SGD with momentum, same seed) and return the histories.

    Args:
        data: :class:`dlcourse.data.Digits` with flattened images, ``X_train`` (N, 64).
        activations: names in :data:`dlcourse.nn.activation.ACTIVATIONS`.
        depth, width: the network's hidden layers.
        epochs, lr, momentum, batch_size: the optimiser's settings, identical for every activation.
        seed: seed of the initial weights and of the batch order.

    Returns:
        ``{activation: History}`` with ``train_loss``, ``valid_loss`` and ``valid_accuracy`` per epoch.
    """
    results = {}
    for name in activations:
        torch.manual_seed(seed)
        model = MLP(data.X_train.shape[1], [width] * depth, 10, activation=name)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        results[name] = fit(model, (data.X_train, data.y_train), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer,
                            epochs=epochs, batch_size=batch_size, valid=(data.X_test, data.y_test),
                            metrics={"accuracy": accuracy}, device=device,
                            generator=torch.Generator().manual_seed(seed), progress=progress, desc=name)
    return results


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
