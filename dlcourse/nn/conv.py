"""Two-dimensional convolution from scratch, mirroring ``torch.nn.Conv2d`` (book: Chapter 4, "Convolution").

A convolutional layer slides a small filter over the image. What deep learning calls "convolution" is, strictly,
cross-correlation (the kernel is not flipped). For input ``x`` (N, C_in, H, W), weight ``w``
(C_out, C_in / groups, kH, kW), stride ``s``, zero padding ``p`` and dilation ``d``:

.. math::

    y[n, o, i, j] = b[o] + \\sum_{c \\in \\text{group}(o)} \\sum_{u=0}^{kH-1} \\sum_{v=0}^{kW-1}
        w[o, c, u, v] \\; x_p[n, c, s i + d u, s j + d v]

with output size ``H_out = floor((H + 2 p - d (kH - 1) - 1) / s) + 1`` (and the same for W).

Two implementations compute the same thing:

* :func:`conv2d_loop`: a loop over output positions, readable, slow; autograd does the backward pass.
* :func:`conv2d`: im2col. :func:`im2col` copies every receptive field into a column, so the layer becomes one
  matrix product ``W (C_out, C_in kH kW) @ cols (C_in kH kW, L)``; the backward pass is two more matrix
  products and :func:`col2im`, which adds each column back where it came from (see :class:`Conv2dFunction`).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ._utils import IntPair, _pad, _pair

__all__ = ["conv2d_output_size", "conv2d_loop", "im2col", "col2im", "Conv2dFunction", "DepthwiseConv2dFunction",
           "conv2d", "Conv2d"]


def conv2d_output_size(size: IntPair, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
                       dilation: IntPair = 1) -> tuple[int, int]:
    """Output height and width: ``floor((H + 2p - d(k - 1) - 1) / s) + 1`` per dimension.

    Raises:
        ValueError: the padded input is smaller than the dilated kernel ``d (k - 1) + 1``.
    """
    H, W = _pair(size, "size", 0)
    k, s, p, d = (_pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1),
                  _pair(padding, "padding", 0), _pair(dilation, "dilation", 1))
    out = []
    for dim, n in enumerate((H, W)):
        span = d[dim] * (k[dim] - 1) + 1  # the dilated kernel's extent
        if n + 2 * p[dim] < span:
            raise ValueError(f"input {'height' if dim == 0 else 'width'} {n} (padded: {n + 2 * p[dim]}) is smaller "
                             f"than the dilated kernel's extent {span} = dilation * (kernel_size - 1) + 1")
        out.append((n + 2 * p[dim] - span) // s[dim] + 1)
    return out[0], out[1]


def _check(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int) -> None:
    for name, t in (("input", x), ("weight", weight)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.dtype}")
    if x.ndim != 4:
        raise ValueError(f"input must have shape (N, C_in, H, W), got {x.ndim} dimensions {tuple(x.shape)}")
    if weight.ndim != 4:
        raise ValueError(f"weight must have shape (C_out, C_in / groups, kH, kW), got {tuple(weight.shape)}")
    if x.dtype != weight.dtype:
        raise TypeError(f"input dtype {x.dtype} does not match weight dtype {weight.dtype}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    C_in, C_out = x.shape[1], weight.shape[0]
    if C_in % groups or C_out % groups:
        raise ValueError(f"in_channels ({C_in}) and out_channels ({C_out}) must both be divisible by "
                         f"groups ({groups})")
    if weight.shape[1] * groups != C_in:
        raise ValueError(f"input has {C_in} channels but weight {tuple(weight.shape)} expects "
                         f"{weight.shape[1]} x groups({groups}) = {weight.shape[1] * groups}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != C_out):
        raise ValueError(f"bias must have shape ({C_out},), got {tuple(bias.shape)}")


def _conv_padding(padding: IntPair | str, kernel_size, stride: tuple[int, int], dilation: tuple[int, int]
                  ) -> tuple[int, int]:
    """``padding`` as a pair of ints; ``"valid"`` is 0 and ``"same"`` is ``d (k - 1) / 2`` (stride 1 only)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding != "same":
            raise ValueError(f"padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1 (as in torch), got stride {stride}")
        total = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        if any(t % 2 for t in total):
            raise ValueError(f"padding='same' with an odd total padding {tuple(total)} (even kernel) needs "
                             "asymmetric padding, which is not supported; pad explicitly")
        return total[0] // 2, total[1] // 2
    return _pair(padding, "padding", 0)


