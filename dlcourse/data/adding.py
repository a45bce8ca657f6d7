"""Generated long-range tasks for recurrent networks (book: Chapter 5, "A long-range task").

* :func:`make_recall`: the first symbol of a sequence must be reported at its end, after ``delay`` distractor
  symbols drawn from the same alphabet (a one-symbol version of the copy task with a delay; Hochreiter &
  Schmidhuber 1997, experiment 2). Chance accuracy is ``1 / num_symbols``.
* :func:`make_adding`: the adding problem (Hochreiter & Schmidhuber 1997, experiment 4): two channels, random
  values in [0, 1] and a marker that is 1 at two positions; the target is the sum of the two marked values.
  The first marker falls in the first tenth of the sequence, so it is about ``T`` steps from the end.
"""
from __future__ import annotations

import torch

__all__ = ["make_recall", "make_adding"]


def make_recall(n: int, delay: int, num_symbols: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of ``delay + 1`` one-hot symbols: inputs (n, delay + 1, num_symbols) float32 (batch first)
    and targets (n,) int64, the symbol at step 0."""
    if delay < 0 or num_symbols < 2 or n < 1:
        raise ValueError(f"need n >= 1, delay >= 0 and num_symbols >= 2; got {n}, {delay}, {num_symbols}")
    g = torch.Generator().manual_seed(seed)
    symbols = torch.randint(num_symbols, (n, delay + 1), generator=g)
    return torch.nn.functional.one_hot(symbols, num_symbols).float(), symbols[:, 0].clone()


def make_adding(n: int, T: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` adding-problem sequences of length ``T`` >= 10: inputs (n, T, 2) float32 (values, markers), targets
    (n,) float32 in [0, 2]."""
    if T < 10 or n < 1:
        raise ValueError(f"need n >= 1 and T >= 10, got n={n}, T={T}")
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(n, T, generator=g)
    first = torch.randint(0, T // 10, (n,), generator=g)
    second = torch.randint(T // 2, T, (n,), generator=g)
    markers = torch.zeros(n, T)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=2), values[rows, first] + values[rows, second]
