"""A variational autoencoder on the digits, trained with ``fit`` (book: Chapter 8, "Variational autoencoders").

The VAE's loss needs only ``model(x)`` and ``x``, so the course's training loop runs it unchanged with the images
as their own targets: ``fit(vae, (X, X), loss_fn=vae_loss, ...)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..models.vae import VAE, vae_loss
from ..runtime import size as _size
from ..training import History, fit

__all__ = ["Config", "QUICK", "FULL", "config", "train_vae", "negative_elbo"]


@dataclass(frozen=True)
class Config:
    epochs: int = 30
    batch_size: int = 64
    latent_dim: int = 8
    hidden: int = 128
    lr: float = 3e-3


QUICK = Config()
FULL = Config(epochs=200, hidden=256, lr=1e-3)


def config(size: str | None = None) -> Config:
    """FULL when the size (``dlcourse.runtime.size()`` by default) is ``"full"``, else QUICK."""
    return FULL if (size or _size()) == "full" else QUICK


def train_vae(X: torch.Tensor, cfg: Config | None = None, seed: int = 0, *, device: torch.device | str = "cpu",
              progress: bool = True) -> tuple[VAE, History]:
    """Train a :class:`VAE` on images ``X`` (N, 1, 8, 8) in [0, 1]; returns the model (eval mode) and history."""
    cfg = cfg or config()
    torch.manual_seed(seed)
    model = VAE(cfg.latent_dim, cfg.hidden)
    history = fit(model, (X, X), loss_fn=vae_loss, optimizer=torch.optim.Adam(model.parameters(), cfg.lr),
                  epochs=cfg.epochs, batch_size=cfg.batch_size, device=device,
                  generator=torch.Generator().manual_seed(seed), progress=progress, desc="VAE")
    return model.eval(), history


@torch.no_grad()
def negative_elbo(model: VAE, X: torch.Tensor, seed: int = 0) -> float:
    """The loss (negative ELBO, nats per image) on held-out images ``X``, one sample of z per image."""
    torch.manual_seed(seed)
    p = next(model.parameters())
    X = X.to(device=p.device, dtype=p.dtype)
    return vae_loss(model(X), X).item()
