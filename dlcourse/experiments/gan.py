"""Training a small DCGAN on the digits, watching its samples, and making it collapse (book: Chapter 8, "GANs").

The loop alternates one discriminator step and one generator step (Goodfellow et al., 2014, with k = 1), with
DCGAN's Adam settings, and keeps the samples of a fixed batch of noise every ``snapshot_every`` steps.
:func:`collapse` then shows *mode collapse*: freeze the discriminator and let the generator chase it alone.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from ..models.gan import Discriminator, Generator, discriminator_loss, generator_loss
from ..runtime import size as _size

__all__ = ["Config", "QUICK", "FULL", "config", "GANRun", "train_gan", "collapse"]


@dataclass(frozen=True)
class Config:
    steps: int = 1000
    batch_size: int = 32
    latent_dim: int = 16
    channels: int = 16
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    snapshot_every: int = 250
    collapse_steps: int = 200


QUICK = Config()
FULL = Config(steps=10000, batch_size=64, channels=64, snapshot_every=2000, collapse_steps=1000)


def config(size: str | None = None) -> Config:
    """FULL when the size (``dlcourse.runtime.size()`` by default) is ``"full"``, else QUICK."""
    return FULL if (size or _size()) == "full" else QUICK


@dataclass
class GANRun:
    generator: Generator
    discriminator: Discriminator
    z_fixed: torch.Tensor                                                # (n, latent): the snapshots' noise
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)     # step -> images (n, 1, 8, 8)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)                     # mean D(x) on real images
    d_fake: list[float] = field(default_factory=list)                     # mean D(G(z))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        self.generator.eval()
        p = next(self.generator.parameters())
        z = torch.randn(n, self.generator.latent_dim, generator=generator).to(p.device)
        images = self.generator(z).cpu()
        self.generator.train()
        return images


def _snapshot(G: Generator, z: torch.Tensor) -> torch.Tensor:
    G.eval()
    with torch.no_grad():
        images = G(z).cpu()
    G.train()
    return images


def train_gan(X: torch.Tensor, cfg: Config | None = None, seed: int = 0, *, n_fixed: int = 16,
              device: torch.device | str = "cpu", progress: bool = True) -> GANRun:
    """Train a DCGAN on images ``X`` (N, 1, 8, 8) in [0, 1]; returns the :class:`GANRun`."""
    cfg = cfg or config()
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    G = Generator(cfg.latent_dim, cfg.channels).to(device)
    D = Discriminator(cfg.channels).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=cfg.betas)
    X = X.to(device)
    run = GANRun(G, D, torch.randn(n_fixed, cfg.latent_dim, generator=g).to(device))
    run.snapshots[0] = _snapshot(G, run.z_fixed)
    for step in tqdm(range(1, cfg.steps + 1), desc="GAN", disable=not progress, mininterval=0.5, leave=False):
        real = X[torch.randint(len(X), (cfg.batch_size,), generator=g).to(device)]
        z = torch.randn(cfg.batch_size, cfg.latent_dim, generator=g).to(device)
        # 1. the discriminator: real images up, generated ones down (G's output detached: D's step only)
        fake = G(z)
        real_logits, fake_logits = D(real), D(fake.detach())
        d_loss = discriminator_loss(real_logits, fake_logits)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # 2. the generator: make D call its images real (non-saturating loss)
        g_loss = generator_loss(D(fake))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        run.d_loss.append(d_loss.item())
        run.g_loss.append(g_loss.item())
        run.d_real.append(torch.sigmoid(real_logits).mean().item())
        run.d_fake.append(torch.sigmoid(fake_logits).mean().item())
        if step % cfg.snapshot_every == 0 or step == cfg.steps:
            run.snapshots[step] = _snapshot(G, run.z_fixed)
    return run


def collapse(run: GANRun, steps: int | None = None, lr: float | None = None, seed: int = 0,
             progress: bool = True) -> Generator:
    """A copy of the trained generator, trained ``steps`` more steps against the *frozen* discriminator.

    With D fixed, the generator's best reply is to put every sample where D is most convinced: one point. That is
    mode collapse in its purest form; in ordinary training D moves too, and G hops from mode to mode.
    """
    cfg = QUICK
    steps = steps if steps is not None else cfg.collapse_steps
    lr = lr if lr is not None else 1e-3
    G, D = copy.deepcopy(run.generator), copy.deepcopy(run.discriminator).eval()
    for p in D.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(G.parameters(), lr=lr, betas=cfg.betas)
    g = torch.Generator().manual_seed(seed)
    device = next(G.parameters()).device
    for _ in tqdm(range(steps), desc="G alone", disable=not progress, mininterval=0.5, leave=False):
        z = torch.randn(64, G.latent_dim, generator=g).to(device)
        loss = generator_loss(D(G(z)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return G
