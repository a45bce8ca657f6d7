"""A computational graph with its forward values and backward adjoints (book: Chapter 3, label ``ch3-scalar``).

:func:`draw_graph` lays out the :class:`~dlcourse.autograd.Value` graph behind a result, inputs on the left and the
result on the right, one column per step of the longest path. Each box shows the node's name or operator, its value
(forward pass, black arrows) and its gradient (backward pass, red arrows running the other way).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..autograd import Value

__all__ = ["graph_layout", "draw_graph"]


def graph_layout(root: Value) -> dict[int, tuple[float, float]]:
    """``{id(node): (x, y)}``: ``x`` is the node's depth (0 for inputs), ``y`` spreads each column over [0, 1]."""
    order = root.topological_order()  # every input before the nodes that use it
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=-1)
    columns: dict[int, list[Value]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    pos = {}
    for x, nodes in columns.items():
        for k, node in enumerate(nodes):
            pos[id(node)] = (float(x), 0.5 if len(nodes) == 1 else 1.0 - k / (len(nodes) - 1))
    return pos


def _name(node: Value) -> str:
    if node.label:
        return node.label
    if not node._prev:
        return "const" if not node.requires_grad else "input"
    return node._op


def draw_graph(root: Value, ax=None, title: str | None = None):
    """Draw the graph of ``root`` after ``root.backward()`` (gradients shown as they are). Returns the axes."""
    pos = graph_layout(root)
    order = root.topological_order()
    width = max(x for x, _ in pos.values()) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * width + 1, 4.2))
    for node in order:
        x1, y1 = pos[id(node)]
        for child in node._prev:
            x0, y0 = pos[id(child)]
            ax.add_patch(FancyArrowPatch((x0 + 0.33, y0 + 0.02), (x1 - 0.33, y1 + 0.02), arrowstyle="-|>",
                                         mutation_scale=10, color="black", lw=0.9))
            if child.requires_grad:
                ax.add_patch(FancyArrowPatch((x1 - 0.33, y1 - 0.05), (x0 + 0.33, y0 - 0.05), arrowstyle="-|>",
                                             mutation_scale=10, color="tab:red", lw=0.8, ls="--"))
    for node in order:
        x, y = pos[id(node)]
        face = "#f2f2f2" if not node.requires_grad else ("#dbe9f6" if not node._prev else "white")
        ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.085), 0.64, 0.17, boxstyle="round,pad=0.01", fc=face,
                                    ec="black", lw=0.8))
        ax.text(x, y + 0.045, _name(node), ha="center", va="center", fontsize=9, weight="bold")
        ax.text(x, y - 0.005, f"value {node.data:.3g}", ha="center", va="center", fontsize=8)
        if node.requires_grad:
            ax.text(x, y - 0.052, f"grad {node.grad:.3g}", ha="center", va="center", fontsize=8, color="tab:red")
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(-0.2, 1.2)
    ax.axis("off")
    ax.text(-0.45, 1.15, "forward: values, left to right", fontsize=8)
    ax.text(width - 0.55, 1.15, "backward: gradients, right to left", fontsize=8, color="tab:red", ha="right")
    if title:
        ax.set_title(title)
    return ax
