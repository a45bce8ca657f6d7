"""Max and average pooling from scratch, mirroring ``torch.nn.MaxPool2d`` / ``AvgPool2d`` (book: Chapter 4,
"Pooling").

Pooling summarises each window of a feature map by one number, so small shifts of a feature barely change the
result. For window size ``k``, stride ``s`` (default ``k``) and padding ``p``:

.. math::

    y_{\\max}[n, c, i, j] = \\max_{u, v} x_p[n, c, s i + u, s j + v], \\qquad
    y_{\\text{avg}}[n, c, i, j] = \\frac{1}{k_H k_W} \\sum_{u, v} x_p[n, c, s i + u, s j + v]

Max pooling pads with ``-inf`` (padding never wins); average pooling pads with zeros and, like torch's
default ``count_include_pad=True``, still divides by ``kH * kW``.

(One corner case is not mirrored: with dilation and padding, a window may hold only padding; torch then sends
its gradient to a real pixel, we send it nowhere.)

The backward pass of max pooling sends each output's gradient to the single input that won its window
(the arg-max); :class:`MaxPool2dFunction` writes this out with a scatter-add.
"""
from __future__ import annotations

import torch
from torch import nn

from ._utils import _pad, _pair
from .conv import conv2d_output_size

__all__ = ["pool_windows", "MaxPool2dFunction", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "MaxPool2d",
           "AvgPool2d"]


def _args(x, kernel_size, stride, padding, dilation=1):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"input must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"input must have shape (N, C, H, W), got {x.ndim} dimensions {tuple(x.shape)}")
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    d = _pair(dilation, "dilation", 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding {p} must be at most half the kernel size {k}")
    return k, s, p, d


def pool_windows(xp: torch.Tensor, k, s, d=(1, 1)) -> torch.Tensor:
    """A strided view of every window of the (already padded) ``xp`` (N, C, H, W): (N, C, H_out, W_out, kH*kW)."""
    N, C = xp.shape[:2]
    H_out, W_out = conv2d_output_size(xp.shape[2:], k, s, 0, d)
    xp = xp.contiguous()
    sN, sC, sH, sW = xp.stride()
    view = xp.as_strided((N, C, H_out, W_out, k[0], k[1]),
                         (sN, sC, s[0] * sH, s[1] * sW, d[0] * sH, d[1] * sW))
    return view.reshape(N, C, H_out, W_out, k[0] * k[1])


class MaxPool2dFunction(torch.autograd.Function):
    """Max pooling with an explicit backward: the gradient goes to each window's arg-max."""

    @staticmethod
    def forward(ctx, x, k, s, p, d):
        N, C, H, W = x.shape
        xp = _pad(x, p, float("-inf"))
        Hp, Wp = xp.shape[2:]
        out, arg = pool_windows(xp, k, s, d).max(dim=-1)              # (N, C, H_out, W_out)
        H_out, W_out = out.shape[2:]
        # flat position (row * Wp + col) in the padded image of each winner
        i = torch.arange(H_out, device=x.device).view(-1, 1)
        j = torch.arange(W_out, device=x.device).view(1, -1)
        row = s[0] * i + d[0] * torch.div(arg, k[1], rounding_mode="floor")
        col = s[1] * j + d[1] * (arg % k[1])
        ctx.save_for_backward(row * Wp + col)
        ctx.conf = (H, W, Hp, Wp, p)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        (index,) = ctx.saved_tensors
        H, W, Hp, Wp, p = ctx.conf
        N, C = grad_out.shape[:2]
        grad = grad_out.new_zeros((N, C, Hp * Wp))
        grad.scatter_add_(2, index.reshape(N, C, -1), grad_out.reshape(N, C, -1))  # overlapping windows add up
        grad = grad.view(N, C, Hp, Wp)
        return grad[:, :, p[0]:p[0] + H, p[1]:p[1] + W], None, None, None, None


def max_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1) -> torch.Tensor:
    """Max over each ``kernel_size`` window, like ``torch.nn.functional.max_pool2d``.

    Args:
        x: (N, C, H, W).
        kernel_size, stride (default: kernel_size), padding, dilation: int or (int, int).

    Returns:
        (N, C, H_out, W_out) with ``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1``.
    """
    k, s, p, d = _args(x, kernel_size, stride, padding, dilation)
    conv2d_output_size(x.shape[2:], k, s, p, d)
    return MaxPool2dFunction.apply(x, k, s, p, d)


def max_pool2d_backward(x: torch.Tensor, grad_out: torch.Tensor, kernel_size, stride=None, padding=0
                        ) -> torch.Tensor:
    """The gradient of ``max_pool2d(x, ...)`` with respect to ``x`` given the upstream ``grad_out``
    (N, C, H_out, W_out): each window's gradient goes to its arg-max, and inputs that win several overlapping
    windows receive the sum. Returns (N, C, H, W)."""
    x = x.detach().requires_grad_()
    with torch.enable_grad():
        out = max_pool2d(x, kernel_size, stride, padding)
    if out.shape != grad_out.shape:
        raise ValueError(f"grad_out has shape {tuple(grad_out.shape)}, the pooled output {tuple(out.shape)}")
    (grad,) = torch.autograd.grad(out, x, grad_out)
    return grad


def avg_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0, count_include_pad: bool = True
               ) -> torch.Tensor:
    """Mean over each window, like ``torch.nn.functional.avg_pool2d`` (autograd gives the backward pass:
    each output spreads its gradient evenly over its window).

    Args:
        x: (N, C, H, W).
        count_include_pad: divide by ``kH * kW`` (True, torch's default) or by the number of real pixels.

    Returns:
        (N, C, H_out, W_out).
    """
    k, s, p, _ = _args(x, kernel_size, stride, padding)
    conv2d_output_size(x.shape[2:], k, s, p)
    total = pool_windows(_pad(x, p), k, s).sum(dim=-1)
    if count_include_pad or p == (0, 0):
        return total / (k[0] * k[1])
    ones = x.new_ones((1, 1) + tuple(x.shape[2:]))
    count = pool_windows(_pad(ones, p), k, s).sum(dim=-1)
    return total / count


class MaxPool2d(nn.Module):
    """Max pooling layer, like ``torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1)``."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool2d(nn.Module):
    """Average pooling layer, like ``torch.nn.AvgPool2d(kernel_size, stride=None, padding=0)``."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = count_include_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"
