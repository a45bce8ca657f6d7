"""Pictures of convolution (book: Chapter 4, ``ch4-local-connections``, ``ch4-equivariance``, ``ch4-im2col``).

- :func:`draw_weight_sharing`: a 3x3 image feeding 4 output units, fully connected (36 weights), locally connected
  (16 weights) and convolutional (the same 4 weights at every position);
- :func:`draw_receptive_field`: a 3x3 window sliding over the input, and how two stacked 3x3 layers see a 5x5 patch;
- :func:`draw_im2col`: a 4x4 image unrolled into one column per 2x2 window, so that a convolution is one matrix
  product (the columns come from ``torch.nn.functional.unfold``, torch's im2col, which the chapter shows equal
  to ours).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle

__all__ = ["weight_sharing_connections", "draw_weight_sharing", "draw_receptive_field", "draw_im2col"]


def weight_sharing_connections(kind: str) -> list[tuple[int, int, int]]:
    """The connections of the 3x3 -> 2x2 example as ``(input pixel, output unit, weight id)`` triples.

    ``kind`` is ``"fully connected"`` (36 connections, 36 weights), ``"locally connected"`` (16 connections,
    16 weights) or ``"convolutional"`` (16 connections sharing 4 weights: the 2x2 kernel).
    """
    out = []
    for o in range(4):
        oi, oj = divmod(o, 2)
        for p in range(9):
            pi, pj = divmod(p, 3)
            inside = 0 <= pi - oi < 2 and 0 <= pj - oj < 2
            if kind == "fully connected":
                out.append((p, o, 9 * o + p))
            elif kind == "locally connected" and inside:
                out.append((p, o, 4 * o + 2 * (pi - oi) + (pj - oj)))
            elif kind == "convolutional" and inside:
                out.append((p, o, 2 * (pi - oi) + (pj - oj)))
    if not out:
        raise ValueError(f"kind must be 'fully connected', 'locally connected' or 'convolutional', got {kind!r}")
    return out


def draw_weight_sharing():
    """Three panels, one per kind of layer; a line per connection, coloured by the weight it uses."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
    kinds = ["fully connected", "locally connected", "convolutional"]
    for ax, kind in zip(axes, kinds):
        conns = weight_sharing_connections(kind)
        n_weights = len({w for _, _, w in conns})
        cmap = plt.get_cmap("tab10" if n_weights <= 10 else "viridis")
        for p, o, w in conns:
            color = cmap(w % 10) if n_weights <= 10 else cmap(w / (n_weights - 1))
            ax.plot([0, 1], [8 - p, 6 - 1.33 * o - 0.5], color=color, lw=1.6 if n_weights <= 10 else 0.8)
        ax.scatter([0] * 9, [8 - p for p in range(9)], s=160, c="white", edgecolor="k", zorder=3)
        ax.scatter([1] * 4, [6 - 1.33 * o - 0.5 for o in range(4)], s=160, c="#dddddd", edgecolor="k", zorder=3)
        for p in range(9):
            ax.text(-0.08, 8 - p, f"$x_{{{p // 3 + 1}{p % 3 + 1}}}$", ha="right", va="center", fontsize=9)
        for o in range(4):
            ax.text(1.08, 6 - 1.33 * o - 0.5, f"$y_{{{o // 2 + 1}{o % 2 + 1}}}$", ha="left", va="center", fontsize=9)
        ax.set_title(f"{kind}\n{len(conns)} connections, {n_weights} weights")
        ax.set_xlim(-0.35, 1.35)
        ax.axis("off")
    fig.tight_layout()
    return fig


def _grid(ax, n: int, origin: tuple[float, float], cell: float = 1.0, **kw):
    x0, y0 = origin
    for i in range(n + 1):
        ax.plot([x0, x0 + n * cell], [y0 + i * cell] * 2, color="0.6", lw=0.6, **kw)
        ax.plot([x0 + i * cell] * 2, [y0, y0 + n * cell], color="0.6", lw=0.6, **kw)


def _box(ax, origin, row: int, col: int, size: int, n: int, **kw):
    x0, y0 = origin
    ax.add_patch(Rectangle((x0 + col, y0 + n - row - size), size, size, fill=kw.pop("fill", True), **kw))


