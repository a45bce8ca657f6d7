"""Optimizers' paths on three 2-D surfaces (book: Chapter 6, "Optimizers", label ``ch6-optimizers``).

* ``saddle``: ``f(x, y) = x^2 + y^4 / 4 - y^2 / 2``: a saddle point at the origin and two minima at ``y = +-1``
  (``f = -1/4``). Started on the ridge, a hair off ``y = 0``, where the gradient along ``y`` is tiny.
* ``rosenbrock``: ``(1 - x)^2 + 100 (y - x^2)^2``, a long curved narrow valley with its minimum at ``(1, 1)``.
* ``noisy_bowl``: ``(x^2 + 10 y^2) / 2`` whose gradient gets Gaussian noise, as a mini-batch gradient does.

Each optimizer is one of ``dlcourse.optim``'s, stepping a single 2-vector parameter.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .. import optim, runtime

__all__ = ["SURFACES", "Surface", "Config", "QUICK", "FULL", "config", "OPTIMIZERS", "path", "run", "plot"]


@dataclass(frozen=True)
class Surface:
    name: str
    f: Callable[[torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    minimum: tuple[float, float]
    extent: tuple[float, float, float, float]        # x0, x1, y0, y1 for the contour plot
    noise: float = 0.0


def _saddle(p: torch.Tensor) -> torch.Tensor:
    return p[0] ** 2 + p[1] ** 4 / 4 - p[1] ** 2 / 2


def _rosenbrock(p: torch.Tensor) -> torch.Tensor:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _bowl(p: torch.Tensor) -> torch.Tensor:
    return (p[0] ** 2 + 10 * p[1] ** 2) / 2


SURFACES = {
    "saddle": Surface("saddle", _saddle, (-1.5, 1e-3), (0.0, 1.0), (-1.6, 1.6, -1.5, 1.5)),
    "rosenbrock": Surface("rosenbrock", _rosenbrock, (-1.2, 1.0), (1.0, 1.0), (-1.6, 1.6, -0.6, 2.0)),
    "noisy_bowl": Surface("noisy_bowl", _bowl, (-2.5, 1.5), (0.0, 0.0), (-3.0, 3.0, -2.0, 2.0), noise=2.0),
}

# name -> (class, keyword arguments); the learning rates are each optimizer's best of a small grid (see the book)
OPTIMIZERS: dict[str, dict[str, tuple[type, dict]]] = {
    "saddle": {"SGD": (optim.SGD, {"lr": 0.05}), "momentum": (optim.SGD, {"lr": 0.05, "momentum": 0.9}),
               "Nesterov": (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
               "RMSprop": (optim.RMSprop, {"lr": 0.05}), "Adam": (optim.Adam, {"lr": 0.05})},
    "rosenbrock": {"SGD": (optim.SGD, {"lr": 1e-3}), "momentum": (optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
                   "Nesterov": (optim.SGD, {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
                   "RMSprop": (optim.RMSprop, {"lr": 1e-2}), "Adam": (optim.Adam, {"lr": 5e-2})},
    "noisy_bowl": {"SGD": (optim.SGD, {"lr": 0.05}), "momentum": (optim.SGD, {"lr": 0.05, "momentum": 0.9}),
                   "Nesterov": (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
                   "RMSprop": (optim.RMSprop, {"lr": 0.05}), "Adam": (optim.Adam, {"lr": 0.05})},
}


@dataclass(frozen=True)
class Config:
    steps: dict[str, int] = field(default_factory=lambda: {"saddle": 100, "rosenbrock": 1000, "noisy_bowl": 200})


QUICK = Config()
FULL = Config(steps={"saddle": 200, "rosenbrock": 5000, "noisy_bowl": 1000})


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


def path(surface: Surface, make_optimizer: Callable, steps: int, seed: int = 0) -> torch.Tensor:
    """The ``(steps + 1, 2)`` points visited, float64."""
    g = torch.Generator().manual_seed(seed)
    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    points = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        surface.f(p).backward()
        if surface.noise:
            p.grad += surface.noise * torch.randn(2, dtype=torch.float64, generator=g)
        opt.step()
        points.append(p.detach().clone())
    return torch.stack(points)


def run(cfg: Config | None = None, seed: int = 0) -> dict[str, dict[str, torch.Tensor]]:
    """``{surface: {optimizer: path}}`` for every surface and optimizer in :data:`OPTIMIZERS`."""
    cfg = cfg or config()
    return {s: {name: path(SURFACES[s], lambda params, c=cls, k=kw: c(params, **k), cfg.steps[s], seed)
                for name, (cls, kw) in OPTIMIZERS[s].items()} for s in SURFACES}


def plot(results: dict[str, dict[str, torch.Tensor]]):
    """One panel per surface: contours of f and every optimizer's path."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(13, 4))
    for ax, (name, paths) in zip(axes, results.items()):
        s = SURFACES[name]
        xs = torch.linspace(s.extent[0], s.extent[1], 200, dtype=torch.float64)
        ys = torch.linspace(s.extent[2], s.extent[3], 200, dtype=torch.float64)
        X, Y = torch.meshgrid(xs, ys, indexing="xy")
        Z = s.f(torch.stack([X, Y]))
        levels = 30 if name != "rosenbrock" else torch.logspace(-1, 3.3, 20).tolist()
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
        for label, pts in paths.items():
            ax.plot(pts[:, 0], pts[:, 1], lw=1.2, label=label)
        ax.plot(*s.minimum, "k*", ms=10)
        ax.set(title=name.replace("_", " "), xlim=s.extent[:2], ylim=s.extent[2:])
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
