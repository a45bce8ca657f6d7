"""The synthetic task of the scale experiment (book: Chapter 1, "Data: the scale figure").

Inputs are standard Gaussian vectors :math:`x \\in \\mathbb{R}^{d}` (``d = 20`` by default). The label depends on
only three hidden directions. Two orthonormal directions :math:`u_1, u_2` span a hidden plane, and the
coordinates :math:`z = (u_1^\\top x, u_2^\\top x)` carry an *interference pattern* of ``n_waves`` plane waves
with random unit directions :math:`a_k \\in \\mathbb{R}^2` and phases :math:`\\varphi_k`; a third direction
:math:`u_3` carries a weak linear trend:

.. math::

    s(x) = \\frac{1}{\\sqrt{K}} \\sum_{k=1}^{K} \\cos(\\omega\\, a_k^\\top z + \\varphi_k) + \\beta\\, u_3^\\top x,
    \\qquad y = [\\, s(x) > \\operatorname{median}(s) \\,].

The threshold is the median of ``s`` over a large reference sample drawn from the same pattern, so the classes
are balanced (about 50/50) and every sample of the same pattern shares one threshold. The pattern makes many
small interleaved regions: a linear model can only use the trend; an RBF kernel weighs all ``d`` features alike
and so sees mostly noise; a neural network can find the plane and learn the pattern, given enough data.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import torch

__all__ = ["InterferenceTask", "make_interference_task"]

_REFERENCE_SIZE = 200_000


class InterferenceTask(NamedTuple):
    """A sample of the interference task.

    Attributes:
        X: (n_samples, dim) float tensor of Gaussian inputs.
        y: (n_samples,) int64 tensor of labels in {0, 1}.
        plane: (dim, 2) orthonormal basis of the hidden plane (u1, u2 as columns).
        trend: (dim,) unit direction of the linear trend, orthogonal to the plane.
    """

    X: torch.Tensor
    y: torch.Tensor
    plane: torch.Tensor
    trend: torch.Tensor


def _score(X: np.ndarray, basis: np.ndarray, waves: np.ndarray, phases: np.ndarray, omega: float,
           beta: float) -> np.ndarray:
    z = X @ basis[:, :2]                                  # (N, 2) coordinates in the hidden plane
    t = X @ basis[:, 2]                                   # (N,)   coordinate along the trend
    pattern = np.cos(omega * z @ waves.T + phases).sum(axis=1) / np.sqrt(len(phases))  # (N,)
    return pattern + beta * t


@functools.lru_cache(maxsize=16)
def _pattern(pattern_seed: int, dim: int, n_waves: int, omega: float, beta: float):
    """The hidden pattern and its median threshold (cached: the same pattern serves every sample of a task)."""
    pattern_rng = np.random.default_rng([pattern_seed, 1943])
    basis, _ = np.linalg.qr(pattern_rng.standard_normal((dim, 3)))         # (dim, 3) orthonormal columns
    angles = pattern_rng.uniform(0.0, np.pi, size=n_waves)
    waves = np.stack([np.cos(angles), np.sin(angles)], axis=1)              # (K, 2) unit directions
    phases = pattern_rng.uniform(0.0, 2 * np.pi, size=n_waves)              # (K,)
    reference = pattern_rng.standard_normal((_REFERENCE_SIZE, dim))
    threshold = float(np.median(_score(reference, basis, waves, phases, omega, beta)))
    for a in (basis, waves, phases):
        a.setflags(write=False)
    return basis, waves, phases, threshold


def make_interference_task(n_samples: int, dim: int = 20, n_waves: int = 3, omega: float = 3.0,
                           beta: float = 0.8, seed: int = 0, pattern_seed: int = 0,
                           dtype: torch.dtype = torch.float32) -> InterferenceTask:
    """Draw ``n_samples`` examples of the interference task.

    Args:
        n_samples: number of examples, >= 1.
        dim: input dimension ``d``, >= 3 (two plane directions and one trend direction).
        n_waves: number of plane waves ``K`` in the pattern, >= 1.
        omega: spatial frequency of the waves (larger: smaller regions, a harder task), > 0.
        beta: strength of the linear trend, >= 0.
        seed: seed of the inputs (the same seed gives the same ``X`` and ``y``).
        pattern_seed: seed of the hidden pattern (plane, trend, wave directions and phases); keep it fixed
            to draw training and test sets of the same task.
        dtype: floating dtype of ``X``.

    Returns:
        :class:`InterferenceTask` ``(X, y, plane, trend)`` with ``X`` (n_samples, dim), ``y`` (n_samples,).

    Raises:
        ValueError: an argument is out of range.
        TypeError: ``dtype`` is not a floating dtype.
    """
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if not isinstance(dim, (int, np.integer)) or dim < 3:
        raise ValueError(f"dim must be an int >= 3 (plane + trend directions), got {dim!r}")
    if not isinstance(n_waves, (int, np.integer)) or n_waves < 1:
        raise ValueError(f"n_waves must be a positive int, got {n_waves!r}")
    if not omega > 0:
        raise ValueError(f"omega must be > 0, got {omega!r}")
    if not beta >= 0:
        raise ValueError(f"beta must be >= 0, got {beta!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype, got {dtype!r}")

    basis, waves, phases, threshold = _pattern(int(pattern_seed), int(dim), int(n_waves), float(omega), float(beta))

    rng = np.random.default_rng([seed, 2012])
    X = rng.standard_normal((int(n_samples), dim))
    y = (_score(X, basis, waves, phases, omega, beta) > threshold).astype(np.int64)
    return InterferenceTask(torch.from_numpy(X).to(dtype), torch.from_numpy(y),
                            torch.tensor(basis[:, :2], dtype=dtype), torch.tensor(basis[:, 2], dtype=dtype))
