"""Architecture diagrams: LeNet-5, AlexNet and the neocognitron (book: Chapter 4, ``ch4-lenet``,
``ch4-alexnet``, ``ch4-neocognitron``).

The layer tables are data, checked by arithmetic: every convolution's and pooling's output size follows from its
input size, kernel, stride and padding (:func:`output_size`), and must equal the size the paper states. The one
famous mismatch is AlexNet's input: the paper says 224x224, but 11x11 filters at stride 4 only give the stated
55x55 maps from 227x227 pixels, which is what the table uses. :func:`macs` counts a network's multiply-adds per
image from the same table (used by :mod:`dlcourse.experiments.compute`).
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import Polygon, Rectangle

__all__ = ["Layer", "LENET5", "ALEXNET", "output_size", "check_table", "macs", "parameters", "draw_architecture",
           "draw_neocognitron"]


@dataclass(frozen=True)
class Layer:
    """One stage of a network: ``kind`` is ``"input"``, ``"conv"``, ``"pool"`` or ``"fc"``; ``channels`` its
    maps (or units for ``"fc"``); ``size`` the stated side of its square maps (1 for ``"fc"``)."""

    name: str
    kind: str
    channels: int
    size: int
    kernel: int = 0
    stride: int = 1
    padding: int = 0
    groups: int = 1


#: LeNet-5 (LeCun et al. 1998, Fig. 2): C3's partial connection table and the RBF output are not modelled here.
LENET5 = [
    Layer("input", "input", 1, 32),
    Layer("C1", "conv", 6, 28, kernel=5),
    Layer("S2", "pool", 6, 14, kernel=2, stride=2),
    Layer("C3", "conv", 16, 10, kernel=5),
    Layer("S4", "pool", 16, 5, kernel=2, stride=2),
    Layer("C5", "conv", 120, 1, kernel=5),
    Layer("F6", "fc", 84, 1),
    Layer("output", "fc", 10, 1),
]

#: AlexNet (Krizhevsky et al. 2012, Fig. 2 and Section 3.5); conv2, conv4 and conv5 are split over two GPUs
#: (``groups=2``); response normalisation is left out.
ALEXNET = [
    Layer("input", "input", 3, 227),
    Layer("conv1", "conv", 96, 55, kernel=11, stride=4),
    Layer("pool1", "pool", 96, 27, kernel=3, stride=2),
    Layer("conv2", "conv", 256, 27, kernel=5, padding=2, groups=2),
    Layer("pool2", "pool", 256, 13, kernel=3, stride=2),
    Layer("conv3", "conv", 384, 13, kernel=3, padding=1),
    Layer("conv4", "conv", 384, 13, kernel=3, padding=1, groups=2),
    Layer("conv5", "conv", 256, 13, kernel=3, padding=1, groups=2),
    Layer("pool5", "pool", 256, 6, kernel=3, stride=2),
    Layer("fc6", "fc", 4096, 1),
    Layer("fc7", "fc", 4096, 1),
    Layer("fc8", "fc", 1000, 1),
]


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Side of a convolution's or pooling's output: ``floor((size + 2 padding - kernel) / stride) + 1``."""
    if kernel > size + 2 * padding:
        raise ValueError(f"a {kernel}x{kernel} kernel does not fit a {size}x{size} input with padding {padding}")
    return (size + 2 * padding - kernel) // stride + 1


def check_table(layers: list[Layer]) -> None:
    """Raise ``ValueError`` naming the first layer whose stated size does not follow from the previous one."""
    for prev, layer in zip(layers, layers[1:]):
        if layer.kind in ("conv", "pool"):
            got = output_size(prev.size, layer.kernel, layer.stride, layer.padding)
            if got != layer.size:
                raise ValueError(f"{layer.name}: a {layer.kernel}x{layer.kernel} {layer.kind} at stride "
                                 f"{layer.stride}, padding {layer.padding} on {prev.size}x{prev.size} gives "
                                 f"{got}x{got}, but the table says {layer.size}x{layer.size}")
        if layer.kind == "pool" and layer.channels != prev.channels:
            raise ValueError(f"{layer.name}: pooling keeps {prev.channels} channels, the table says {layer.channels}")


def macs(layers: list[Layer]) -> int:
    """Multiply-adds of one forward pass (convolutions and fully-connected layers; pooling is not counted)."""
    check_table(layers)
    total = 0
    for prev, layer in zip(layers, layers[1:]):
        if layer.kind == "conv":
            total += layer.channels * layer.size ** 2 * (prev.channels // layer.groups) * layer.kernel ** 2
        elif layer.kind == "fc":
            total += prev.channels * prev.size ** 2 * layer.channels
    return total


def parameters(layers: list[Layer]) -> int:
    """Weights and biases of the convolutions and fully-connected layers (every input map connected, within its
    group)."""
    check_table(layers)
    total = 0
    for prev, layer in zip(layers, layers[1:]):
        if layer.kind == "conv":
            total += layer.channels * (prev.channels // layer.groups * layer.kernel ** 2 + 1)
        elif layer.kind == "fc":
            total += layer.channels * (prev.channels * prev.size ** 2 + 1)
    return total


def _label(layer: Layer) -> str:
    if layer.kind == "fc":
        return f"{layer.name}\n{layer.channels}"
    shape = f"{layer.channels}@{layer.size}x{layer.size}"
    if layer.kind == "input":
        return f"{layer.name}\n{shape}"
    how = f"{layer.kernel}x{layer.kernel}" + (f"/{layer.stride}" if layer.stride > 1 else "")
    return f"{layer.name}\n{shape}\n{layer.kind} {how}"


def draw_architecture(layers: list[Layer], ax=None, title: str | None = None):
    """Draw a network as a row of blocks: a map stack as a slanted box (height ~ map side, depth ~ channels),
    a fully-connected layer as a thin bar. Sizes are on a compressed (square-root) scale. Returns the axes."""
    check_table(layers)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.25 * len(layers) + 1, 3.6))
    biggest = max(layer.size for layer in layers)
    colors = {"input": "#eeeeee", "conv": "#9ecae1", "pool": "#fdd0a2", "fc": "#c7e9c0"}
    x = 0.0
    for layer in layers:
        if layer.kind == "fc":
            h, d = 0.25 + 0.75 * (layer.channels / 4096) ** 0.5, 0.0
            ax.add_patch(Rectangle((x, -h / 2), 0.18, h, fc=colors["fc"], ec="k", lw=0.7))
            w = 0.18
        else:
            h = 0.2 + 0.8 * (layer.size / biggest) ** 0.5
            d = 0.05 + 0.35 * min(1.0, (layer.channels / 256) ** 0.5)
            w = 0.12 + 0.5 * d
            front = Rectangle((x, -h / 2), w, h, fc=colors[layer.kind], ec="k", lw=0.7)
            top = Polygon([(x, h / 2), (x + d, h / 2 + d / 2), (x + w + d, h / 2 + d / 2), (x + w, h / 2)],
                          closed=True, fc=colors[layer.kind], ec="k", lw=0.7, alpha=0.7)
            side = Polygon([(x + w, -h / 2), (x + w + d, -h / 2 + d / 2), (x + w + d, h / 2 + d / 2),
                            (x + w, h / 2)], closed=True, fc=colors[layer.kind], ec="k", lw=0.7, alpha=0.5)
            for patch in (front, top, side):
                ax.add_patch(patch)
        ax.text(x + w / 2, -0.75, _label(layer), ha="center", va="top", fontsize=7.5)
        x += w + d + 0.45
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-1.35, 0.9)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def draw_neocognitron(ax=None, stages: int = 3):
    """Schematic of Fukushima's neocognitron: an input layer, then ``stages`` pairs of S-cell planes (feature
    detectors with learned weights) and C-cell planes (each pools nearby S-cells of one plane, so a feature may
    shift a little). Plane sizes shrink and receptive fields grow from stage to stage; the sizes are illustrative,
    not the paper's. Returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 3.8))
    x = 0.0
    side = 1.6
    ax.add_patch(Rectangle((x, -side / 2), side, side, fc="#eeeeee", ec="k"))
    ax.text(x + side / 2, -side / 2 - 0.25, "$U_0$\ninput", ha="center", va="top", fontsize=9)
    prev = (x + side / 2, 0.0)
    x += side + 0.6
    for s in range(1, stages + 1):
        for kind in ("S", "C"):
            side = side * (0.85 if kind == "S" else 0.7)
            n_planes = 3 + s
            color = "#9ecae1" if kind == "S" else "#fdd0a2"
            for k in range(n_planes):
                off = 0.12 * k
                ax.add_patch(Rectangle((x + off, -side / 2 + off), side, side, fc=color, ec="k", lw=0.6))
            center = (x + 0.12 * (n_planes - 1) + side / 2, 0.12 * (n_planes - 1))
            ax.annotate("", xy=(x, center[1]), xytext=prev, arrowprops=dict(arrowstyle="->", color="0.3"))
            what = "S-cells: detect\na feature (learned)" if kind == "S" else "C-cells: pool nearby\nS-cells (fixed)"
            ax.text(x + side / 2 + 0.2, -side / 2 - 0.25, f"$U_{{{kind}{s}}}$\n{what}", ha="center", va="top",
                    fontsize=8)
            prev = center
            x += side + 0.12 * n_planes + 0.55
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-2.3, 1.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
