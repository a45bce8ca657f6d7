"""XOR in input space and in the hidden units' space, from a trained net (book: Chapter 2, ``ch2-hidden-layer``).

For a net ``Linear(2, H) -> activation -> Linear(H, 1)`` the output is a *linear* function of the hidden vector
``h``: ``w . h + b``. So in hidden space one hyperplane separates the classes. To draw it on paper we use two
coordinates of ``h``: ``u = w . h / |w|`` (the direction the output layer reads; the boundary is the line
``u = -b / |w|``) and ``v``, the direction of largest spread of ``h`` orthogonal to ``w``.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from torch import nn

__all__ = ["hidden_coordinates", "plot_xor_spaces"]


def _check(model: nn.Sequential) -> tuple[nn.Linear, nn.Module, nn.Linear]:
    if not (isinstance(model, nn.Sequential) and len(model) == 3 and isinstance(model[0], nn.Linear)
            and isinstance(model[2], nn.Linear) and model[2].out_features == 1):
        raise ValueError("expected nn.Sequential(nn.Linear(D, H), activation, nn.Linear(H, 1))")
    return model[0], model[1], model[2]


@torch.no_grad()
def hidden_coordinates(model: nn.Sequential, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Project the hidden vectors of ``X`` (N, D) to the plane described in the module docstring.

    Returns:
        ``(u, v, threshold)``: u and v of shape (N,); the net predicts class 1 exactly where ``u > threshold``.
    """
    first, act, last = _check(model)
    p = next(model.parameters())
    h = act(first(X.to(device=p.device, dtype=p.dtype))).double().cpu()          # (N, H)
    w, b = last.weight.double().cpu()[0], last.bias.double().cpu()[0]              # (H,), ()
    w_unit = w / w.norm()
    u = h @ w_unit
    rest = h - u[:, None] * w_unit                                                   # the part the output ignores
    rest = rest - rest.mean(0)
    if rest.abs().max() > 0:
        v_dir = torch.linalg.svd(rest, full_matrices=False).Vh[0]
        v = rest @ v_dir
    else:
        v = torch.zeros_like(u)
    return u, v, float(-b / w.norm())


@torch.no_grad()
def plot_xor_spaces(model: nn.Sequential, X: torch.Tensor, y: torch.Tensor, resolution: int = 150):
    """Two panels: the data and the net's decision boundary in input space; the same points in hidden space with
    the output layer's straight boundary. ``X`` (N, 2), ``y`` (N,) in {0, 1}. Returns the figure."""
    first, _, _ = _check(model)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_xor_spaces draws 2-D inputs, got X of shape {tuple(X.shape)}")
    p = next(model.parameters())
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    lo, hi = X.min(0).values - 0.3, X.max(0).values + 0.3
    gx, gy = torch.meshgrid(torch.linspace(lo[0], hi[0], resolution), torch.linspace(lo[1], hi[1], resolution),
                            indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)
    logits = model(grid.to(device=p.device, dtype=p.dtype)).reshape(gx.shape).cpu()
    axes[0].contourf(gx, gy, logits > 0, levels=[-0.5, 0.5, 1.5], colors=["#cfe0f3", "#f6d5c8"], alpha=0.8)
    axes[0].contour(gx, gy, logits, levels=[0.0], colors="k", linewidths=1.2)
    colors = ["tab:blue", "tab:red"]
    for cls in (0, 1):
        m = y == cls
        axes[0].scatter(X[m, 0], X[m, 1], s=10, c=colors[cls], edgecolor="k", linewidth=0.2, label=f"class {cls}")
    axes[0].set(title="input space: no straight line works", xlabel="$x_1$", ylabel="$x_2$")
    axes[0].legend(loc="center", fontsize=8)

    u, v, t = hidden_coordinates(model, X)
    for cls in (0, 1):
        m = y == cls
        axes[1].scatter(u[m], v[m], s=10, c=colors[cls], edgecolor="k", linewidth=0.2)
    axes[1].axvline(t, color="k", lw=1.2)
    axes[1].axvspan(u.min() - 1, t, color="#cfe0f3", alpha=0.8, zorder=0)
    axes[1].axvspan(t, u.max() + 1, color="#f6d5c8", alpha=0.8, zorder=0)
    pad = 0.1 * float(u.max() - u.min())
    axes[1].set_xlim(float(u.min()) - pad, float(u.max()) + pad)
    axes[1].set(title=f"hidden space ({first.out_features} units): one straight line",
                xlabel="$u$: the direction the output layer reads", ylabel="$v$: largest other spread")
    fig.tight_layout()
    return fig
