"""Judging generated digits with a digit classifier (book: Chapter 8, "How good are the samples?").

A generative model has no accuracy to report. Two cheap checks use a classifier trained on the real digits:

- **confidence**: the mean of the classifier's highest softmax probability on the samples. A crisp, well-formed
  digit gets a confident answer; a smudge between two digits does not.
- **coverage**: how many of the ten classes receive at least ``min_share`` of the samples (uniform would be 10%
  each). A generator that has *collapsed* onto a few modes covers few classes, however good each sample looks.

And the **Fréchet distance** between the classifier's hidden features of real and generated images (the idea of
FID, Heusel et al. 2017, with a small digit classifier in place of Inception): fit a Gaussian to each set of
features and measure ``|m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2))``. It is 0 for identical distributions and
grows with both bad samples and missing modes.

Two plain pixel statistics complete the picture: **diversity**, the mean distance between two samples (near 0 when
the generator has collapsed), and the **grey fraction**, the share of pixels that are neither ink nor paper
(between 0.2 and 0.8), which measures blur.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import torch
from torch import nn

__all__ = ["digit_judge", "features", "sample_quality", "frechet_distance", "diversity", "grey_fraction"]


def digit_judge(seed: int = 0, epochs: int = 8) -> nn.Module:
    """A LeNet trained on the digits' training split (Chapter 4's recipe), in eval mode."""
    from ..data.digits import load_digits
    from ..models.lenet import LeNet, train_digits
    from ..seeding import seed_everything

    seed_everything(seed)
    model = LeNet(channels=(8, 16), hidden=32, act="relu", use_torch=True)
    train_digits(model, load_digits(), epochs=epochs, lr=1e-2, batch_size=64, device="cpu")
    return model.eval()


@torch.no_grad()
def features(judge: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The judge's hidden layer (N, hidden) for images (N, 1, 8, 8)."""
    _, h2 = judge.features(images)
    return judge.act(judge.fc1(judge.pool(h2).flatten(1)))


@torch.no_grad()
def sample_quality(judge: nn.Module, images: torch.Tensor, min_share: float = 0.02) -> dict:
    """``{"confidence", "coverage", "histogram"}`` of the judge's predictions on ``images`` (N, 1, 8, 8)."""
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 8, 8):
        raise ValueError(f"expected images (N, 1, 8, 8), got {tuple(images.shape)}")
    p = torch.softmax(judge(images.float().cpu()), dim=1)
    histogram = torch.bincount(p.argmax(1), minlength=10).float() / len(images)
    return {"confidence": p.max(1).values.mean().item(), "coverage": int((histogram >= min_share).sum()),
            "histogram": histogram.tolist()}


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to feature sets ``a`` (N, d) and ``b`` (M, d)."""
    a, b = a.double().cpu().numpy(), b.double().cpu().numpy()
    m1, m2 = a.mean(0), b.mean(0)
    eps = 1e-6 * np.eye(a.shape[1])          # keeps the square root defined when a set has no spread (collapse)
    c1, c2 = np.cov(a, rowvar=False) + eps, np.cov(b, rowvar=False) + eps
    root = scipy.linalg.sqrtm(c1 @ c2)
    root = root.real if np.iscomplexobj(root) else root
    return float(((m1 - m2) ** 2).sum() + np.trace(c1 + c2 - 2 * root))


def diversity(images: torch.Tensor) -> float:
    """Mean pixel distance between pairs of images (N, ...): near 0 when every sample is the same."""
    flat = images.reshape(len(images), -1).float()
    return torch.pdist(flat).mean().item()


def grey_fraction(images: torch.Tensor, low: float = 0.2, high: float = 0.8) -> float:
    """Share of pixels strictly between ``low`` and ``high``: blurry images have many grey pixels."""
    return ((images > low) & (images < high)).float().mean().item()
