"""Weight initialisation from scratch, mirroring ``torch.nn.init`` (book: Chapter 6, "Initialisation").

A layer ``y = W x`` with ``fan_in`` inputs of unit variance and weights of variance ``s^2`` gives outputs of variance
``fan_in * s^2``; through 50 layers that factor is raised to the 50th power. Glorot and Bengio (2010) choose
``s^2 = 2 / (fan_in + fan_out)`` so that both the forward signal and the backward gradient keep their scale for
an activation that is linear around zero (tanh). He et al. (2015) note that ReLU zeroes half its inputs, halving
the variance, and choose ``s^2 = 2 / fan_in``. torch writes both as ``std = gain * sqrt(1 / fan)`` (Kaiming)
or ``gain * sqrt(2 / (fan_in + fan_out))`` (Xavier) with :func:`calculate_gain` per nonlinearity, and a uniform
draw on ``[-sqrt(3) std, sqrt(3) std]`` has the same variance as a normal draw with ``std``.

For a weight of shape (out, in, *kernel): ``fan_in = in * prod(kernel)``, ``fan_out = out * prod(kernel)``.
With the same ``generator`` these functions draw exactly the numbers torch's draw.
"""
from __future__ import annotations

import math
import warnings

import torch

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "_calculate_fan_in_and_fan_out"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: int | float | None = None) -> float:
    """The factor that keeps the variance through ``nonlinearity``: 1 for linear and sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight (out, in, *kernel): ``in * prod(kernel)`` and ``out * prod(kernel)``."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.size(1) * receptive, tensor.size(0) * receptive


def _fan(tensor: torch.Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


@torch.no_grad()
def uniform_(tensor: torch.Tensor, a: float = 0.0, b: float = 1.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` with draws from U(a, b)."""
    return tensor.uniform_(a, b, generator=generator)


@torch.no_grad()
def normal_(tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` with draws from N(mean, std^2)."""
    return tensor.normal_(mean, std, generator=generator)


@torch.no_grad()
def constant_(tensor: torch.Tensor, val: float) -> torch.Tensor:
    return tensor.fill_(val)


def ones_(tensor: torch.Tensor) -> torch.Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: torch.Tensor) -> torch.Tensor:
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Glorot and Bengio (2010): U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Glorot and Bengio (2010): N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: torch.Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """He et al. (2015): U(-bound, bound) with ``bound = sqrt(3) * gain / sqrt(fan)``; ``a`` is the negative slope
    passed to :func:`calculate_gain` for leaky_relu; ``mode`` picks ``fan_in`` (forward) or ``fan_out`` (backward)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """He et al. (2015): N(0, std^2) with ``std = gain / sqrt(fan)``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)
