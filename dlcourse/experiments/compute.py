"""Compute over the years: how many operations it took to train milestone networks (book: Chapter 1,
label ``ch1-compute``).

Training compute is estimated the usual way (Amodei and Hernandez 2018): a forward pass costs 2 operations per
multiply-add, the backward pass about twice the forward, so training costs about ``6 x multiply-adds per example x
examples seen``. The inputs come from each paper: its count of connections (LeNet 1989 and LeNet-5 1998 give them)
or its architecture (AlexNet, counted from :data:`dlcourse.diagrams.ALEXNET`), and how many passes over how many
examples it trained. Two later milestones report their training compute directly (the Transformer, GPT-3).
:func:`training_flop` also measures this course's own LeNet with hooks, so the book's laptop run sits on the same
axis.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from torch import nn

from ..diagrams.architectures import ALEXNET, macs

__all__ = ["TrainingRun", "MILESTONE_RUNS", "training_flop", "count_macs", "plot_compute"]


def training_flop(macs_per_example: float, examples: float, passes: float) -> float:
    """``6 x macs_per_example x examples x passes``: 2 operations per multiply-add, backward = 2 x forward."""
    if min(macs_per_example, examples, passes) <= 0:
        raise ValueError("multiply-adds, examples and passes must all be positive")
    return 6.0 * macs_per_example * examples * passes


@dataclass(frozen=True)
class TrainingRun:
    """A milestone's training compute in floating-point operations, and how it was obtained."""

    name: str
    year: int
    flop: float
    how: str
    cite: str


MILESTONE_RUNS = [
    TrainingRun("LeNet (zip codes)", 1989, training_flop(64_660, 7_291, 23),
                "64,660 connections; 23 passes over 7,291 digits", "lecun1989backpropagation"),
    TrainingRun("LeNet-5", 1998, training_flop(340_908, 60_000, 20),
                "340,908 connections; 20 passes over 60,000 digits", "lecun1998gradient"),
    TrainingRun("AlexNet", 2012, training_flop(macs(ALEXNET), 1_200_000, 90),
                "724 million multiply-adds per image (from its layers); about 90 passes over 1.2 million images",
                "krizhevsky2012imagenet"),
    TrainingRun("Transformer (big)", 2017, 2.3e19, "reported: 2.3e19 FLOPs (Table 2)", "vaswani2017attention"),
    TrainingRun("GPT-3 175B", 2020, 3.14e23, "reported: 3.14e23 FLOPs (Table D.1)", "brown2020language"),
]


def count_macs(model: nn.Module, example: torch.Tensor) -> int:
    """Multiply-adds of one forward pass of ``model`` on ``example`` (batch of 1), counted with forward hooks on
    every ``nn.Conv2d`` and ``nn.Linear`` from the shapes they actually see."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            total += output[0].numel() * module.weight[0].numel()
        else:
            total += output[0].numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(example[:1])
    finally:
        for h in handles:
            h.remove()
    return total


def plot_compute(runs: list[TrainingRun] | None = None, extra: TrainingRun | None = None, ax=None):
    """Training compute against year on a log scale; ``extra`` (e.g. this book's run) is drawn apart."""
    runs = runs or MILESTONE_RUNS
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy([r.year for r in runs], [r.flop for r in runs], "o-", color="tab:blue")
    for r in runs:
        ax.annotate(f"{r.name}\n{r.flop:.1e}", (r.year, r.flop), textcoords="offset points", xytext=(6, -12),
                    fontsize=8)
    if extra is not None:
        ax.semilogy([extra.year], [extra.flop], "s", color="tab:orange")
        ax.annotate(extra.name, (extra.year, extra.flop), textcoords="offset points", xytext=(-10, 8), fontsize=8,
                    ha="right", color="tab:orange")
    ax.set(xlabel="year", ylabel="training compute (floating-point operations)",
           title="Training compute of milestone networks")
    ax.grid(alpha=0.3, which="major")
    return ax
