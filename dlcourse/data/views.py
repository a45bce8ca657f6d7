"""Random views of a digit for contrastive learning (book: Chapter 8, "Contrastive self-supervised learning").

SimCLR's lesson was that the *augmentations* define what the representation learns to ignore: two views of one
image must map close together, so whatever differs between them (position, size, tilt, a missing patch, contrast)
is treated as noise. On 8x8 digits we use a small random affine map (rotation, scaling, translation), a random
erased 3x3 patch and a random contrast change; crops and colour distortion, SimCLR's strongest pair on photos, have
no counterpart on 64 grey pixels.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["random_views"]


def random_views(x: torch.Tensor, generator: torch.Generator | None = None, *, max_degrees: float = 15.0,
                 scale: tuple[float, float] = (0.85, 1.15), max_shift: float = 1.0, erase: float = 0.5,
                 contrast: tuple[float, float] = (0.7, 1.0)) -> torch.Tensor:
    """One random view of every image in ``x`` (N, C, H, W); returns (N, C, H, W).

    Args:
        max_degrees: rotation drawn uniformly in [-max_degrees, max_degrees].
        scale: zoom factor range.
        max_shift: translation in pixels, each axis, uniform in [-max_shift, max_shift].
        erase: probability that a random 3x3 patch is set to 0.
        contrast: the image is multiplied by a factor in this range.
    """
    if x.ndim != 4:
        raise ValueError(f"random_views expects (N, C, H, W), got shape {tuple(x.shape)}")
    N, C, H, W = x.shape

    def uniform(lo, hi, n=N):
        return (lo + (hi - lo) * torch.rand(n, generator=generator)).to(device=x.device, dtype=x.dtype)

    angle = uniform(-max_degrees, max_degrees) * math.pi / 180
    s = uniform(*scale)
    tx, ty = uniform(-max_shift, max_shift) * 2 / W, uniform(-max_shift, max_shift) * 2 / H
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)   # (N, 2, 3)
    grid = F.affine_grid(theta, (N, C, H, W), align_corners=False)
    out = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    if erase > 0:
        keep = torch.ones(N, 1, H, W, device=x.device, dtype=x.dtype)
        rows = torch.randint(0, H - 2, (N,), generator=generator)
        cols = torch.randint(0, W - 2, (N,), generator=generator)
        erased = torch.rand(N, generator=generator) < erase
        for i in torch.nonzero(erased)[:, 0].tolist():
            keep[i, :, rows[i]:rows[i] + 3, cols[i]:cols[i] + 3] = 0
        out = out * keep
    return out * uniform(*contrast).view(N, 1, 1, 1)
