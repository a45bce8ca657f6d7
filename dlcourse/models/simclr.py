"""A SimCLR encoder and projection head for 8x8 digits (book: Chapter 8, "Contrastive self-supervised learning").

SimCLR (Chen et al., 2020) trains an encoder f (a ResNet-50 in the paper) and a small MLP projection head g with
the NT-Xent loss on z = g(f(x)); afterwards g is thrown away and the representation h = f(x) is used, e.g. by a
linear classifier (a *linear probe*). The paper found h better than z for downstream tasks: g can discard what the
contrastive task does not need. Our encoder::

    (B, 1, 8, 8) -conv3x3, ReLU-> (B, c, 8, 8) -conv3x3/2, ReLU-> (B, 2c, 4, 4) -conv3x3/2, ReLU-> (B, 4c, 2, 2)
                 -average-> h (B, 4c)         projection head: h -linear, ReLU, linear-> z (B, proj_dim)
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["DigitEncoder", "SimCLR"]


class DigitEncoder(nn.Module):
    """Images (B, 1, 8, 8) -> representations (B, 4 * channels)."""

    def __init__(self, channels: int = 16):
        super().__init__()
        c = channels
        self.out_features = 4 * c
        self.net = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"DigitEncoder expects images (B, 1, 8, 8), got {tuple(x.shape)}")
        return self.net(x)


class SimCLR(nn.Module):
    """Encoder f and projection head g; ``forward(x)`` returns ``(h, z)``."""

    def __init__(self, channels: int = 16, proj_dim: int = 32):
        super().__init__()
        self.encoder = DigitEncoder(channels)
        d = self.encoder.out_features
        self.projection = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, proj_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return h, self.projection(h)
