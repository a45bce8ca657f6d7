"""Layer normalisation from scratch, mirroring ``torch.nn.LayerNorm`` (book: Chapter 6, "Normalisation").

Ba, Kiros and Hinton (2016): normalise each example over its own last dimensions (the ``normalized_shape``),
not over the batch as BatchNorm does, so training and evaluation compute the same thing and the batch size does
not matter. For ``x`` whose trailing dimensions equal ``normalized_shape``::

    mu = mean(x),  var = mean((x - mu)^2)      over those trailing dimensions (the biased variance)
    y  = (x - mu) / sqrt(var + eps) * weight + bias
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

__all__ = ["LayerNorm", "layer_norm"]


def layer_norm(input: torch.Tensor, normalized_shape: list[int] | tuple[int, ...],
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
               eps: float = 1e-05) -> torch.Tensor:
    """Normalise ``input`` (..., *normalized_shape) over its trailing ``normalized_shape`` dimensions.

    ``weight`` and ``bias`` have shape ``normalized_shape``. Autograd does the backward pass.
    """
    shape = tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise ValueError(f"layer_norm: input of shape {tuple(input.shape)} must end with normalized_shape "
                         f"{list(shape)}")
    dims = tuple(range(-len(shape), 0))
    mean = input.mean(dim=dims, keepdim=True)
    var = (input - mean).square().mean(dim=dims, keepdim=True)   # biased: divide by the count, not count - 1
    out = (input - mean) * torch.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


class LayerNorm(nn.Module):
    """``torch.nn.LayerNorm``: same arguments, parameters (``weight`` ones, ``bias`` zeros) and outputs.

    Args:
        normalized_shape: an int or the trailing shape to normalise over.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (and ``bias`` if ``bias=True``) of shape ``normalized_shape``.
        bias: learn a bias (only with ``elementwise_affine``).
    Shape: input (..., *normalized_shape), output the same.
    """

    def __init__(self, normalized_shape: int | list[int] | torch.Size, eps: float = 1e-05,
                 elementwise_affine: bool = True, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        if not self.normalized_shape or min(self.normalized_shape) < 1:
            raise ValueError(f"normalized_shape must be non-empty with positive sizes, got {normalized_shape!r}")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        factory = {"device": device, "dtype": dtype}
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape, **factory))
            self.bias = nn.Parameter(torch.zeros(self.normalized_shape, **factory)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
