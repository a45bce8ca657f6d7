"""The backward pass of a multilayer perceptron by three rules, as explicit matrix code
(book: Chapter 3, "Backpropagation by the rules", label ``ch3-rules``).

Forward, for layers :math:`l = 1..L` with a batch of row vectors :math:`A_0 = X` of shape (N, in):

.. math:: Z_l = A_{l-1} W_l^\\top + b_l, \\qquad A_l = f_l(Z_l)

(the last layer has no activation: it outputs scores). Backward, with :math:`G = \\partial \\text{loss} /
\\partial A_L` and the cached :math:`A_{l-1}, Z_l`, going from the last layer to the first:

1. a **function** :math:`f`: multiply elementwise by its derivative at the forward input, :math:`G \\leftarrow
   G \\odot f'(Z_l)`;
2. a **weight matrix**: the parameter gradient is the layer's input transposed times the backward signal,
   :math:`\\partial W_l = G^\\top A_{l-1}` (torch layout (out, in); equivalently :math:`A_{l-1}^\\top G` in
   (in, out) layout) and :math:`\\partial b_l = \\sum_n G_n`;
3. then pass the signal through the weight matrix by multiplying with its transpose: :math:`G \\leftarrow G W_l`
   (:math:`G (W_l^\\top)^\\top`, the transpose of the forward map :math:`A \\mapsto A W_l^\\top`).

Parameters are laid out like ``torch.nn.Linear`` (weight (out, in), bias (out,)) and named like an
``nn.Sequential`` of alternating ``Linear`` and activation modules (``"0.weight"``, ``"0.bias"``, ``"2.weight"``,
...), so :meth:`MLP.load_state_dict` accepts a torch ``Sequential``'s ``state_dict()``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from ..nn.activation import ACTIVATIONS, activation, activation_derivative, activation_module

__all__ = ["linear_backward", "MLP", "mse_loss_grad", "cross_entropy_grad"]

def linear_backward(x: torch.Tensor, weight: torch.Tensor, grad_output: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backward of :math:`Z = X W^\\top + b` by the rules.

    Args:
        x: the layer's input :math:`X`, (N, in).
        weight: :math:`W`, (out, in).
        grad_output: :math:`G = \\partial\\text{loss}/\\partial Z`, (N, out).

    Returns:
        ``(grad_input, grad_weight, grad_bias)`` of shapes (N, in), (out, in), (out,):
        :math:`G W`, :math:`G^\\top X`, :math:`\\sum_n G_n`.
    """
    if x.ndim != 2 or weight.ndim != 2 or grad_output.ndim != 2:
        raise ValueError("linear_backward expects 2-D x (N, in), weight (out, in), grad_output (N, out); got "
                         f"{tuple(x.shape)}, {tuple(weight.shape)}, {tuple(grad_output.shape)}")
    if x.shape[1] != weight.shape[1] or grad_output.shape != (x.shape[0], weight.shape[0]):
        raise ValueError(f"shapes do not fit: x {tuple(x.shape)}, weight {tuple(weight.shape)}, "
                         f"grad_output {tuple(grad_output.shape)} (expected ({x.shape[0]}, {weight.shape[0]}))")
    grad_input = grad_output @ weight          # rule 3: multiply by the transpose of the forward map
    grad_weight = grad_output.T @ x            # rule 2: input transposed times backward signal (torch layout)
    grad_bias = grad_output.sum(dim=0)
    return grad_input, grad_weight, grad_bias


