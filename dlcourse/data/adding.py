"""Generated long-range tasks for recurrent networks (book: Chapter 5, "A long-range task").

* :func:`make_recall`: remember one symbol over a delay. Step 0 shows one of ``num_symbols`` symbols (one-hot),
  then ``delay`` blank steps follow, and the last step carries an "answer now" flag; the target is the first
  symbol (a one-symbol version of the copy task with a delay; Hochreiter & Schmidhuber 1997, experiment 2).
  Chance accuracy is ``1 / num_symbols``.
* :func:`make_adding`: the adding problem (Hochreiter & Schmidhuber 1997, experiment 4): two channels, random
  values in [0, 1] and a marker that is 1 at two positions; the target is the sum of the two marked values.
  The first marker falls in the first tenth of the sequence, so it is about ``T`` steps from the end.
"""
from __future__ import annotations

import torch

__all__ = ["make_recall", "make_adding"]


def make_recall(n: int, delay: int, num_symbols: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of ``delay + 1`` steps: inputs (n, delay + 1, num_symbols + 1) float32 (batch first; the
    last channel is the "answer now" flag, set at the last step) and targets (n,) int64, the symbol at step 0."""
    if delay < 1 or num_symbols < 2 or n < 1:
        raise ValueError(f"need n >= 1, delay >= 1 and num_symbols >= 2; got {n}, {delay}, {num_symbols}")
    g = torch.Generator().manual_seed(seed)
    symbols = torch.randint(num_symbols, (n,), generator=g)
    x = torch.zeros(n, delay + 1, num_symbols + 1)
    x[torch.arange(n), 0, symbols] = 1.0
    x[:, -1, num_symbols] = 1.0
    return x, symbols


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
