"""Plotting helpers the notebooks share (book: every chapter). Model code never plots."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

if TYPE_CHECKING:  # pragma: no cover
    from .training import History

__all__ = ["plot_history", "plot_histories", "new_axes"]


def new_axes(ncols: int = 1, width: float = 4.5, height: float = 3.2, **kwargs):
    """A row of ``ncols`` axes of a consistent size; returns ``(fig, axes)`` (axes is a list)."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False, **kwargs)
    return fig, list(axes[0])


def plot_history(history: History, keys: Sequence[str] | None = None, ax=None, title: str | None = None):
    """Plot per-epoch losses (left) and other metrics (right) of a :class:`~dlcourse.training.History`.

    Returns the list of axes drawn on.
    """
    if not history.epochs:
        raise ValueError("nothing to plot: the history is empty")
    keys = list(keys) if keys is not None else [k for k in history.epochs[0] if k not in ("epoch", "seconds")]
    losses = [k for k in keys if k.endswith("loss")]
    others = [k for k in keys if not k.endswith("loss")]
    if ax is None:
        _, axes = new_axes(ncols=2 if losses and others else 1)
    else:
        axes = list(ax) if isinstance(ax, (list, tuple)) else [ax]
    epochs = history["epoch"]
    groups = [g for g in (losses, others) if g]
    for axis, group in zip(axes, groups):
        for key in group:
            axis.plot(epochs, history[key], marker="o", ms=3, label=key.replace("_", " "))
        axis.set_xlabel("epoch")
        axis.legend(frameon=False)
        axis.grid(alpha=0.3)
    if title:
        axes[0].set_title(title)
    return axes


def plot_histories(histories: Mapping[str, History], keys: Sequence[str] | None = None, ax=None,
                   title: str | None = None):
    """Compare runs: one axes per quantity in ``keys`` (default: every loss and metric the first run recorded),
    one line per run, labelled with its name in ``histories`` (``{name: History}``).

    Returns the list of axes drawn on.
    """
    if not histories:
        raise ValueError("no histories to plot: pass {name: History}")
    runs = list(histories.items())
    first = runs[0][1]
    if keys is None:
        if not first.epochs:
            raise ValueError(f"nothing to plot: the history of {runs[0][0]!r} is empty")
        keys = [k for k in first.epochs[0] if k not in ("epoch", "seconds")]
    keys = list(keys)
    if ax is None:
        _, axes = new_axes(ncols=len(keys))
    else:
        axes = list(ax) if isinstance(ax, (list, tuple)) else [ax]
    if len(axes) < len(keys):
        raise ValueError(f"{len(keys)} quantities {keys} need {len(keys)} axes, got {len(axes)}")
    for axis, key in zip(axes, keys):
        for name, history in runs:
            axis.plot(history["epoch"], history[key], marker="o", ms=3, label=name)
        axis.set(xlabel="epoch", ylabel=key.replace("_", " "))
        axis.legend(frameon=False)
        axis.grid(alpha=0.3)
    if title:
        axes[0].set_title(title)
    return axes
