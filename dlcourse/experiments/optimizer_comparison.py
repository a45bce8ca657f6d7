"""Optimizers on a real network, each at its tuned learning rate (book: Chapter 6, "Optimizers on a real
network", label ``ch6-optimizers-real``).

The network is a 3-hidden-layer ReLU MLP on scikit-learn's digits. For each optimizer we train once per learning
rate of a log grid (the tuning), with the same seed, data order and epochs, and report the final training loss
and validation accuracy. The comparison that matters is between each optimizer's *best* rate: comparing at one
shared rate mostly measures which optimizer that rate happens to suit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import optim, runtime
from ..data.digits import load_digits
from ..training import accuracy, fit

__all__ = ["Config", "QUICK", "FULL", "config", "GRIDS", "make_mlp", "train_once", "tune", "best", "plot"]

GRIDS: dict[str, tuple[type, dict, tuple[float, ...]]] = {
    "SGD": (optim.SGD, {}, (0.01, 0.03, 0.1, 0.3, 1.0)),
    "momentum 0.9": (optim.SGD, {"momentum": 0.9}, (0.01, 0.03, 0.1, 0.3, 1.0)),
    "RMSprop": (optim.RMSprop, {}, (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)),
    "Adam": (optim.Adam, {}, (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)),
}


@dataclass(frozen=True)
class Config:
    width: int = 128
    depth: int = 3
    epochs: int = 6
    batch_size: int = 64
    optimizers: tuple[str, ...] = field(default_factory=lambda: tuple(GRIDS))


QUICK = Config()
FULL = Config(width=256, epochs=30)


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def make_mlp(width: int, depth: int, in_features: int = 64, out_features: int = 10) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(in_features if i == 0 else width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, out_features))


def train_once(name: str, lr: float, cfg: Config, data=None, seed: int = 0) -> dict[str, float]:
    """Train one network with optimizer ``name`` at ``lr``; returns final ``train_loss``, ``valid_accuracy``."""
    data = data or load_digits(flatten=True)
    cls, kwargs, _ = GRIDS[name]
    torch.manual_seed(seed)
    model = make_mlp(cfg.width, cfg.depth)
    try:
        history = fit(model, (data.X_train, data.y_train), loss_fn=nn.CrossEntropyLoss(),
                      optimizer=cls(model.parameters(), lr=lr, **kwargs), epochs=cfg.epochs,
                      batch_size=cfg.batch_size, valid=(data.X_test, data.y_test), metrics={"accuracy": accuracy},
                      generator=torch.Generator().manual_seed(seed), progress=False, device="cpu")
    except FloatingPointError:
        return {"train_loss": math.inf, "valid_accuracy": 0.1}
    return {"train_loss": history.last["train_loss"], "valid_accuracy": history.last["valid_accuracy"]}


def tune(cfg: Config | None = None, seed: int = 0) -> dict[str, dict[float, dict[str, float]]]:
    """``{optimizer: {lr: result}}`` over every optimizer's grid."""
    cfg = cfg or config()
    data = load_digits(flatten=True)
    jobs = [(name, lr) for name in cfg.optimizers for lr in GRIDS[name][2]]
    results: dict[str, dict[float, dict[str, float]]] = {name: {} for name in cfg.optimizers}
    for name, lr in tqdm(jobs, desc="tuning", leave=False):
        results[name][lr] = train_once(name, lr, cfg, data, seed)
    return results


def best(results: dict[str, dict[float, dict[str, float]]]) -> dict[str, tuple[float, dict[str, float]]]:
    """Each optimizer's best learning rate by final training loss, and its result."""
    return {name: min(by_lr.items(), key=lambda item: item[1]["train_loss"]) for name, by_lr in results.items()}


def plot(results: dict[str, dict[float, dict[str, float]]]):
    """Final training loss and validation accuracy against learning rate, one line per optimizer."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, by_lr in results.items():
        lrs = sorted(by_lr)
        axes[0].loglog(lrs, [min(by_lr[lr]["train_loss"], 10.0) for lr in lrs], "o-", label=name)
        axes[1].semilogx(lrs, [by_lr[lr]["valid_accuracy"] for lr in lrs], "o-", label=name)
    axes[0].set(xlabel="learning rate", ylabel="final training loss", title="tuning: training loss")
    axes[1].set(xlabel="learning rate", ylabel="validation accuracy", title="tuning: validation accuracy")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
