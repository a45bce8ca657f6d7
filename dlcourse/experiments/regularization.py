"""Dropout, L2 and L1 against over-fitting, over several seeds (book: Chapter 6, "Dropout and weight penalties",
label ``ch6-regularisation``).

A wide MLP is trained on a small slice of the digits (``n_train`` examples) in which a fraction ``label_noise`` of
the labels has been replaced by random ones, long enough to fit it perfectly; the generalisation gap is training
accuracy (on the noisy labels it was given) minus test accuracy (clean labels). Without the noise the digits are
too easy for a gap to show at this size. Four variants with the same seed, data and
optimizer (Adam): none; dropout (ours, ``dlcourse.nn.Dropout``) after each hidden layer; an L2 penalty
``lam2 * sum(w^2)``; an L1 penalty ``lam1 * sum(|w|)`` on the weights (not the biases). The penalties are added
to the loss, so the same ``fit`` trains all four.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import optim, runtime
from ..data.digits import load_digits
from ..nn import Dropout
from ..training import accuracy, evaluate, fit

__all__ = ["Config", "QUICK", "FULL", "config", "VARIANTS", "make_net", "penalty", "train_variant", "run", "plot"]

VARIANTS = ("none", "dropout", "L2", "L1")


@dataclass(frozen=True)
class Config:
    n_train: int = 200
    label_noise: float = 0.3
    width: int = 128
    epochs: int = 60
    batch_size: int = 50
    lr: float = 3e-3
    p: float = 0.5
    lam2: float = 3e-3
    lam1: float = 3e-4
    seeds: tuple[int, ...] = (0, 1, 2)


QUICK = Config()
FULL = Config(width=512, epochs=200, seeds=(0, 1, 2, 3, 4))


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def make_net(width: int, p: float) -> nn.Sequential:
    """64 -> width -> width -> 10 with ReLU; ``Dropout(p)`` after each hidden layer when ``p > 0``."""
    def drop():
        return [Dropout(p)] if p > 0 else []
    return nn.Sequential(nn.Linear(64, width), nn.ReLU(), *drop(), nn.Linear(width, width), nn.ReLU(), *drop(),
                         nn.Linear(width, 10))


def penalty(model: nn.Module, kind: str) -> torch.Tensor:
    """``sum(w^2)`` (L2) or ``sum(|w|)`` (L1) over the weight matrices."""
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    if kind == "L2":
        return sum(w.square().sum() for w in weights)
    if kind == "L1":
        return sum(w.abs().sum() for w in weights)
    raise ValueError(f"kind must be 'L1' or 'L2', got {kind!r}")


def train_variant(variant: str, cfg: Config, seed: int, data=None) -> tuple[dict[str, float], torch.Tensor]:
    """Train one variant; returns ``({"train_accuracy", "test_accuracy", "gap"}, all hidden weights flattened)``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    data = data or load_digits(flatten=True)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data.X_train), generator=g)[:cfg.n_train]
    X, y = data.X_train[idx], data.y_train[idx].clone()
    flip = torch.rand(len(y), generator=g) < cfg.label_noise
    y[flip] = torch.randint(0, 10, (int(flip.sum()),), generator=g)    # noisy labels: something to over-fit
    torch.manual_seed(seed)
    model = make_net(cfg.width, cfg.p if variant == "dropout" else 0.0)
    ce = nn.CrossEntropyLoss()
    lam = {"L2": cfg.lam2, "L1": cfg.lam1}.get(variant, 0.0)

    def loss_fn(out, target):
        loss = ce(out, target)
        return loss + lam * penalty(model, variant) if lam else loss

    fit(model, (X, y), loss_fn=loss_fn, optimizer=optim.Adam(model.parameters(), lr=cfg.lr), epochs=cfg.epochs,
        batch_size=cfg.batch_size, generator=g, progress=False, device="cpu")
    train = evaluate(model, (X, y), metrics={"accuracy": accuracy}, device="cpu")["accuracy"]
    test = evaluate(model, (data.X_test, data.y_test), metrics={"accuracy": accuracy}, device="cpu")["accuracy"]
    weights = torch.cat([m.weight.detach().reshape(-1) for m in model.modules() if isinstance(m, nn.Linear)][:2])
    return {"train_accuracy": train, "test_accuracy": test, "gap": train - test}, weights


def run(cfg: Config | None = None) -> tuple[dict[str, list[dict[str, float]]], dict[str, torch.Tensor]]:
    """``({variant: [result per seed]}, {variant: weights of the first seed})``."""
    cfg = cfg or config()
    data = load_digits(flatten=True)
    results: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    weights: dict[str, torch.Tensor] = {}
    for seed in tqdm(cfg.seeds, desc="seeds", leave=False):
        for variant in VARIANTS:
            r, w = train_variant(variant, cfg, seed, data)
            results[variant].append(r)
            weights.setdefault(variant, w)
    return results, weights


def plot(results: dict[str, list[dict[str, float]]], weights: dict[str, torch.Tensor]):
    """Left: the gap per variant (one dot per seed). Right: histograms of the hidden weights."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for i, rs in enumerate(results.values()):
        gaps = [r["gap"] for r in rs]
        axes[0].plot([i] * len(gaps), gaps, "o", alpha=0.7)
        axes[0].plot([i - 0.2, i + 0.2], [sum(gaps) / len(gaps)] * 2, "k-")
    axes[0].set_xticks(range(len(results)), list(results))
    axes[0].set(ylabel="train acc - test acc", title="generalisation gap (dots: seeds, bar: mean)")
    for variant, w in weights.items():
        axes[1].hist(w.numpy(), bins=200, range=(-0.3, 0.3), histtype="step", label=variant, log=True)
    axes[1].set(xlabel="weight value", ylabel="count (log)", title="hidden-layer weights")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig
