"""A DCGAN-style generator and discriminator for 8x8 digits, and the GAN losses (book: Chapter 8, "GANs").

Goodfellow et al. (2014) set two networks against each other: a discriminator D that tells training images from
generated ones, and a generator G that turns noise z into images and is trained to fool D. With D's output a logit
``l`` (probability ``sigmoid(l)`` that the image is real):

    discriminator:                minimise  -log D(x) - log(1 - D(G(z)))   = softplus(-l_real) + softplus(l_fake)
    generator, saturating:        minimise   log(1 - D(G(z)))              = -softplus(l_fake)
    generator, non-saturating:    minimise  -log D(G(z))                   = softplus(-l_fake)

The saturating form is the minimax game as written; early in training D rejects G's samples easily, l_fake is very
negative, and its gradient vanishes. The paper therefore trained G with the non-saturating form, which has the same
fixed point and strong gradients exactly when G is losing. The losses live here, beside the two networks, because
they are the GAN's game and nothing else uses them.

DCGAN (Radford et al., 2015) made the game trainable with convolutions: strided convolutions instead of pooling,
transposed convolutions to upsample, batch normalisation, ReLU in G and LeakyReLU in D, Adam with lr 2e-4 and
beta1 0.5. Our 8x8 version::

    G: z (B, latent) -linear-> (B, 2c, 2, 2) -BN, ReLU, convT 4/2-> (B, c, 4, 4) -BN, ReLU, convT 4/2-> (B, 1, 8, 8)
       -sigmoid-> pixels in [0, 1]
    D: (B, 1, 8, 8) -conv 4/2, LeakyReLU-> (B, c, 4, 4) -conv 4/2, BN, LeakyReLU-> (B, 2c, 2, 2) -linear-> (B,) logits
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Generator", "Discriminator", "discriminator_loss", "generator_loss"]


class Generator(nn.Module):
    """Noise (B, latent_dim) -> images (B, 1, 8, 8) in [0, 1]."""

    def __init__(self, latent_dim: int = 16, channels: int = 32):
        super().__init__()
        c = channels
        self.latent_dim = latent_dim
        self.project = nn.Sequential(nn.Linear(latent_dim, 2 * c * 4), nn.Unflatten(1, (2 * c, 2, 2)),
                                     nn.BatchNorm2d(2 * c), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                                nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"Generator expects noise (B, {self.latent_dim}), got {tuple(z.shape)}")
        return self.up(self.project(z))


class Discriminator(nn.Module):
    """Images (B, 1, 8, 8) -> logits (B,): large when the image looks real."""

    def __init__(self, channels: int = 32):
        super().__init__()
        c = channels
        self.net = nn.Sequential(nn.Conv2d(1, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(2 * c * 4, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"Discriminator expects images (B, 1, 8, 8), got {tuple(x.shape)}")
        return self.net(x)[:, 0]


def _check_logits(name: str, t: torch.Tensor) -> None:
    if t.ndim != 1 or not t.is_floating_point():
        raise ValueError(f"{name} must be a 1-D floating tensor of logits (B,), got {tuple(t.shape)} {t.dtype}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``mean(-log D(x)) + mean(-log(1 - D(G(z))))`` from logits (B,), computed stably with softplus."""
    _check_logits("real_logits", real_logits)
    _check_logits("fake_logits", fake_logits)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """The generator's loss from D's logits on generated images (B,).

    ``saturating=False`` (default, what GANs are trained with): ``mean(-log D(G(z)))``.
    ``saturating=True``: the minimax form ``mean(log(1 - D(G(z))))``, whose gradient vanishes when D wins.
    """
    _check_logits("fake_logits", fake_logits)
    if saturating:
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()
