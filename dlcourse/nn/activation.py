"""Activation functions: the from-scratch sigmoid and ReLU, and the one table of activations by name
(book: Chapter 1, "Algorithms"; Chapter 3, "Backpropagation by the rules"; Chapter 6 completes torch's API).

.. math::

    \\sigma(x) = \\frac{1}{1 + e^{-x}}, \\qquad \\sigma'(x) = \\sigma(x)\\,(1 - \\sigma(x)) \\le \\tfrac14;
    \\qquad \\operatorname{relu}(x) = \\max(0, x), \\qquad \\operatorname{relu}'(x) = [x > 0].

Every model that picks its activation by name (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``) goes through
:data:`ACTIVATIONS` here: :func:`activation_module` for a ``torch.nn`` module, :func:`activation` and
:func:`activation_derivative` for the rule-based backward pass of Chapter 3. The functional forms
:func:`sigmoid` and :func:`relu` are public as ``dlcourse.nn.functional.sigmoid`` / ``relu``.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "sigmoid", "relu", "activation", "activation_derivative", "activation_module"]

#: The activations known by name, and the ``torch.nn`` module of each.
ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
                                           "identity": nn.Identity}


def sigmoid(input: torch.Tensor) -> torch.Tensor:
    """The logistic sigmoid :math:`1 / (1 + e^{-x})`, elementwise; any shape, same shape out.

    Written as :math:`e^{x} / (1 + e^{x})` for negative ``x`` so that large ``|x|`` never overflows.
    """
    if not isinstance(input, torch.Tensor) or not input.is_floating_point():
        raise TypeError(f"sigmoid expects a floating-point tensor, got {type(input).__name__}")
    e = torch.exp(-input.abs())                     # in (0, 1]: no overflow
    return torch.where(input >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """The rectified linear unit :math:`\\max(0, x)`, elementwise; any shape, same shape out."""
    if inplace:
        raise ValueError("relu(inplace=True) is not supported; use inplace=False")
    if not isinstance(input, torch.Tensor) or not input.is_floating_point():
        raise TypeError(f"relu expects a floating-point tensor, got {type(input).__name__}")
    return torch.where(input > 0, input, torch.zeros_like(input))


def _check_name(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {tuple(ACTIVATIONS)}")


def activation_module(name: str) -> nn.Module:
    """A new ``torch.nn`` module for the activation ``name`` (one of :data:`ACTIVATIONS`)."""
    _check_name(name)
    return ACTIVATIONS[name]()


def activation(z: torch.Tensor, name: str) -> torch.Tensor:
    """Apply the activation ``name`` elementwise."""
    _check_name(name)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "tanh":
        return torch.tanh(z)
    if name == "relu":
        return torch.clamp(z, min=0)
    return z


def activation_derivative(z: torch.Tensor, name: str) -> torch.Tensor:
    """:math:`f'(z)` elementwise: sigmoid :math:`\\sigma(1-\\sigma)`, tanh :math:`1-\\tanh^2`, relu :math:`[z>0]`."""
    _check_name(name)
    if name == "sigmoid":
        s = torch.sigmoid(z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - torch.tanh(z) ** 2
    if name == "relu":
        return (z > 0).to(z.dtype)
    return torch.ones_like(z)
