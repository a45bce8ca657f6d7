"""The Q-network of deep Q-learning (book: Chapter 8, "Deep Q-learning").

DQN (Mnih et al., 2013, 2015) read four stacked 84x84 Atari frames with three convolutional layers and one hidden
fully-connected layer, and output one value per joystick action. Our screens are a few pixels, so the network
is a small multilayer perceptron over the pixels, or a convolution in front of it with ``conv_channels > 0``::

    (B, 1, H, W) -[conv3x3, ReLU]-> -flatten-> -linear-> ReLU -linear-> (B, n_actions)   Q(s, a) for every a
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["QNetwork"]


class QNetwork(nn.Module):
    """Action values from pixels: (B, C, H, W) -> (B, n_actions).

    Args:
        obs_shape: (C, H, W) of one observation.
        n_actions: number of actions.
        hidden: units of the hidden layer.
        conv_channels: if > 0, a 3x3 convolution (padding 1) with this many channels reads the screen first.
    """

    def __init__(self, obs_shape: tuple[int, int, int], n_actions: int, hidden: int = 64, conv_channels: int = 0):
        super().__init__()
        C, H, W = obs_shape
        layers: list[nn.Module] = []
        if conv_channels:
            layers += [nn.Conv2d(C, conv_channels, 3, padding=1), nn.ReLU()]
            C = conv_channels
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(C * H * W, hidden), nn.ReLU(),
                                 nn.Linear(hidden, n_actions))
        self.obs_shape = tuple(obs_shape)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        if tuple(obs.shape[1:]) != self.obs_shape:
            raise ValueError(f"QNetwork expects observations (B, {', '.join(map(str, self.obs_shape))}), "
                             f"got {tuple(obs.shape)}")
        return self.net(obs)
