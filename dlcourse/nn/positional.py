"""Positional encodings: how a Transformer learns the order of its inputs (book: Chapter 7, "Positional encoding").

Attention is blind to order: permute the keys and values together and the output does not change. So the
position of every token is added to its embedding. Two ways (neither is a torch module; ours, batch first):

* fixed sinusoids (Vaswani et al. 2017): for position ``pos`` and feature pair ``i``,

  .. math::

      PE[pos, 2i] = \\sin(pos / 10000^{2i/d}), \\qquad PE[pos, 2i+1] = \\cos(pos / 10000^{2i/d});

  each pair is a clock with its own period, from ``2 pi`` to ``10000 * 2 pi`` steps, and ``PE[pos + k]`` is a
  rotation of ``PE[pos]`` that depends only on ``k``;
* a learned table, one vector per position (BERT, GPT), :class:`LearnedPositionalEmbedding`.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["sinusoidal_positional_encoding", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding"]


def sinusoidal_positional_encoding(length: int, d_model: int, base: float = 10000.0, *,
                                   device: torch.device | str | None = None,
                                   dtype: torch.dtype | None = None) -> torch.Tensor:
    """The (length, d_model) table of sines (even features) and cosines (odd features) above.

    ``d_model`` must be even, so every sine has its cosine.
    """
    if length < 0 or d_model <= 0 or d_model % 2:
        raise ValueError(f"need length >= 0 and an even d_model > 0, got length={length}, d_model={d_model}")
    dtype = dtype or torch.get_default_dtype()
    pos = torch.arange(length, device=device, dtype=dtype).unsqueeze(1)                   # (L, 1)
    freq = base ** (-torch.arange(0, d_model, 2, device=device, dtype=dtype) / d_model)   # (d/2,) = 1/10000^(2i/d)
    table = torch.empty(length, d_model, device=device, dtype=dtype)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)
    return table


class SinusoidalPositionalEncoding(nn.Module):
    """Add the fixed sinusoid table to a batch of embeddings (N, L, d_model), then dropout.

    The table is a non-persistent buffer (not in the state dict: it is computed, not learned).
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0, base: float = 10000.0, *,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model, base, device=device,
                                                                  dtype=dtype), persistent=False)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        """x: (N, L, d_model); ``start``: position of the first token (a KV-cached decoder continues a sequence)."""
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"expected (N, L, {self.d_model}), got {tuple(x.shape)}")
        if start + x.shape[1] > self.max_len:
            raise ValueError(f"positions up to {start + x.shape[1]} exceed max_len={self.max_len}")
        return self.dropout(x + self.pe[start:start + x.shape[1]].to(x.dtype))


class LearnedPositionalEmbedding(nn.Module):
    """A learned vector per position, ``weight`` (max_len, d_model), added to the embeddings (N, L, d_model)."""

    def __init__(self, max_len: int, d_model: int, *, device=None, dtype=None) -> None:
        super().__init__()
        self.max_len, self.d_model = max_len, d_model
        self.weight = nn.Parameter(torch.empty(max_len, d_model, device=device, dtype=dtype))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"expected (N, L, {self.d_model}), got {tuple(x.shape)}")
        if start + x.shape[1] > self.max_len:
            raise ValueError(f"positions up to {start + x.shape[1]} exceed max_len={self.max_len}")
        return x + self.weight[start:start + x.shape[1]]
