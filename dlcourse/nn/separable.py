"""Depthwise separable convolution and the cost of a convolution (book: Chapter 4, "Depthwise separable").

A standard k x k convolution mixes space and channels at once. A depthwise separable one (Sifre 2014; Xception,
Chollet 2017; MobileNets, Howard et al. 2017) splits it in two:

1. depthwise: one k x k filter per input channel (``groups = C_in``), no mixing across channels;
2. pointwise: a 1 x 1 convolution that mixes the channels.

Per output position, ignoring biases, the multiply-adds are

.. math::

    \\text{standard: } k^2 C_{in} C_{out}, \\qquad \\text{separable: } k^2 C_{in} + C_{in} C_{out},

a ratio of ``1 / C_out + 1 / k^2``; the parameter counts follow the same formulas.
"""
from __future__ import annotations

import torch
from torch import nn

from ._utils import _pair
from .conv import Conv2d, conv2d_output_size

__all__ = ["conv2d_params", "conv2d_macs", "DepthwiseSeparableConv2d", "count_parameters"]


def conv2d_params(in_channels: int, out_channels: int, kernel_size, groups: int = 1, bias: bool = True) -> int:
    """Number of parameters of a ``Conv2d``: ``C_out * (C_in / groups) * kH * kW (+ C_out)``."""
    kH, kW = _pair(kernel_size, "kernel_size", 1)
    return out_channels * (in_channels // groups) * kH * kW + (out_channels if bias else 0)


def conv2d_macs(in_channels: int, out_channels: int, kernel_size, size, stride=1, padding=0, dilation=1,
                groups: int = 1) -> int:
    """Multiply-adds of one ``Conv2d`` on one image of ``size`` (H, W): ``H_out W_out C_out (C_in/groups) kH kW``."""
    kH, kW = _pair(kernel_size, "kernel_size", 1)
    H_out, W_out = conv2d_output_size(size, (kH, kW), stride, padding, dilation)
    return H_out * W_out * out_channels * (in_channels // groups) * kH * kW


def count_parameters(module: nn.Module) -> int:
    """Total number of elements in ``module.parameters()``."""
    return sum(p.numel() for p in module.parameters())


class DepthwiseSeparableConv2d(nn.Module):
    """A depthwise ``k x k`` convolution followed by a pointwise ``1 x 1`` one.

    Submodules ``depthwise`` (Conv2d(C_in, C_in, k, groups=C_in)) and ``pointwise`` (Conv2d(C_in, C_out, 1)).

    Args:
        conv: the layer class to build them from (``dlcourse.nn.Conv2d`` or ``torch.nn.Conv2d``).

    Shapes: (N, C_in, H, W) -> (N, C_out, H_out, W_out), as a ``Conv2d`` with the same kernel_size, stride and
    padding.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True,
                 conv: type[nn.Module] = Conv2d):
        super().__init__()
        self.depthwise = conv(in_channels, in_channels, kernel_size, stride=stride, padding=padding,
                              groups=in_channels, bias=bias)
        self.pointwise = conv(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))

    @staticmethod
    def params(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
        """Parameter count by formula: ``C_in k^2 + C_in C_out (+ C_in + C_out)``."""
        return (conv2d_params(in_channels, in_channels, kernel_size, groups=in_channels, bias=bias)
                + conv2d_params(in_channels, out_channels, 1, bias=bias))

    @staticmethod
    def macs(in_channels: int, out_channels: int, kernel_size, size, stride=1, padding=0) -> int:
        """Multiply-adds by formula on one image of ``size``."""
        out = conv2d_output_size(size, kernel_size, stride, padding)
        return (conv2d_macs(in_channels, in_channels, kernel_size, size, stride, padding, groups=in_channels)
                + conv2d_macs(in_channels, out_channels, 1, out))
