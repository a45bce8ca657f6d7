"""Residual networks (book: Chapter 6, "Residual connections").

He et al. (2016) observed that a deeper plain network can train to a *higher* training error than a shallower
one (the degradation problem), although it could copy the shallow one and add identity layers. A residual block
makes the identity the default: it learns a correction ``F(x)`` and outputs ``relu(x + F(x))``, so the gradient
also flows straight through the ``+ x``. Highway networks (Srivastava et al. 2015) had done the same with a
learned gate, ``T(x) F(x) + (1 - T(x)) x``, borrowing the LSTM's gated memory cell; ResNet is the gate fixed open.

* :class:`BasicBlock`: the two-convolution block of He et al., with torchvision's layer names.
* :class:`ResidualMLPBlock` and :class:`DeepMLP`: the same idea on fully connected layers, small enough to train
  at 8, 16 and 32 blocks on a laptop CPU; ``residual=False`` gives the plain network with the same layers.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["BasicBlock", "ResidualMLPBlock", "DeepMLP"]


class BasicBlock(nn.Module):
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``, with a 1x1 projection ``downsample`` when the
    shape changes (torchvision's ``BasicBlock`` names: conv1, bn1, relu, conv2, bn2, downsample)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, inplanes, H, W) -> (N, planes, H / stride, W / stride)."""
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)      # the skip is added before the last activation


class ResidualMLPBlock(nn.Module):
    """``relu(x + fc2(relu(fc1(x))))`` (``residual=True``) or ``relu(fc2(relu(fc1(x))))`` (plain)."""

    def __init__(self, width: int, residual: bool = True) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, width) -> (N, width)."""
        out = self.fc2(torch.relu(self.fc1(x)))
        return torch.relu(x + out if self.residual else out)


class DeepMLP(nn.Module):
    """``Linear(in, width) + relu``, ``num_blocks`` blocks (two layers each), ``Linear(width, out)``.

    Every ``Linear`` is He-initialised (``kaiming_normal_``, fan_in, relu) with zero biases, so the plain and the
    residual networks differ only by the ``+ x``. With ``residual=True`` the second layer of each block starts at
    a smaller scale (``block_scale``), so the sum of many blocks does not blow the signal up.
    """

    def __init__(self, in_features: int, width: int, num_blocks: int, out_features: int, residual: bool = True,
                 *, block_scale: float = 0.1) -> None:
        super().__init__()
        if num_blocks < 0:
            raise ValueError(f"num_blocks must be >= 0, got {num_blocks}")
        self.stem = nn.Linear(in_features, width)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(width, residual) for _ in range(num_blocks)])
        self.head = nn.Linear(width, out_features)
        from ..nn.init import kaiming_normal_, zeros_

        for m in self.modules():
            if isinstance(m, nn.Linear):
                kaiming_normal_(m.weight, nonlinearity="relu")
                zeros_(m.bias)
        if residual:
            with torch.no_grad():
                for block in self.blocks:
                    block.fc2.weight.mul_(block_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, in_features) -> (N, out_features)."""
        return self.head(self.blocks(torch.relu(self.stem(x))))
