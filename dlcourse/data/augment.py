"""Data augmentation for small images: random shifts (book: Chapter 4, "AlexNet's ingredients").

AlexNet (Krizhevsky et al., 2012) multiplied its training set with random crops and flips; on 8x8 digits the
equivalent is to shift each image by up to ``max_shift`` pixels, filling the uncovered border with zeros
(background). A shifted "3" is still a "3", so the network sees more variety at no labelling cost.
"""
from __future__ import annotations

import torch

__all__ = ["shift_images", "random_shifts", "ShiftAugmented", "shift_collate"]


def shift_images(x: torch.Tensor, dy: torch.Tensor | int, dx: torch.Tensor | int) -> torch.Tensor:
    """Shift each image of ``x`` (N, C, H, W) down by ``dy`` and right by ``dx`` pixels (negative: up/left),
    filling with zeros. ``dy``, ``dx``: ints or (N,) integer tensors. Returns (N, C, H, W)."""
    if x.ndim != 4:
        raise ValueError(f"shift_images expects (N, C, H, W), got shape {tuple(x.shape)}")
    N, C, H, W = x.shape
    dy = torch.as_tensor(dy, device=x.device).expand(N).long()
    dx = torch.as_tensor(dx, device=x.device).expand(N).long()
    rows = torch.arange(H, device=x.device).view(1, H, 1) - dy.view(N, 1, 1)   # source row of each target row
    cols = torch.arange(W, device=x.device).view(1, 1, W) - dx.view(N, 1, 1)
    valid = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)                 # (N, H, W)
    index = rows.clamp(0, H - 1) * W + cols.clamp(0, W - 1)                     # (N, H, W)
    flat = x.reshape(N, C, H * W)
    out = flat.gather(2, index.view(N, 1, H * W).expand(N, C, H * W)).view(N, C, H, W)
    return out * valid.view(N, 1, H, W).to(x.dtype)


def random_shifts(x: torch.Tensor, max_shift: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shift every image by an independent random (dy, dx) in ``[-max_shift, max_shift]``."""
    N = x.shape[0]
    d = torch.randint(-max_shift, max_shift + 1, (2, N), generator=generator)
    return shift_images(x, d[0].to(x.device), d[1].to(x.device))


class ShiftAugmented(torch.utils.data.Dataset):
    """A dataset of ``(X, y)`` that returns a freshly shifted image each time an item is read."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, max_shift: int = 1):
        if len(X) != len(y):
            raise ValueError(f"images and labels differ in length: {len(X)} vs {len(y)}")
        self.X, self.y, self.max_shift = X, y, max_shift

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        return random_shifts(self.X[i:i + 1], self.max_shift)[0], self.y[i]


def shift_collate(max_shift: int = 1):
    """A DataLoader ``collate_fn`` that stacks a batch of ``(image, label)`` pairs and shifts the whole batch at
    once (much faster than shifting image by image)."""

    def collate(batch):
        X = torch.stack([b[0] for b in batch])
        y = torch.stack([torch.as_tensor(b[1]) for b in batch])
        return random_shifts(X, max_shift), y

    return collate
