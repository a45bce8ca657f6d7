"""Activation and gradient statistics through a 50-layer network (book: Chapter 6, "Initialisation",
label ``ch6-init``).

For each initialisation (naive ``N(0, 0.01^2)``, Xavier, He) and each activation (tanh, ReLU), a batch of
standard-normal inputs goes forward through ``depth`` layers ``h = act(W h)`` of equal width; we record the
standard deviation of every layer's activations, and, after back-propagating a random upstream gradient, the
standard deviation of every layer's gradient with respect to its input. No training: this is the state the
first step of gradient descent starts from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import runtime
from ..nn import init as dinit

__all__ = ["Config", "QUICK", "FULL", "config", "INITS", "ACTIVATIONS", "layer_statistics", "run", "alive"]

INITS = ("naive", "xavier", "he")
ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class Config:
    depth: int = 50
    width: int = 256
    batch: int = 512


QUICK = Config()
FULL = Config(width=1024, batch=2048)


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def _init_weight(w: torch.Tensor, init: str, activation: str, generator: torch.Generator) -> torch.Tensor:
    if init == "naive":
        return dinit.normal_(w, 0.0, 0.01, generator=generator)
    if init == "xavier":
        return dinit.xavier_normal_(w, generator=generator)
    if init == "he":
        return dinit.kaiming_normal_(w, nonlinearity="relu", generator=generator)
    raise ValueError(f"init must be one of {INITS}, got {init!r}")


def layer_statistics(init: str, activation: str, cfg: Config = QUICK, seed: int = 0) -> dict[str, list[float]]:
    """Per-layer ``activation_std`` and ``gradient_std`` (length ``depth``), for one initialisation and activation.

    ``gradient_std[l]`` is the std of d(loss)/d(input of layer l), for a unit-variance random upstream gradient.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    g = torch.Generator().manual_seed(seed)
    act = torch.tanh if activation == "tanh" else torch.relu
    weights = [_init_weight(torch.empty(cfg.width, cfg.width), init, activation, g) for _ in range(cfg.depth)]
    h = torch.randn(cfg.batch, cfg.width, generator=g)
    inputs, acts = [], []
    for w in weights:
        x = h.detach().requires_grad_()
        inputs.append(x)
        h = act(x @ w.T)
        acts.append(h)
    upstream = torch.randn(h.shape, generator=g)
    grad = upstream
    grads = []
    for x, out in zip(reversed(inputs), reversed(acts)):
        (grad,) = torch.autograd.grad(out, x, grad)
        grads.append(grad.std().item())
    return {"activation_std": [a.std().item() for a in acts], "gradient_std": grads[::-1]}


def run(cfg: Config | None = None, seed: int = 0) -> dict[tuple[str, str], dict[str, list[float]]]:
    """Statistics for every (init, activation) pair."""
    cfg = cfg or config()
    return {(i, a): layer_statistics(i, a, cfg, seed) for i in INITS for a in ACTIVATIONS}


def alive(stats: dict[str, list[float]], factor: float = 20.0) -> bool:
    """The signal is alive if the last layer's activation std and the first layer's gradient std are both within
    ``factor`` of the first layer's activation std and the last layer's gradient std (no collapse, no blow-up)."""
    a, g = stats["activation_std"], stats["gradient_std"]
    ok = all(math.isfinite(v) and v > 0 for v in (a[0], a[-1], g[0], g[-1]))
    return ok and 1 / factor <= a[-1] / a[0] <= factor and 1 / factor <= g[0] / g[-1] <= factor


def plot(results: dict[tuple[str, str], dict[str, list[float]]]):
    """Two panels: activation std and gradient std per layer, log scale, one line per (init, activation)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for (init, act), stats in results.items():
        style = "-" if act == "relu" else "--"
        for ax, key in zip(axes, ("activation_std", "gradient_std")):
            values = [max(v, 1e-30) for v in stats[key]]
            ax.semilogy(range(1, len(values) + 1), values, style, label=f"{init} + {act}")
    axes[0].set(title="activation std, forward", xlabel="layer", ylabel="std")
    axes[1].set(title="gradient std, backward", xlabel="layer")
    axes[1].legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig
