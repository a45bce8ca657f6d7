"""A lookup table of vectors, mirroring ``torch.nn.Embedding`` (book: Chapter 5, "Word vectors").

Token ``i`` is represented by row ``i`` of a learnable matrix ``weight`` (num_embeddings, embedding_dim). Looking
a row up is the same as multiplying a one-hot vector by ``weight``, without building the one-hot vector; the
gradient of a row is the sum of the upstream gradients of every position that looked it up.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["Embedding"]


class Embedding(nn.Module):
    """``y[..., :] = weight[input[...], :]``: input (*) integer ids -> output (*, embedding_dim).

    Arguments as ``torch.nn.Embedding``. ``padding_idx``'s row starts at zero and gets no gradient. ``max_norm``
    rescales, in place, each looked-up row whose ``norm_type``-norm exceeds it. ``scale_grad_by_freq`` and
    ``sparse`` are kept for torch's signature and must stay False.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: torch.Tensor | None = None, _freeze: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__()
        if scale_grad_by_freq:
            raise ValueError("scale_grad_by_freq=True is not supported by dlcourse.nn.Embedding")
        if sparse:
            raise ValueError("sparse=True is not supported by dlcourse.nn.Embedding (gradients are dense)")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings={num_embeddings}, got {padding_idx}")
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype),
                                       requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"_weight must have shape ({num_embeddings}, {embedding_dim}), "
                                 f"got {tuple(_weight.shape)}")
            self.weight = nn.Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Standard normal rows, as torch; the padding row zero."""
        nn.init.normal_(self.weight)
        if self.padding_idx is not None:
            with torch.no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"Embedding expects integer ids (torch.int64 or torch.int32), got dtype {input.dtype}")
        if input.numel() and (int(input.min()) < 0 or int(input.max()) >= self.num_embeddings):
            bad = int(input.max()) if int(input.max()) >= self.num_embeddings else int(input.min())
            raise IndexError(f"id {bad} is out of range for an Embedding of num_embeddings={self.num_embeddings} "
                             f"(valid: 0..{self.num_embeddings - 1})")
        if self.max_norm is not None:
            with torch.no_grad():
                rows = input.unique()
                norms = torch.linalg.vector_norm(self.weight[rows], self.norm_type, dim=1, keepdim=True)
                scale = torch.where(norms > self.max_norm, self.max_norm / (norms + 1e-7), torch.ones_like(norms))
                self.weight[rows] *= scale
        out = self.weight[input]                                       # (*, embedding_dim)
        if self.padding_idx is not None:                               # no gradient flows into the padding row
            out = torch.where((input == self.padding_idx)[..., None], out.detach(), out)
        return out

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s
