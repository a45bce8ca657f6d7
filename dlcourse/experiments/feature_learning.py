"""From feature engineering to feature learning (book: Chapter 4, label ``ch4-feature-learning``).

Before 2012 an image classifier was a pipeline: features designed by hand (edges, their orientations pooled over
cells: SIFT, Lowe 2004; HOG, Dalal and Triggs 2005), then a linear classifier trained on them. A ConvNet learns the
features too. :func:`hog_features` is a small HOG for the 8x8 digits: image gradients (central differences),
their orientations binned into ``bins`` unsigned directions weighted by magnitude, summed over ``cell x cell``
blocks and normalised per image. :func:`hog_classifier` trains scikit-learn's logistic regression on those
features.

:data:`ILSVRC_TOP5` holds the winners' top-5 error on the ImageNet challenge (Russakovsky et al. 2015, and each
winner's paper), the numbers behind "the year feature learning took over".
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["hog_features", "hog_classifier", "IlsvrcWinner", "ILSVRC_TOP5"]


def hog_features(images: torch.Tensor, bins: int = 8, cell: int = 2) -> torch.Tensor:
    """Histogram-of-oriented-gradients features.

    Args:
        images: (N, 1, H, W) or (N, H, W) grey images, H and W multiples of ``cell``.
        bins: orientation bins over [0, pi) (unsigned gradients, as in HOG).
        cell: side of the square cells the histograms are summed over.

    Returns:
        (N, (H / cell) * (W / cell) * bins) features, each image's vector scaled to unit length.
    """
    if images.ndim == 4:
        if images.shape[1] != 1:
            raise ValueError(f"hog_features expects one channel, got shape {tuple(images.shape)}")
        images = images[:, 0]
    if images.ndim != 3 or images.shape[1] % cell or images.shape[2] % cell:
        raise ValueError(f"expected (N, H, W) with H and W multiples of cell={cell}, got {tuple(images.shape)}")
    x = F.pad(images.double()[:, None], (1, 1, 1, 1), mode="replicate")[:, 0]
    gx = (x[:, 1:-1, 2:] - x[:, 1:-1, :-2]) / 2
    gy = (x[:, 2:, 1:-1] - x[:, :-2, 1:-1]) / 2
    magnitude = torch.sqrt(gx ** 2 + gy ** 2)
    angle = torch.atan2(gy, gx) % math.pi                                   # unsigned orientation in [0, pi)
    which = (angle / math.pi * bins).long().clamp(max=bins - 1)             # (N, H, W) bin index
    onehot = F.one_hot(which, bins).double() * magnitude[..., None]          # (N, H, W, bins)
    n, h, w, _ = onehot.shape
    cells = onehot.reshape(n, h // cell, cell, w // cell, cell, bins).sum(dim=(2, 4))
    flat = cells.reshape(n, -1)
    return (flat / flat.norm(dim=1, keepdim=True).clamp_min(1e-12)).to(images.dtype)


def hog_classifier(X_train: torch.Tensor, y_train: torch.Tensor, bins: int = 8, cell: int = 2,
                   C: float = 10.0) -> Callable[[torch.Tensor, torch.Tensor], float]:
    """Fit scikit-learn's logistic regression on :func:`hog_features` of ``X_train`` (N, 1, H, W).

    Returns ``score(X, y)``, the accuracy of the fitted pipeline on images ``X`` with labels ``y``.
    """
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit(hog_features(X_train, bins, cell).numpy(), y_train.numpy())

    def score(X: torch.Tensor, y: torch.Tensor) -> float:
        return float(clf.score(hog_features(X, bins, cell).numpy(), y.numpy()))

    return score


@dataclass(frozen=True)
class IlsvrcWinner:
    """One year of the ImageNet classification challenge: the winning team, its top-5 error (%) and method."""

    year: int
    team: str
    top5_error: float
    method: str
    learned_features: bool
    cite: str


#: Winners of ILSVRC classification, top-5 error on the test set in percent (Russakovsky et al. 2015, Table 7/
#: Fig. 9; each paper's own report). 2012: 16.4 with ImageNet-2012 data only, 15.3 with extra ImageNet-2011 data.
ILSVRC_TOP5 = [
    IlsvrcWinner(2010, "NEC-UIUC", 28.2, "SIFT/LBP features, coding + linear SVM", False, "russakovsky2015imagenet"),
    IlsvrcWinner(2011, "XRCE", 25.8, "Fisher vectors on SIFT/colour + linear SVM", False, "russakovsky2015imagenet"),
    IlsvrcWinner(2012, "SuperVision (AlexNet)", 16.4, "ConvNet, 5 conv + 3 fc layers", True, "krizhevsky2012imagenet"),
    IlsvrcWinner(2013, "Clarifai", 11.7, "ConvNet (Zeiler and Fergus)", True, "zeiler2014visualizing"),
    IlsvrcWinner(2014, "GoogLeNet", 6.7, "ConvNet, 22 layers (Inception)", True, "szegedy2015going"),
    IlsvrcWinner(2015, "MSRA (ResNet)", 3.57, "ConvNet, 152 layers, residual", True, "he2016deep"),
]