def draw_receptive_field(n: int = 7):
    """An ``n x n`` input, a 3x3 layer (no padding, stride 1) and a second 3x3 layer on top of it.

    Left: the window of one first-layer unit (blue) and the next position it slides to (dashed). Right: a
    second-layer unit (red) reads a 3x3 block of first-layer units, which together see a 5x5 patch of the input.
    """
    if n < 5:
        raise ValueError(f"n must be at least 5 so that two 3x3 layers fit, got {n}")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    m, k = n - 2, n - 4                                        # sizes of the two feature maps
    left, right = axes
    _grid(left, n, (0, 0))
    _box(left, (0, 0), 1, 1, 3, n, color="tab:blue", alpha=0.35)
    _box(left, (0, 0), 1, 2, 3, n, fill=False, ec="tab:blue", ls="--", lw=1.5)
    _grid(left, m, (n + 2, (n - m) / 2))
    _box(left, (n + 2, (n - m) / 2), 1, 1, 1, m, color="tab:blue", alpha=0.6)
    _box(left, (n + 2, (n - m) / 2), 1, 2, 1, m, fill=False, ec="tab:blue", ls="--", lw=1.5)
    left.annotate("", xy=(n + 2.2 + 1.5, (n - m) / 2 + m - 1.5), xytext=(2.5, n - 2.5),
                  arrowprops=dict(arrowstyle="->", color="tab:blue"))
    left.set_title(f"a 3x3 window slides over the {n}x{n} input:\none unit of the {m}x{m} map per position")
    _grid(right, n, (0, 0))
    _box(right, (0, 0), 1, 1, 5, n, color="tab:red", alpha=0.2)
    _box(right, (0, 0), 2, 2, 3, n, fill=False, ec="tab:blue", lw=1.5)
    _grid(right, m, (n + 1.5, (n - m) / 2))
    _box(right, (n + 1.5, (n - m) / 2), 1, 1, 3, m, color="tab:red", alpha=0.25)
    _box(right, (n + 1.5, (n - m) / 2), 2, 2, 1, m, fill=False, ec="tab:blue", lw=1.5)
    _grid(right, k, (n + m + 3, (n - k) / 2))
    _box(right, (n + m + 3, (n - k) / 2), 1, 1, 1, k, color="tab:red", alpha=0.7)
    right.set_title("stacked: a layer-2 unit (red) reads 3x3 layer-1 units,\nwhich together see 5x5 input pixels")
    for ax, places in ((left, [(n / 2, "input"), (n + 2 + m / 2, "layer 1")]),
                       (right, [(n / 2, "input"), (n + 1.5 + m / 2, "layer 1"), (n + m + 3 + k / 2, "layer 2")])):
        for x, name in places:
            ax.text(x, -0.6, name, ha="center", va="top", fontsize=9)
    for ax in axes:
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig


def draw_im2col(n: int = 4, k: int = 2):
    """A small ``n x n`` image (values 0, 1, ...), its im2col matrix (one column per ``k x k`` window, computed
    with ``torch.nn.functional.unfold``), and the convolution as one row of weights times that matrix."""
    image = torch.arange(float(n * n)).view(1, 1, n, n)
    cols = F.unfold(image, kernel_size=k)[0]                     # (k*k, L)
    L, m = cols.shape[1], n - k + 1
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [n, L + 2]})
    left, right = axes
    highlight = {0: "tab:blue", m + 1: "tab:orange"}          # two windows, and their columns
    for r in range(n):
        for c in range(n):
            left.text(c + 0.5, n - r - 0.5, f"{int(image[0, 0, r, c])}", ha="center", va="center")
    _grid(left, n, (0, 0))
    for w, color in highlight.items():
        r, c = divmod(w, m)
        _box(left, (0, 0), r, c, k, n, color=color, alpha=0.3)
    left.set_title(f"{n}x{n} image, {k}x{k} windows")
    for i in range(k * k):
        for j in range(L):
            right.text(j + 0.5, k * k - i - 0.5, f"{int(cols[i, j])}", ha="center", va="center", fontsize=9)
    for i in range(k * k + 1):
        right.plot([0, L], [i, i], color="0.6", lw=0.6)
    for j in range(L + 1):
        right.plot([j, j], [0, k * k], color="0.6", lw=0.6)
    for w, color in highlight.items():
        right.add_patch(Rectangle((w, 0), 1, k * k, color=color, alpha=0.3))
    right.text(L / 2, -0.6, f"im2col: ({k * k}, {L}), one column per window; a filter is a row of {k * k} weights, "
               f"and  weights @ columns  gives all {L} outputs at once", ha="center", va="top", fontsize=9)
    right.set_title("columns")
    for ax in axes:
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig
