"""Plain against residual networks of growing depth (book: Chapter 6, "Residual connections", label
``ch6-residual``).

:class:`dlcourse.models.DeepMLP` with ``residual=False`` and ``True`` (the same layers; the residual one adds
``x`` back in every block) at several depths, trained on the digits with the same optimizer (Adam), seed and epochs.
He et al. (2016) saw the plain network's *training* error rise with depth (degradation); the residual one keeps
improving or stays level.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from .. import optim, runtime
from ..data.digits import load_digits
from ..models.resnet import DeepMLP
from ..training import accuracy, fit

__all__ = ["Config", "QUICK", "FULL", "config", "run", "plot"]


@dataclass(frozen=True)
class Config:
    blocks: tuple[int, ...] = (1, 4, 16)
    width: int = 32
    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    batchnorm: bool = False


QUICK = Config()
FULL = Config(blocks=(1, 4, 16, 32, 64), width=64, epochs=30)


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def run(cfg: Config | None = None, seed: int = 0) -> dict[bool, dict[int, dict[str, float]]]:
    """``{residual: {blocks: {"train_loss", "valid_accuracy", "layers"}}}``; ``layers`` counts Linear layers."""
    cfg = cfg or config()
    data = load_digits(flatten=True)
    results: dict[bool, dict[int, dict[str, float]]] = {False: {}, True: {}}
    for residual, n in tqdm([(r, n) for r in (False, True) for n in cfg.blocks], desc="depths", leave=False):
        torch.manual_seed(seed)
        model = DeepMLP(64, cfg.width, n, 10, residual=residual, batchnorm=cfg.batchnorm)
        try:
            loader = DataLoader(TensorDataset(data.X_train, data.y_train), batch_size=cfg.batch_size, shuffle=True,
                                drop_last=True, generator=torch.Generator().manual_seed(seed))
            h = fit(model, loader, loss_fn=nn.CrossEntropyLoss(), optimizer=optim.Adam(model.parameters(), lr=cfg.lr),
                    epochs=cfg.epochs, valid=(data.X_test, data.y_test), metrics={"accuracy": accuracy},
                    progress=False, device="cpu")
            results[residual][n] = {"train_loss": h.last["train_loss"], "valid_accuracy": h.last["valid_accuracy"],
                                    "layers": 2 * n + 2}
        except FloatingPointError:
            results[residual][n] = {"train_loss": float("inf"), "valid_accuracy": 0.1, "layers": 2 * n + 2}
    return results


def plot(results: dict[bool, dict[int, dict[str, float]]]):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for residual, by_depth in results.items():
        layers = [r["layers"] for r in by_depth.values()]
        label = "residual" if residual else "plain"
        axes[0].semilogy(layers, [min(r["train_loss"], 10) for r in by_depth.values()], "o-", label=label)
        axes[1].plot(layers, [r["valid_accuracy"] for r in by_depth.values()], "o-", label=label)
    axes[0].set(xlabel="Linear layers", ylabel="final training loss", title="training loss against depth")
    axes[1].set(xlabel="Linear layers", ylabel="validation accuracy", title="validation accuracy", ylim=(0, 1))
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
