"""A variational autoencoder for 8x8 digits (book: Chapter 8, "Variational autoencoders").

Kingma & Welling (2013) trained an encoder q(z|x) and a decoder p(x|z) together by maximising the evidence lower
bound (ELBO) on log p(x):

    log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || N(0, I)),

with q(z|x) = N(mu(x), diag(sigma(x)^2)) and the *reparameterisation trick* z = mu + sigma * eps, eps ~ N(0, I), so
the sampling step has a gradient. Pixels are treated as Bernoulli probabilities (binary cross-entropy), as in the
paper's MNIST experiments. The loss per image is the negative ELBO, ``reconstruction + KL``::

    encoder: (B, 1, 8, 8) -flatten-> (B, 64) -linear, ReLU-> (B, hidden) -linear-> mu, log_var (B, latent) each
    decoder: z (B, latent) -linear, ReLU-> (B, hidden) -linear-> (B, 64) logits -> (B, 1, 8, 8)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["VAE", "vae_loss"]


class VAE(nn.Module):
    """``forward(x)`` returns ``(logits, mu, log_var)``: decoder logits (B, 1, 8, 8) and q(z|x)'s parameters."""

    def __init__(self, latent_dim: int = 8, hidden: int = 128):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 64),
                                     nn.Unflatten(1, (1, 8, 8)))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"VAE expects images (B, 1, 8, 8), got {tuple(x.shape)}")
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)      # the reparameterisation trick
        return self.decoder(z), mu, log_var

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` new images (n, 1, 8, 8) in [0, 1]: decode z ~ N(0, I)."""
        p = next(self.parameters())
        z = torch.randn(n, self.latent_dim, generator=generator).to(device=p.device, dtype=p.dtype)
        return torch.sigmoid(self.decoder(z))


def vae_loss(output: tuple[torch.Tensor, torch.Tensor, torch.Tensor], target: torch.Tensor) -> torch.Tensor:
    """The negative ELBO averaged over the batch: Bernoulli reconstruction (summed over pixels) + KL to N(0, I).

    Takes ``model(x)`` and ``x``, so it plugs into :func:`dlcourse.training.fit` with ``train=(X, X)``.
    """
    logits, mu, log_var = output
    if logits.shape != target.shape:
        raise ValueError(f"reconstruction {tuple(logits.shape)} and target {tuple(target.shape)} differ in shape")
    reconstruction = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
    return (reconstruction + kl) / target.shape[0]
