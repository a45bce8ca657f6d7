"""Max and average pooling from scratch, mirroring ``torch.nn.MaxPool2d`` / ``AvgPool2d`` (book: Chapter 4,
"Pooling").

Pooling summarises each window of a feature map by one number, so small shifts of a feature barely change the
result. For window size ``k``, stride ``s`` (default ``k``) and padding ``p``:

.. math::

    y_{\\max}[n, c, i, j] = \\max_{u, v} x_p[n, c, s i + u, s j + v], \\qquad
    y_{\\text{avg}}[n, c, i, j] = \\frac{1}{k_H k_W} \\sum_{u, v} x_p[n, c, s i + u, s j + v]

Max pooling pads with ``-inf`` (padding never wins); average pooling pads with zeros and, like torch's
default ``count_include_pad=True``, still divides by ``kH * kW``. With ``ceil_mode=True`` the output size rounds
up, so a last, partial window may hang over the bottom/right edge (torch's rule: it must start inside the input or
its left padding); that overhang is never counted.

(One corner case is not mirrored: with dilation and padding, a window may hold only padding; torch then sends
its gradient to a real pixel, we send it nowhere.)

The backward pass of max pooling sends each output's gradient to the single input that won its window
(the arg-max); :class:`MaxPool2dFunction` writes this out with a scatter-add.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._utils import _pair
from .conv import conv2d_output_size

__all__ = ["pool_output_size", "pool_windows", "MaxPool2dFunction", "max_pool2d", "max_pool2d_backward", "avg_pool2d",
           "MaxPool2d", "AvgPool2d"]


def _args(x, kernel_size, stride, padding, dilation=1):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"input must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"input must have shape (N, C, H, W), got {x.ndim} dimensions {tuple(x.shape)}")
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None or stride == [] or stride == () else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    d = _pair(dilation, "dilation", 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding {p} must be at most half the kernel size {k}")
    return k, s, p, d


def pool_output_size(size, k, s, p, d=(1, 1), ceil_mode: bool = False) -> tuple[int, int]:
    """Output height and width of a pooling, torch's rule: ``floor`` (or ``ceil``) of
    ``(H + 2p - d(k - 1) - 1) / s``, plus one; with ``ceil_mode`` a last window must start inside the input or its
    left padding."""
    if not ceil_mode:
        return conv2d_output_size(size, k, s, p, d)   # also rejects a kernel larger than the padded input
    out = []
    for n, kk, ss, pp, dd in zip(size, k, s, p, d):
        span = dd * (kk - 1) + 1
        if n + 2 * pp < span:
            raise ValueError(f"input size {n} (padded: {n + 2 * pp}) is smaller than the dilated kernel's extent "
                             f"{span}")
        o = -(-(n + 2 * pp - span) // ss) + 1          # ceil division
        if (o - 1) * ss >= n + pp:
            o -= 1
        out.append(o)
    return out[0], out[1]


def _pad_for(x: torch.Tensor, k, s, p, d, out_size, value: float) -> torch.Tensor:
    """Pad ``p`` on every side with ``value``, plus what a ceil-mode last window needs on the bottom/right."""
    extra = [max(0, (o - 1) * ss + dd * (kk - 1) + 1 - (n + 2 * pp))
             for o, n, kk, ss, pp, dd in zip(out_size, x.shape[2:], k, s, p, d)]
    pads = (p[1], p[1] + extra[1], p[0], p[0] + extra[0])
    return x if not any(pads) else F.pad(x, pads, value=value)


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
    """Max pooling with an explicit backward: the gradient goes to each window's arg-max.

    Returns the pooled values and, like ``return_indices=True``, each winner's flat index ``row * W + col`` in
    its (unpadded) input plane; the indices carry no gradient.
    """

    @staticmethod
    def forward(ctx, x, k, s, p, d, ceil_mode=False):
        N, C, H, W = x.shape
        out_size = pool_output_size((H, W), k, s, p, d, ceil_mode)
        xp = _pad_for(x, k, s, p, d, out_size, float("-inf"))
        Hp, Wp = xp.shape[2:]
        out, arg = pool_windows(xp, k, s, d).max(dim=-1)              # (N, C, H_out, W_out)
        out, arg = out[:, :, :out_size[0], :out_size[1]], arg[:, :, :out_size[0], :out_size[1]]
        H_out, W_out = out.shape[2:]
        # row and column, in the padded image, of each winner
        i = torch.arange(H_out, device=x.device).view(-1, 1)
        j = torch.arange(W_out, device=x.device).view(1, -1)
        row = s[0] * i + d[0] * torch.div(arg, k[1], rounding_mode="floor")
        col = s[1] * j + d[1] * (arg % k[1])
        ctx.save_for_backward(row * Wp + col)
        ctx.conf = (H, W, Hp, Wp, p)
        indices = (row - p[0]) * W + (col - p[1])
        ctx.mark_non_differentiable(indices)
        return out, indices

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out, grad_indices=None):
        (index,) = ctx.saved_tensors
        H, W, Hp, Wp, p = ctx.conf
        N, C = grad_out.shape[:2]
        grad = grad_out.new_zeros((N, C, Hp * Wp))
        grad.scatter_add_(2, index.reshape(N, C, -1), grad_out.reshape(N, C, -1))  # overlapping windows add up
        grad = grad.view(N, C, Hp, Wp)
        return grad[:, :, p[0]:p[0] + H, p[1]:p[1] + W], None, None, None, None, None


def max_pool2d(input: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over each ``kernel_size`` window, like ``torch.nn.functional.max_pool2d`` (same arguments, same
    order: note ``ceil_mode`` before ``return_indices``, the reverse of the module's).

    Args:
        input: (N, C, H, W).
        kernel_size, stride (default: kernel_size), padding, dilation: int or (int, int).
        ceil_mode: round the output size up instead of down.
        return_indices: also return each maximum's flat index ``row * W + col`` in its input plane (int64).

    Returns:
        (N, C, H_out, W_out) with ``H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1``; with ``return_indices``,
        ``(output, indices)``.
    """
    k, s, p, d = _args(input, kernel_size, stride, padding, dilation)
    out, indices = MaxPool2dFunction.apply(input, k, s, p, d, bool(ceil_mode))
    return (out, indices) if return_indices else out


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


