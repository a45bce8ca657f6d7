"""Greedy layer-wise pre-training, the 2006 way into deep networks
(book: Chapter 3, "Greedy layer-wise pre-training", label ``ch3-pretraining``).

Hinton, Osindero & Teh (2006) trained a deep network one layer at a time without labels (as restricted
Boltzmann machines); Bengio et al. (2007) showed that autoencoders work too. Each layer :math:`h_l =
\\sigma(W_l h_{l-1} + b_l)` is trained to reconstruct its own input through a decoder,

.. math:: \\hat h_{l-1} = \\sigma(W'_l h_l + b'_l), \\qquad \\min \\; \\| \\hat h_{l-1} - h_{l-1} \\|^2,

then frozen while the next layer learns to reconstruct *its* input. The stacked encoders plus a new output layer
initialise a classifier, which backpropagation then fine-tunes on the labelled data.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..device import get_device
from ..training import fit

__all__ = ["pretrain_autoencoders", "stacked_classifier"]


def pretrain_autoencoders(sizes: Sequence[int], X: torch.Tensor, *, epochs: int = 10, lr: float = 1e-2,
                          batch_size: int = 64, generator: torch.Generator | None = None,
                          device: torch.device | str | None = None, progress: bool = False
                          ) -> tuple[list[nn.Linear], list[float]]:
    """Train one sigmoid autoencoder per layer, greedily, on unlabelled rows ``X`` (N, sizes[0]) in [0, 1].

    Args:
        sizes: widths ``(in, h1, h2, ...)``; one encoder per consecutive pair.
        X: unlabelled inputs.
        epochs, lr, batch_size: Adam training of each autoencoder (with :func:`dlcourse.training.fit`).
        generator: shuffles the rows each epoch.
        progress: show a progress bar per layer.

    Returns:
        ``(encoders, reconstruction_errors)``: the trained ``nn.Linear`` encoders (on ``device``) and each layer's
        final mean squared reconstruction error.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least (in, hidden), got {sizes}")
    if X.ndim != 2 or X.shape[1] != sizes[0]:
        raise ValueError(f"X must have shape (N, {sizes[0]}), got {tuple(X.shape)}")
    device = get_device(device) if not isinstance(device, torch.device) else device
    h = X.to(device)
    encoders, errors = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        encoder = nn.Linear(fan_in, fan_out).to(device=device, dtype=X.dtype)
        decoder = nn.Linear(fan_out, fan_in).to(device=device, dtype=X.dtype)
        autoencoder = nn.Sequential(encoder, nn.Sigmoid(), decoder, nn.Sigmoid())
        optimizer = torch.optim.Adam(autoencoder.parameters(), lr=lr)
        # the target is the input itself: (h, h) pairs, no labels
        fit(autoencoder, (h, h), loss_fn=nn.functional.mse_loss, optimizer=optimizer, epochs=epochs,
            batch_size=batch_size, generator=generator, device=device, progress=progress,
            desc=f"layer {len(encoders) + 1}")
        with torch.no_grad():
            errors.append(nn.functional.mse_loss(autoencoder(h), h).item())
            h = torch.sigmoid(encoder(h))          # the next layer's unlabelled input
        encoders.append(encoder)
    return encoders, errors


def stacked_classifier(encoders: Sequence[nn.Linear], n_classes: int) -> nn.Sequential:
    """``Sequential(enc1, Sigmoid, enc2, Sigmoid, ..., Linear(last, n_classes))`` from pre-trained encoders
    (copies, so the encoders can be reused)."""
    if not encoders:
        raise ValueError("need at least one encoder")
    layers: list[nn.Module] = []
    for enc in encoders:
        copy = nn.Linear(enc.in_features, enc.out_features).to(device=enc.weight.device, dtype=enc.weight.dtype)
        copy.load_state_dict(enc.state_dict())
        layers += [copy, nn.Sigmoid()]
    last = encoders[-1]
    layers.append(nn.Linear(last.out_features, n_classes).to(device=last.weight.device, dtype=last.weight.dtype))
    return nn.Sequential(*layers)
