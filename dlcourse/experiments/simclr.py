"""SimCLR on the digits, then a linear probe as labels become scarce (book: Chapter 8, "Contrastive
self-supervised learning").

Three ways to classify the test digits with only ``n`` labelled training images per class:

- ``"SimCLR + linear probe"``: pre-train the encoder on *all* training images without their labels (NT-Xent on two
  random views), freeze it, fit a logistic regression on the ``n`` labelled representations;
- ``"random features + linear probe"``: the same encoder, untrained (random weights), same probe;
- ``"supervised"``: the same encoder plus a linear layer, trained from scratch on the ``n`` labelled images only.

Each number is the mean over ``subsets`` random draws of the labelled images.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from ..data.views import random_views
from ..models.simclr import DigitEncoder, SimCLR
from ..nn.contrastive import nt_xent
from ..runtime import size as _size
from ..training import fit

__all__ = ["Config", "QUICK", "FULL", "config", "pretrain", "encode", "labelled_subset", "linear_probe",
           "supervised", "label_scarcity"]


@dataclass(frozen=True)
class Config:
    steps: int = 300
    batch_size: int = 128
    channels: int = 16
    proj_dim: int = 32
    temperature: float = 0.5
    lr: float = 3e-3
    labels_per_class: tuple[int, ...] = (1, 3, 10, 30)
    subsets: int = 3
    supervised_steps: int = 150


QUICK = Config()
FULL = Config(steps=3000, batch_size=256, channels=32, labels_per_class=(1, 3, 10, 30, 100), subsets=5,
              supervised_steps=500)


def config(size: str | None = None) -> Config:
    """FULL when the size (``dlcourse.runtime.size()`` by default) is ``"full"``, else QUICK."""
    return FULL if (size or _size()) == "full" else QUICK


def pretrain(X: torch.Tensor, cfg: Config | None = None, seed: int = 0, *, device: torch.device | str = "cpu",
             progress: bool = True) -> tuple[SimCLR, list[float]]:
    """Contrastive pre-training on unlabelled images ``X`` (N, 1, 8, 8) with ``fit``'s ``step_fn``; returns the model
    (eval mode) and the loss of every step."""
    cfg = cfg or config()
    if X.ndim != 4 or len(X) < cfg.batch_size:
        raise ValueError(f"pretrain needs images (N, 1, 8, 8) with N >= batch_size = {cfg.batch_size}, "
                         f"got {tuple(X.shape)}")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = SimCLR(cfg.channels, cfg.proj_dim)

    def step_fn(model: SimCLR, batch, optimizer) -> dict[str, float]:
        x = batch[0]
        v1, v2 = random_views(x, g), random_views(x, g)      # two views of every image, no labels
        _, z1 = model(v1)
        _, z2 = model(v2)
        loss = nt_xent(z1, z2, cfg.temperature)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"nt_xent": loss.item()}

    loader = DataLoader(TensorDataset(X), batch_size=cfg.batch_size, shuffle=True, drop_last=True, generator=g)
    history = fit(model, loader, optimizer=torch.optim.Adam(model.parameters(), lr=cfg.lr), step_fn=step_fn,
                  epochs=math.ceil(cfg.steps / len(loader)), max_steps=cfg.steps, device=device, progress=progress,
                  desc="SimCLR")
    return model.eval(), history.step_losses


@torch.no_grad()
def encode(encoder: nn.Module, X: torch.Tensor) -> np.ndarray:
    """Frozen representations (N, d) as a NumPy array, in eval mode on the CPU."""
    encoder = encoder.eval().cpu()
    return encoder(X.cpu()).numpy()


def labelled_subset(y: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of ``per_class`` random examples of every class (or all of a class that has fewer)."""
    g = torch.Generator().manual_seed(seed)
    index = []
    for c in torch.unique(y).tolist():
        members = torch.nonzero(y == c)[:, 0]
        index.append(members[torch.randperm(len(members), generator=g)[:per_class]])
    return torch.cat(index)


def linear_probe(train_features: np.ndarray, y_train: torch.Tensor, test_features: np.ndarray,
                 y_test: torch.Tensor) -> float:
    """Test accuracy of a logistic regression fitted on frozen features (standardised with the training ones)."""
    mean, std = train_features.mean(0), train_features.std(0) + 1e-6
    clf = LogisticRegression(max_iter=1000, C=1.0)
    clf.fit((train_features - mean) / std, y_train.numpy())
    return float((clf.predict((test_features - mean) / std) == y_test.numpy()).mean())


def supervised(X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor, cfg: Config,
               seed: int = 0) -> float:
    """Test accuracy of the encoder + a linear layer trained from scratch on ``(X, y)`` for about
    ``cfg.supervised_steps`` steps."""
    from ..training import accuracy, evaluate

    torch.manual_seed(seed)
    encoder = DigitEncoder(cfg.channels)
    model = nn.Sequential(encoder, nn.Linear(encoder.out_features, 10))
    batch = min(64, len(X))
    epochs = max(1, math.ceil(cfg.supervised_steps / math.ceil(len(X) / batch)))
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters(), cfg.lr),
        epochs=epochs, batch_size=batch, device="cpu", generator=torch.Generator().manual_seed(seed), progress=False)
    return evaluate(model, (X_test, y_test), metrics={"accuracy": accuracy}, device="cpu")["accuracy"]


def label_scarcity(model: SimCLR, digits, cfg: Config | None = None, seed: int = 0,
                   progress: bool = True) -> dict[str, dict[int, float]]:
    """``{method: {labels per class: mean test accuracy}}`` for the three methods of the module docstring."""
    cfg = cfg or config()
    torch.manual_seed(seed + 1000)
    random_encoder = DigitEncoder(cfg.channels)
    feats = {"SimCLR + linear probe": (encode(model.encoder, digits.X_train), encode(model.encoder, digits.X_test)),
             "random features + linear probe": (encode(random_encoder, digits.X_train),
                                                encode(random_encoder, digits.X_test))}
    results: dict[str, dict[int, float]] = {name: {} for name in [*feats, "supervised"]}
    jobs = [(n, s) for n in cfg.labels_per_class for s in range(cfg.subsets)]
    scores: dict[tuple[str, int], list[float]] = {}
    for n, s in tqdm(jobs, desc="label budgets", disable=not progress, leave=False):
        idx = labelled_subset(digits.y_train, n, seed=seed * 100 + s)
        for name, (f_train, f_test) in feats.items():
            scores.setdefault((name, n), []).append(
                linear_probe(f_train[idx.numpy()], digits.y_train[idx], f_test, digits.y_test))
        scores.setdefault(("supervised", n), []).append(
            supervised(digits.X_train[idx], digits.y_train[idx], digits.X_test, digits.y_test, cfg, seed=s))
    for (name, n), values in scores.items():
        results[name][n] = float(np.mean(values))
    return results