def conv2d_loop(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride: IntPair = 1,
                padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> torch.Tensor:
    """Cross-correlation by an explicit loop over output positions (readable, slow); the arguments of
    :func:`conv2d`.

    Args:
        input: (N, C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: (C_out,) or None.

    Returns:
        (N, C_out, H_out, W_out); differentiable through autograd.
    """
    x = input
    _check(x, weight, bias, groups)
    s, d = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    p = _conv_padding(padding, weight.shape[2:], s, d)
    kH, kW = weight.shape[2:]
    H_out, W_out = conv2d_output_size(x.shape[2:], (kH, kW), s, p, d)
    xp = _pad(x, p)
    C_in_g, C_out_g = x.shape[1] // groups, weight.shape[0] // groups
    out = x.new_zeros((x.shape[0], weight.shape[0], H_out, W_out))
    for g in range(groups):
        w_g = weight[g * C_out_g:(g + 1) * C_out_g]                     # (C_out_g, C_in_g, kH, kW)
        x_g = xp[:, g * C_in_g:(g + 1) * C_in_g]                          # (N, C_in_g, Hp, Wp)
        for i in range(H_out):
            for j in range(W_out):
                # the receptive field of output (i, j): rows s*i + d*u, columns s*j + d*v
                patch = x_g[:, :, s[0] * i: s[0] * i + d[0] * (kH - 1) + 1: d[0],
                            s[1] * j: s[1] * j + d[1] * (kW - 1) + 1: d[1]]   # (N, C_in_g, kH, kW)
                out[:, g * C_out_g:(g + 1) * C_out_g, i, j] = torch.einsum("nchw,ochw->no", patch, w_g)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def im2col(x: torch.Tensor, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
           dilation: IntPair = 1) -> torch.Tensor:
    """Copy every receptive field of ``x`` into a column.

    Args:
        x: (N, C, H, W).

    Returns:
        cols: (N, C * kH * kW, L) with ``L = H_out * W_out``; row ``c * kH * kW + u * kW + v`` of column
        ``i * W_out + j`` holds ``x_p[n, c, s i + d u, s j + d v]`` (the same layout as ``torch.nn.Unfold``).
    """
    k, s, p, d = (_pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1),
                  _pair(padding, "padding", 0), _pair(dilation, "dilation", 1))
    if x.ndim != 4:
        raise ValueError(f"im2col expects (N, C, H, W), got shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    H_out, W_out = conv2d_output_size(x.shape[2:], k, s, p, d)
    xp = _pad(x, p).contiguous()
    sN, sC, sH, sW = xp.stride()
    # a strided *view*: element [n, c, u, v, i, j] is xp[n, c, s i + d u, s j + d v]; no copy yet
    windows = xp.as_strided((N, C, k[0], k[1], H_out, W_out),
                            (sN, sC, d[0] * sH, d[1] * sW, s[0] * sH, s[1] * sW))
    return windows.reshape(N, C * k[0] * k[1], H_out * W_out)  # the copy happens here


def col2im(cols: torch.Tensor, size: IntPair, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0,
           dilation: IntPair = 1) -> torch.Tensor:
    """The adjoint of :func:`im2col`: add every column entry back to the pixel it was copied from.

    Pixels that sit in several receptive fields receive the sum of their entries, which is exactly the
    gradient of ``im2col``.

    Args:
        cols: (N, C * kH * kW, L).
        size: the (H, W) of the image ``im2col`` was applied to.

    Returns:
        (N, C, H, W).
    """
    k, s, p, d = (_pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1),
                  _pair(padding, "padding", 0), _pair(dilation, "dilation", 1))
    H, W = _pair(size, "size", 0)
    H_out, W_out = conv2d_output_size((H, W), k, s, p, d)
    N, CKK, L = cols.shape
    C = CKK // (k[0] * k[1])
    if C * k[0] * k[1] != CKK or L != H_out * W_out:
        raise ValueError(f"cols of shape {tuple(cols.shape)} do not fit size {(H, W)} with kernel {k}")
    cols = cols.reshape(N, C, k[0], k[1], H_out, W_out)
    xp = cols.new_zeros((N, C, H + 2 * p[0], W + 2 * p[1]))
    for u in range(k[0]):          # one strided slice-add per kernel offset (kH * kW of them)
        for v in range(k[1]):
            xp[:, :, d[0] * u: d[0] * u + s[0] * (H_out - 1) + 1: s[0],
               d[1] * v: d[1] * v + s[1] * (W_out - 1) + 1: s[1]] += cols[:, :, u, v]
    return xp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


