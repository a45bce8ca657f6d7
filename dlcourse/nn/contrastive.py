"""The NT-Xent loss of contrastive learning (book: Chapter 8, "Contrastive self-supervised learning").

SimCLR (Chen et al., 2020) shows a network two random *views* (augmentations) of each of N images and asks it to
tell, among the 2N - 1 other views in the batch, which one comes from the same image. With z_i the projected
views, cosine similarity sim(u, v) = u.v / (|u| |v|) and a temperature tau, the loss of view i whose partner is
j(i) is a softmax cross-entropy over the other views:

    l_i = -log  exp(sim(z_i, z_j(i)) / tau)  /  sum_{k != i} exp(sim(z_i, z_k) / tau),

averaged over all 2N views ("normalised temperature-scaled cross-entropy", NT-Xent). Every other image in the
batch serves as a negative: no labels anywhere. PyTorch has no built-in for it; it is a cross-entropy over a
masked similarity matrix, which is how it is written here.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["nt_xent", "NTXentLoss"]


def nt_xent(input: torch.Tensor, other: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """NT-Xent of two batches of projections: row ``i`` of ``input`` and row ``i`` of ``other`` are the two views
    of image ``i``.

    Args:
        input, other: (N, d) projections (not necessarily normalised; they are normalised here), N >= 2.
        temperature: tau > 0; smaller values sharpen the softmax over similarities.

    Returns:
        The scalar loss, the mean of l_i over the 2N views.
    """
    if input.ndim != 2 or input.shape != other.shape:
        raise ValueError(f"nt_xent expects two (N, d) tensors of the same shape, got {tuple(input.shape)} and "
                         f"{tuple(other.shape)}")
    if input.shape[0] < 2:
        raise ValueError(f"nt_xent needs N >= 2 images (the others are the negatives), got N = {input.shape[0]}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    N = input.shape[0]
    z = F.normalize(torch.cat([input, other]), dim=1)                     # (2N, d), unit rows
    logits = z @ z.T / temperature                                        # (2N, 2N) cosine similarity / tau
    self_mask = torch.eye(2 * N, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))                 # a view is not its own candidate
    partner = torch.cat([torch.arange(N, 2 * N), torch.arange(0, N)]).to(z.device)   # j(i)
    return F.cross_entropy(logits, partner)


class NTXentLoss(nn.Module):
    """Module form of :func:`nt_xent`: ``NTXentLoss(temperature)(z1, z2)``."""

    def __init__(self, temperature: float = 0.5):
        super().__init__()
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def forward(self, input: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        return nt_xent(input, other, self.temperature)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}"