def avg_pool2d(input: torch.Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> torch.Tensor:
    """Mean over each window, like ``torch.nn.functional.avg_pool2d`` (autograd gives the backward pass:
    each output spreads its gradient evenly over its window).

    Args:
        input: (N, C, H, W).
        kernel_size, stride (default: kernel_size), padding: int or (int, int).
        ceil_mode: round the output size up instead of down.
        count_include_pad: count the zero padding in the divisor (True, torch's default) or only real pixels.
        divisor_override: if given, divide every window's sum by this instead.

    Returns:
        (N, C, H_out, W_out).
    """
    k, s, p, d = _args(input, kernel_size, stride, padding)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override == 0):
        raise ValueError(f"divisor_override must be a non-zero int or None, got {divisor_override!r}")
    out_size = pool_output_size(input.shape[2:], k, s, p, d, ceil_mode)
    total = pool_windows(_pad_for(input, k, s, p, d, out_size, 0.0), k, s).sum(dim=-1)
    total = total[:, :, :out_size[0], :out_size[1]]
    if divisor_override is not None:
        return total / divisor_override
    H, W = input.shape[2:]
    if count_include_pad:     # ones over the padded image, zeros over a ceil-mode overhang
        mask = _pad_for(input.new_ones((1, 1, H + 2 * p[0], W + 2 * p[1])), k, s, (0, 0), d, out_size, 0.0)
    else:                     # ones over the real pixels only
        mask = _pad_for(input.new_ones((1, 1, H, W)), k, s, p, d, out_size, 0.0)
    count = pool_windows(mask, k, s).sum(dim=-1)[:, :, :out_size[0], :out_size[1]]
    return total / count


class MaxPool2d(nn.Module):
    """Max pooling layer, like ``torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
    return_indices=False, ceil_mode=False)``."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: torch.Tensor):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(nn.Module):
    """Average pooling layer, like ``torch.nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
