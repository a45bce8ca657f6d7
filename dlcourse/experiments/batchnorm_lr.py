"""What batch normalisation buys: a higher usable learning rate (book: Chapter 6, "Batch normalisation",
label ``ch6-batchnorm``).

The same deep ReLU MLP on the digits (He-initialised), with and without a ``BatchNorm1d`` after every hidden
``Linear`` (ours, ``dlcourse.nn.BatchNorm1d``), trained with plain SGD at each rate of a log grid. A rate is
*usable* when the run ends with validation accuracy of at least ``usable_accuracy``.

The training batches all have ``batch_size`` examples (``drop_last``): 1,347 training digits leave a last batch of
3, and BatchNorm's statistics over 3 examples are so noisy that they spoil the running averages, a small
version of the batch-size problem the chapter discusses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from .. import optim, runtime
from ..data.digits import load_digits
from ..nn import BatchNorm1d
from ..nn.init import kaiming_normal_, zeros_
from ..training import accuracy, fit

__all__ = ["Config", "QUICK", "FULL", "config", "make_net", "run", "usable_rates", "plot"]


@dataclass(frozen=True)
class Config:
    width: int = 64
    depth: int = 6
    epochs: int = 4
    batch_size: int = 64
    lrs: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    usable_accuracy: float = 0.85


QUICK = Config()
FULL = Config(width=256, depth=10, epochs=20, lrs=(0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0))


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def make_net(width: int, depth: int, batchnorm: bool, in_features: int = 64, out_features: int = 10) -> nn.Sequential:
    """``depth`` x (Linear [+ BatchNorm1d] + ReLU), then Linear. With BatchNorm the Linear has no bias (the
    normalisation removes it; BatchNorm's own ``bias`` replaces it)."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(in_features if i == 0 else width, width, bias=not batchnorm))
        if batchnorm:
            layers.append(BatchNorm1d(width))
        layers.append(nn.ReLU())
    net = nn.Sequential(*layers, nn.Linear(width, out_features))
    for m in net:
        if isinstance(m, nn.Linear):
            kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                zeros_(m.bias)
    return net


def run(cfg: Config | None = None, seed: int = 0) -> dict[bool, dict[float, dict[str, float]]]:
    """``{batchnorm: {lr: {"train_loss", "valid_accuracy"}}}``."""
    cfg = cfg or config()
    data = load_digits(flatten=True)
    results: dict[bool, dict[float, dict[str, float]]] = {False: {}, True: {}}
    for bn, lr in tqdm([(bn, lr) for bn in (False, True) for lr in cfg.lrs], desc="BatchNorm grid", leave=False):
        torch.manual_seed(seed)
        model = make_net(cfg.width, cfg.depth, bn)
        try:
            loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=cfg.batch_size, shuffle=True,
                                drop_last=True, generator=torch.Generator().manual_seed(seed))
            h = fit(model, loader, loss_fn=nn.CrossEntropyLoss(), optimizer=optim.SGD(model.parameters(), lr=lr),
                    epochs=cfg.epochs, valid=(data.X_test, data.y_test), metrics={"accuracy": accuracy},
                    progress=False, device="cpu")
            results[bn][lr] = {"train_loss": h.last["train_loss"], "valid_accuracy": h.last["valid_accuracy"]}
        except FloatingPointError:
            results[bn][lr] = {"train_loss": math.inf, "valid_accuracy": 0.0}
    return results


def usable_rates(results: dict[float, dict[str, float]], threshold: float) -> list[float]:
    return [lr for lr, r in sorted(results.items()) if r["valid_accuracy"] >= threshold]


def plot(results: dict[bool, dict[float, dict[str, float]]], threshold: float):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for bn, by_lr in results.items():
        lrs = sorted(by_lr)
        ax.semilogx(lrs, [by_lr[lr]["valid_accuracy"] for lr in lrs], "o-",
                    label="with BatchNorm" if bn else "without")
    ax.axhline(threshold, color="grey", ls=":", label=f"usable ({threshold:.0%})")
    ax.set(xlabel="learning rate (plain SGD)", ylabel="validation accuracy", ylim=(0, 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