def mse_loss_grad(output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean squared error (``torch.nn.MSELoss()``) and its gradient :math:`2(Y - T)/\\text{numel}`."""
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
    diff = output - target
    return (diff ** 2).mean(), 2 * diff / diff.numel()


def cross_entropy_grad(logits: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy of logits (N, C) against class indices (N,), averaged like ``nn.CrossEntropyLoss()``,
    and its gradient :math:`(\\mathrm{softmax}(Z) - \\mathrm{onehot}(t)) / N`."""
    if logits.ndim != 2 or target.shape != (logits.shape[0],):
        raise ValueError(f"expected logits (N, C) and targets (N,), got {tuple(logits.shape)} and "
                         f"{tuple(target.shape)}")
    if target.dtype != torch.int64:
        raise TypeError(f"targets must be class indices of dtype int64, got {target.dtype}")
    log_p = torch.log_softmax(logits, dim=1)
    n = logits.shape[0]
    loss = -log_p[torch.arange(n, device=logits.device), target].mean()
    grad = log_p.exp()
    grad[torch.arange(n, device=logits.device), target] -= 1
    return loss, grad / n


class MLP:
    """A multilayer perceptron whose gradients come from the three rules, not from autograd.

    Args:
        sizes: layer widths ``(in, hidden..., out)``; at least two.
        activation: the hidden layers' activation, one of :data:`dlcourse.nn.activation.ACTIVATIONS`.
        dtype, device: of the parameters.
        generator: for the initialisation, which is ``nn.Linear``'s: uniform in :math:`\\pm 1/\\sqrt{\\text{in}}`.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "sigmoid", dtype: torch.dtype = torch.float64,
                 device: torch.device | str | None = None, generator: torch.Generator | None = None):
        sizes = list(sizes)
        if len(sizes) < 2 or any(not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError(f"sizes must be at least two positive ints (in, ..., out), got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {tuple(ACTIVATIONS)}")
        self.sizes, self.activation = sizes, activation
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / math.sqrt(fan_in)
            w = (torch.rand(fan_out, fan_in, generator=generator, dtype=dtype) * 2 - 1) * bound
            b = (torch.rand(fan_out, generator=generator, dtype=dtype) * 2 - 1) * bound
            self.weights.append(w.to(device))
            self.biases.append(b.to(device))
        self._cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None

    # -- torch interop --------------------------------------------------------------------------------------
    def _keys(self) -> list[tuple[str, str]]:
        # in nn.Sequential(Linear, Act, Linear, Act, ..., Linear) the Linear layers sit at indices 0, 2, 4, ...
        return [(f"{2 * i}.weight", f"{2 * i}.bias") for i in range(len(self.weights))]

    def state_dict(self) -> dict[str, torch.Tensor]:
        out = {}
        for (kw, kb), w, b in zip(self._keys(), self.weights, self.biases):
            out[kw], out[kb] = w, b
        return out

    def load_state_dict(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Copy weights from a torch ``nn.Sequential(Linear, act, ..., Linear)``'s ``state_dict()``."""
        expected = [k for pair in self._keys() for k in pair]
        if sorted(state_dict) != sorted(expected):
            raise ValueError(f"state_dict keys {sorted(state_dict)} do not match {expected}")
        for i, (kw, kb) in enumerate(self._keys()):
            w, b = state_dict[kw], state_dict[kb]
            if w.shape != self.weights[i].shape or b.shape != self.biases[i].shape:
                raise ValueError(f"{kw}/{kb}: got shapes {tuple(w.shape)}/{tuple(b.shape)}, expected "
                                 f"{tuple(self.weights[i].shape)}/{tuple(self.biases[i].shape)}")
            self.weights[i] = w.detach().to(self.weights[i].dtype).clone()
            self.biases[i] = b.detach().to(self.biases[i].dtype).clone()

    def to_torch(self) -> torch.nn.Sequential:
        """The same network as a torch ``nn.Sequential`` with the same weights."""
        layers: list[torch.nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(torch.nn.Linear(fan_in, fan_out, dtype=self.weights[0].dtype))
            if i < len(self.weights) - 1:
                layers.append(activation_module(self.activation))
        model = torch.nn.Sequential(*layers).to(self.weights[0].device)
        model.load_state_dict(self.state_dict())
        return model

    # -- forward and backward -------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs (N, out) for inputs (N, in); caches each layer's input and pre-activation for backward."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (N, {self.sizes[0]}), got {tuple(x.shape)}")
        if x.dtype != self.weights[0].dtype:
            raise TypeError(f"x has dtype {x.dtype} but the parameters are {self.weights[0].dtype}")
        self._cache = []
        a = x
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w.T + b                                           # (N, out_l)
            self._cache.append((a, z))
            a = activation(z, self.activation) if i < len(self.weights) - 1 else z
        return a

    __call__ = forward

    def backward(self, grad_output: torch.Tensor) -> dict[str, torch.Tensor]:
        """Gradients of the loss w.r.t. every parameter, by the three rules, from :math:`\\partial\\text{loss}/
        \\partial\\text{output}` (N, out). Returns a dict keyed like :meth:`state_dict`."""
        if self._cache is None:
            raise RuntimeError("call forward before backward: the backward pass needs the cached activations")
        n = self._cache[0][0].shape[0]
        if grad_output.shape != (n, self.sizes[-1]):
            raise ValueError(f"grad_output must have shape ({n}, {self.sizes[-1]}), got {tuple(grad_output.shape)}")
        grads: dict[str, torch.Tensor] = {}
        g = grad_output
        for i in reversed(range(len(self.weights))):
            a_prev, z = self._cache[i]
            if i < len(self.weights) - 1:
                g = g * activation_derivative(z, self.activation)      # rule 1: function -> times f'(z)
            g_in, g_w, g_b = linear_backward(a_prev, self.weights[i], g)  # rules 2 and 3
            kw, kb = self._keys()[i]
            grads[kw], grads[kb] = g_w, g_b
            g = g_in
        self.grad_input = g
        return grads
