"""Receptive fields growing with depth, measured (book: Chapter 4, label ``ch4-receptive-field``).

The receptive field of a unit is the set of input pixels that can change it. We measure it rather than derive it:
back-propagate from one unit in the middle of the last feature map to the input and see which pixels get a
non-zero gradient. With positive weights no two paths can cancel, so the non-zero region is exactly the receptive
field. Theory: a ``k x k`` layer at stride ``s`` adds ``(k - 1) * j`` pixels to the side, where ``j`` is the product
of the strides below it (:func:`theoretical_size`); stacked 3x3 convolutions grow by 2 per layer, and a 2x2
pooling in between doubles every later step.

:func:`gradient_map` also gives the *strength* of each pixel's influence: in the middle of the field it is much
larger than at the edges (Luo et al. 2016 call this the effective receptive field).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["conv_stack", "gradient_map", "measured_size", "theoretical_size"]


def conv_stack(depth: int, pool_every: int = 0, kernel: int = 3) -> nn.Sequential:
    """``depth`` ``kernel x kernel`` convolutions (one channel, no padding, positive random weights), with a 2x2
    average pooling after every ``pool_every`` convolutions (0: never). Float64, CPU."""
    if depth < 1 or kernel < 1:
        raise ValueError(f"depth and kernel must be >= 1, got depth={depth}, kernel={kernel}")
    layers: list[nn.Module] = []
    for i in range(depth):
        conv = nn.Conv2d(1, 1, kernel, bias=False).double()
        with torch.no_grad():
            conv.weight.uniform_(0.5, 1.5)  # positive: no cancellation between paths
        layers += [conv, nn.ReLU()]
        if pool_every and (i + 1) % pool_every == 0 and i + 1 < depth:
            layers.append(nn.AvgPool2d(2))
    return nn.Sequential(*layers)


def gradient_map(model: nn.Module, size: int = 48) -> torch.Tensor:
    """|d (centre unit of the output) / d input| on a ``size x size`` all-ones image: shape (size, size)."""
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    try:
        out = model(x)
    except RuntimeError as err:
        raise ValueError(f"a {size}x{size} input is too small for this network: {err}") from err
    out[0, 0, out.shape[-2] // 2, out.shape[-1] // 2].backward()
    return x.grad[0, 0].abs()


def measured_size(grad: torch.Tensor) -> int:
    """Side of the square of non-zero entries of a gradient map."""
    rows = torch.nonzero(grad.sum(1) > 0).flatten()
    cols = torch.nonzero(grad.sum(0) > 0).flatten()
    if not len(rows):
        return 0
    height, width = int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
    if height != width:
        raise ValueError(f"the non-zero region is {height}x{width}, not square")
    return height


def theoretical_size(model: nn.Sequential) -> int:
    """Receptive field side from the layers' kernels and strides: ``r += (k - 1) * j``, ``j *= s``."""
    r, j = 1, 1
    for layer in model:
        if isinstance(layer, (nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d)):
            k = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
            s = layer.stride if isinstance(layer.stride, int) else layer.stride[0]
            r += (k - 1) * j
            j *= s
    return r
