"""A fitted GMDH network drawn unit by unit (book: Chapter 2, ``ch2-ai-winter``).

Each unit of a GMDH layer is a quadratic in two outputs of the layer below (Ivakhnenko 1965). The drawing shows the
inputs, every kept unit with its two incoming lines, and, in colour, the units the final prediction actually uses
(the best unit of the last layer and everything it depends on). Units kept but not on that path are grey.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

if TYPE_CHECKING:  # pragma: no cover
    from ..models.gmdh import GMDH

__all__ = ["gmdh_used_units", "draw_gmdh"]


def gmdh_used_units(model: GMDH) -> list[set[int]]:
    """For the inputs and each layer, the indices of the units the prediction depends on (inputs first)."""
    if not model.layers:
        raise RuntimeError("fit the GMDH model before drawing it")
    used = [{0}]  # the prediction is unit 0 of the last layer
    for layer in reversed(model.layers):
        used.insert(0, {i for k in used[0] for i in layer.pairs[k]})
    return used


def draw_gmdh(model: GMDH, input_names: list[str] | None = None, ax=None):
    """Draw ``model`` (after :meth:`GMDH.fit`); ``input_names`` label the inputs (default x1, x2, ...)."""
    used = gmdh_used_units(model)
    n_inputs = 1 + max(max(p) for p in model.layers[0].pairs)
    names = input_names or [f"$x_{i + 1}$" for i in range(n_inputs)]
    sizes = [n_inputs] + [len(layer.pairs) for layer in model.layers]
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * len(sizes) + 1, 4))

    def y(level: int, k: int) -> float:
        n = sizes[level]
        return 0.5 if n == 1 else 1 - k / (n - 1)

    for level, layer in enumerate(model.layers, start=1):
        for k, (i, j) in enumerate(layer.pairs):
            on_path = k in used[level]
            for src in (i, j):
                ax.plot([level - 1, level], [y(level - 1, src), y(level, k)], lw=1.4 if on_path else 0.6,
                        color="tab:blue" if on_path else "0.8", zorder=1)
    for level, n in enumerate(sizes):
        for k in range(n):
            on_path = k in used[level]
            ax.scatter(level, y(level, k), s=260 if level else 200, zorder=2, edgecolor="k",
                       c=("tab:orange" if level == len(sizes) - 1 and k == 0 else "#9ecae1") if on_path else "white")
            if level == 0:
                ax.text(-0.12, y(0, k), names[k], ha="right", va="center")
    for level in range(len(sizes)):
        ax.text(level, 1.13, "inputs" if level == 0 else f"layer {level}\n({sizes[level]} kept)", ha="center",
                fontsize=9)
    ax.text(len(sizes) - 1 + 0.15, y(len(sizes) - 1, 0), "prediction", va="center", fontsize=9)
    ax.set_xlim(-0.6, len(sizes) - 0.2)
    ax.set_ylim(-0.12, 1.25)
    ax.axis("off")
    return ax
