"""Learning-rate schedules and warm-up, drawn and used on one training run (book: Chapter 6, "Learning-rate
schedules", label ``ch6-schedules``).

:func:`curves` steps each of ``dlcourse.optim.lr_scheduler``'s schedules on a dummy optimizer and records the
rate; :func:`compare` trains the Chapter's MLP on the digits with SGD + momentum at a rate beyond the edge of
stability found in the tuning (0.3), once at a constant rate and once per schedule, same seed and data order.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import optim, runtime
from ..data.digits import load_digits
from ..optim import lr_scheduler as sched
from ..training import accuracy, fit
from .optimizer_comparison import make_mlp

__all__ = ["Config", "QUICK", "FULL", "config", "SCHEDULES", "curves", "compare", "plot"]


@dataclass(frozen=True)
class Config:
    lr: float = 0.3
    epochs: int = 8
    batch_size: int = 64
    width: int = 128
    depth: int = 3
    warmup_fraction: float = 0.1


QUICK = Config()
FULL = Config(epochs=30, width=256)


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def _warmup_cosine(opt, total: int, warm: int):
    return sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.01, total_iters=warm),
                                    sched.CosineAnnealingLR(opt, T_max=total - warm)], milestones=[warm])


# name -> builder(optimizer, total_steps, warmup_steps); None is the constant rate
SCHEDULES: dict[str, Callable | None] = {
    "constant": None,
    "step (x0.1 at 2/3)": lambda opt, total, warm: sched.StepLR(opt, step_size=2 * total // 3, gamma=0.1),
    "cosine": lambda opt, total, warm: sched.CosineAnnealingLR(opt, T_max=total),
    "warm-up + cosine": _warmup_cosine,
    "one-cycle": lambda opt, total, warm: sched.OneCycleLR(opt, max_lr=opt.param_groups[0]["lr"], total_steps=total),
}


def curves(total: int = 100, lr: float = 1.0, warmup: int = 10) -> dict[str, list[float]]:
    """The rate at every step of every schedule, for ``total`` steps from ``lr``."""
    out = {}
    for name, build in SCHEDULES.items():
        opt = optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
        scheduler = build(opt, total, warmup) if build else None
        rates = []
        for _ in range(total):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            if scheduler:
                scheduler.step()
        out[name] = rates
    return out


def compare(cfg: Config | None = None, seed: int = 0, names: tuple[str, ...] | None = None) -> dict[str, dict]:
    """Train once per schedule; ``{name: {"train_loss", "valid_accuracy", "step_losses"}}``."""
    cfg = cfg or config()
    data = load_digits(flatten=True)
    steps_per_epoch = math.ceil(len(data.X_train) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    results = {}
    for name in tqdm(names or tuple(SCHEDULES), desc="schedules", leave=False):
        torch.manual_seed(seed)
        model = make_mlp(cfg.width, cfg.depth)
        opt = optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
        build = SCHEDULES[name]
        scheduler = build(opt, total, max(1, int(cfg.warmup_fraction * total))) if build else None
        try:
            h = fit(model, (data.X_train, data.y_train), loss_fn=nn.CrossEntropyLoss(), optimizer=opt,
                    epochs=cfg.epochs, batch_size=cfg.batch_size, valid=(data.X_test, data.y_test),
                    metrics={"accuracy": accuracy}, scheduler=scheduler, generator=torch.Generator().manual_seed(seed),
                    progress=False, device="cpu")
            results[name] = {"train_loss": h.last["train_loss"], "valid_accuracy": h.last["valid_accuracy"],
                             "step_losses": h.step_losses}
        except FloatingPointError:
            results[name] = {"train_loss": math.inf, "valid_accuracy": 0.1, "step_losses": []}
    return results


def plot(rates: dict[str, list[float]], results: dict[str, dict] | None = None):
    """Left: the schedules. Right (if given): the training loss of each run, smoothed over 10 steps."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2 if results else 1, figsize=(11 if results else 5.5, 3.6), squeeze=False)
    for name, r in rates.items():
        axes[0, 0].plot(r, label=name)
    axes[0, 0].set(xlabel="step", ylabel="learning rate / base rate", title="schedules")
    axes[0, 0].legend(fontsize=8)
    if results:
        for name, res in results.items():
            losses = torch.tensor(res["step_losses"])
            if len(losses) >= 10:
                smooth = losses.unfold(0, 10, 1).mean(1)
                axes[0, 1].semilogy(smooth, label=f"{name} (final {res['train_loss']:.3f})")
        axes[0, 1].set(xlabel="step", ylabel="training loss", title="one run per schedule")
        axes[0, 1].legend(fontsize=8)
    fig.tight_layout()
    return fig
