"""Training a small DCGAN on the digits, watching its samples, and making it collapse (book: Chapter 8, "GANs").

One training step is :func:`gan_step`: one discriminator step, then one generator step (Goodfellow et al., 2014,
with k = 1), with DCGAN's Adam settings. The course's loop, :func:`dlcourse.training.fit`, runs it through its
``step_fn`` contract (two optimizers in a dict) and a callback keeps the samples of a fixed batch of noise every
``snapshot_every`` steps. :func:`collapse` then shows *mode collapse*: freeze the discriminator and let the
generator chase it alone.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from ..models.gan import Discriminator, Generator, discriminator_loss, generator_loss
from ..runtime import size as _size
from ..training import fit

__all__ = ["Config", "QUICK", "FULL", "config", "GANRun", "gan_step", "train_gan", "collapse"]


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
        images = G(z.to(next(G.parameters()).device)).cpu()
    G.train()
    return images


def gan_step(model: nn.ModuleDict, batch, optimizer: Mapping[str, torch.optim.Optimizer]) -> dict[str, float]:
    """One step of the game, in ``fit``'s ``step_fn`` form: ``model`` holds ``"G"`` and ``"D"``, ``optimizer`` their
    optimizers under the same keys, ``batch`` is ``[real images (B, 1, 8, 8)]``. Returns the numbers to log."""
    G, D = model["G"], model["D"]
    real = batch[0]
    z = torch.randn(len(real), G.latent_dim, device=real.device, dtype=real.dtype)
    # 1. the discriminator: real images up, generated ones down (G's output detached: D's step only)
    fake = G(z)
    real_logits, fake_logits = D(real), D(fake.detach())
    d_loss = discriminator_loss(real_logits, fake_logits)
    optimizer["D"].zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer["D"].step()
    # 2. the generator: make D call its images real (non-saturating loss)
    g_loss = generator_loss(D(fake))
    optimizer["G"].zero_grad(set_to_none=True)
    g_loss.backward()
    optimizer["G"].step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(), "d_fake": torch.sigmoid(fake_logits).mean().item()}


def train_gan(X: torch.Tensor, cfg: Config | None = None, seed: int = 0, *, n_fixed: int = 16,
              device: torch.device | str = "cpu", progress: bool = True) -> GANRun:
    """Train a DCGAN on images ``X`` (N, 1, 8, 8) in [0, 1] with ``fit`` and :func:`gan_step`; returns the
    :class:`GANRun` (networks, snapshots, and per-step losses and D's outputs)."""
    cfg = cfg or config()
    if X.ndim != 4 or len(X) < cfg.batch_size:
        raise ValueError(f"train_gan needs images (N, 1, 8, 8) with N >= batch_size = {cfg.batch_size}, "
                         f"got {tuple(X.shape)}")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    G, D = Generator(cfg.latent_dim, cfg.channels), Discriminator(cfg.channels)
    optimizers = {"G": torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=cfg.betas),
                  "D": torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=cfg.betas)}
    run = GANRun(G, D, torch.randn(n_fixed, cfg.latent_dim, generator=g))
    logs = {"d_loss": run.d_loss, "g_loss": run.g_loss, "d_real": run.d_real, "d_fake": run.d_fake}

    def step_fn(model, batch, optimizer):
        logged = gan_step(model, batch, optimizer)
        for k, v in logged.items():
            logs[k].append(v)
        step = len(run.d_loss)
        if step % cfg.snapshot_every == 0 or step == cfg.steps:
            run.snapshots[step] = _snapshot(G, run.z_fixed)
        return logged

    run.snapshots[0] = _snapshot(G, run.z_fixed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X), batch_size=cfg.batch_size,
                                         shuffle=True, drop_last=True, generator=g)
    fit(nn.ModuleDict({"G": G, "D": D}), loader, optimizer=optimizers, step_fn=step_fn,
        epochs=math.ceil(cfg.steps / len(loader)), max_steps=cfg.steps, device=device, progress=progress,
        desc="GAN")
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