class Conv2dFunction(torch.autograd.Function):
    """im2col convolution with a hand-written backward pass.

    With ``X = im2col(x)`` reshaped per group to (N, G, K, L), ``K = C_in/G * kH * kW`` and ``W`` to (G, O, K):

    * forward:  ``Y = W X + b``                      (N, G, O, L)
    * backward: ``dW = sum_n dY X^T``,  ``db = sum dY``,  ``dx = col2im(W^T dY)``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        N, C_in, H, W = x.shape
        C_out, C_in_g, kH, kW = weight.shape
        H_out, W_out = conv2d_output_size((H, W), (kH, kW), stride, padding, dilation)
        G = groups
        cols = im2col(x, (kH, kW), stride, padding, dilation).view(N, G, C_in_g * kH * kW, H_out * W_out)
        w = weight.reshape(G, C_out // G, C_in_g * kH * kW)
        out = torch.matmul(w, cols)                                   # (N, G, O, L)
        out = out.reshape(N, C_out, H_out, W_out)
        if bias is not None:
            out = out + bias.view(1, -1, 1, 1)
        ctx.save_for_backward(cols, weight)
        ctx.conf = ((H, W), (kH, kW), stride, padding, dilation, groups, bias is not None)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        cols, weight = ctx.saved_tensors
        size, k, stride, padding, dilation, G, has_bias = ctx.conf
        N, C_out = grad_out.shape[:2]
        dY = grad_out.reshape(N, G, C_out // G, -1)                   # (N, G, O, L)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_w = torch.matmul(dY, cols.transpose(-1, -2)).sum(0).reshape(weight.shape)
        if ctx.needs_input_grad[0]:
            w = weight.reshape(G, C_out // G, -1)
            dcols = torch.matmul(w.transpose(-1, -2), dY)              # (N, G, K, L)
            grad_x = col2im(dcols.reshape(N, -1, dcols.shape[-1]), size, k, stride, padding, dilation)
        if has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None


class DepthwiseConv2dFunction(torch.autograd.Function):
    """Depthwise convolution (one filter per channel, ``groups = C_in = C_out``) without im2col.

    im2col would copy each pixel kH*kW times only to multiply it by one number; instead, add kH*kW shifted,
    strided slices of the padded input, each scaled by one kernel tap per channel:
    ``y = sum_{u,v} w[:, u, v] * x_p[:, :, s i + d u, s j + d v]``. Backward: ``dw[c, u, v] = sum dY * slice``
    and each slice of ``dx_p`` receives ``w[:, u, v] * dY``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation):
        N, C, H, W = x.shape
        kH, kW = weight.shape[2:]
        H_out, W_out = conv2d_output_size((H, W), (kH, kW), stride, padding, dilation)
        xp = _pad(x, padding)
        out = x.new_zeros((N, C, H_out, W_out))
        for u in range(kH):
            for v in range(kW):
                out += weight[:, 0, u, v].view(1, C, 1, 1) * _tap(xp, u, v, H_out, W_out, stride, dilation)
        if bias is not None:
            out += bias.view(1, -1, 1, 1)
        ctx.save_for_backward(xp, weight)
        ctx.conf = ((H, W), stride, padding, dilation, bias is not None)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        xp, weight = ctx.saved_tensors
        (H, W), stride, padding, dilation, has_bias = ctx.conf
        C, kH, kW = weight.shape[0], weight.shape[2], weight.shape[3]
        H_out, W_out = grad_out.shape[2:]
        grad_w = torch.zeros_like(weight)
        grad_xp = torch.zeros_like(xp)
        for u in range(kH):
            for v in range(kW):
                grad_w[:, 0, u, v] = (grad_out * _tap(xp, u, v, H_out, W_out, stride, dilation)).sum((0, 2, 3))
                _tap(grad_xp, u, v, H_out, W_out, stride, dilation).add_(weight[:, 0, u, v].view(1, C, 1, 1)
                                                                        * grad_out)
        grad_x = grad_xp[:, :, padding[0]:padding[0] + H, padding[1]:padding[1] + W]
        grad_b = grad_out.sum((0, 2, 3)) if has_bias else None
        return grad_x, grad_w, grad_b, None, None, None


def _tap(xp, u, v, H_out, W_out, s, d):
    """The strided slice of ``xp`` that kernel tap (u, v) sees at every output position (a view)."""
    return xp[:, :, d[0] * u: d[0] * u + s[0] * (H_out - 1) + 1: s[0],
              d[1] * v: d[1] * v + s[1] * (W_out - 1) + 1: s[1]]


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> torch.Tensor:
    """Vectorised 2-D cross-correlation (im2col + matrix product), like ``torch.nn.functional.conv2d``.

    Args:
        input: (N, C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: (C_out,) or None.
        stride, dilation: int or (int, int).
        padding: int, (int, int), ``"valid"`` (no padding) or ``"same"`` (output as large as the input; stride 1
            and an even padding ``d (k - 1)`` only: torch's asymmetric case is not mirrored).
        groups: split channels into this many independent groups (``groups = C_in``: depthwise).

    Returns:
        (N, C_out, H_out, W_out), see :func:`conv2d_output_size`.
    """
    x = input
    _check(x, weight, bias, groups)
    s, d = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    p = _conv_padding(padding, weight.shape[2:], s, d)
    conv2d_output_size(x.shape[2:], weight.shape[2:], s, p, d)  # validates sizes with a clear message
    if groups > 1 and groups == x.shape[1] == weight.shape[0]:
        return DepthwiseConv2dFunction.apply(x, weight, bias, s, p, d)
    return Conv2dFunction.apply(x, weight, bias, s, p, d, groups)


class Conv2d(nn.Module):
    """A 2-D convolutional layer with the arguments, parameters and initialisation of ``torch.nn.Conv2d``.

    Parameters:
        weight: (out_channels, in_channels / groups, kH, kW).
        bias: (out_channels,) or None.

    Both are initialised uniformly in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with
    ``fan_in = in_channels / groups * kH * kW``, which is what torch's ``kaiming_uniform_(a=sqrt(5))`` gives.

    Args:
        in_channels, ..., dtype: torch's, in torch's order; ``padding`` may be ``"valid"`` or ``"same"`` (stride 1);
            ``padding_mode`` must be ``"zeros"`` (the others are rejected with a ValueError).
        implementation: keyword-only, ours: ``"im2col"`` (fast, default) or ``"loop"`` (:func:`conv2d_loop`).

    Shapes: input (N, in_channels, H, W) -> output (N, out_channels, H_out, W_out).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None, *, implementation: str = "im2col"):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode={padding_mode!r} is not supported; only 'zeros' (torch's default)")
        if implementation not in ("im2col", "loop"):
            raise ValueError(f"implementation must be 'im2col' or 'loop', got {implementation!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.dilation = _pair(dilation, "dilation", 1)
        self.padding = _conv_padding(padding, self.kernel_size, self.stride, self.dilation)
        self.padding_mode = padding_mode
        self.implementation = implementation
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size, **factory))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in = self.weight.shape[1] * self.weight.shape[2] * self.weight.shape[3]
        bound = 1.0 / math.sqrt(fan_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        fn = conv2d if self.implementation == "im2col" else conv2d_loop
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
