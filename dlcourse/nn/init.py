"""Initialising a network's weights by scheme (book: Chapter 3, "Vanishing gradients"; Chapter 4, "LeNet";
Chapter 6 derives the schemes and completes this module to ``torch.nn.init``'s API).

- ``"torch"``: leave the layers' own default initialisation (``nn.Linear``'s uniform
  :math:`\\pm 1/\\sqrt{\\text{fan\\_in}}`);
- ``"xavier"`` (Glorot & Bengio 2010): weight variance :math:`\\text{gain}^2 \\cdot 2/(\\text{fan\\_in} +
  \\text{fan\\_out})`;
- ``"he"`` (He et al. 2015): weight variance :math:`2/\\text{fan\\_in}`, for ReLU networks.

With ``"xavier"`` or ``"he"`` every bias is zeroed.
"""
from __future__ import annotations

from torch import nn

__all__ = ["INIT_SCHEMES", "init_weights"]

INIT_SCHEMES = ("torch", "xavier", "he")


def init_weights(module: nn.Module, scheme: str, *, distribution: str = "normal",
                 nonlinearity: str = "linear") -> nn.Module:
    """Re-initialise, in place and in ``module.modules()`` order, every weight with two or more dimensions.

    Args:
        module: the network.
        scheme: one of :data:`INIT_SCHEMES`.
        distribution: ``"normal"`` or ``"uniform"``, with the scheme's variance.
        nonlinearity: for ``"xavier"``, the gain is ``torch.nn.init.calculate_gain(nonlinearity)`` (``"linear"``:
            gain 1; ``"tanh"``: 5/3).

    Returns:
        ``module``, for chaining.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init must be one of {INIT_SCHEMES}, got {scheme!r}")
    if distribution not in ("normal", "uniform"):
        raise ValueError(f"distribution must be 'normal' or 'uniform', got {distribution!r}")
    if scheme == "torch":
        return module
    for m in module.modules():
        weight = getattr(m, "weight", None)
        if isinstance(weight, nn.Parameter) and weight.ndim > 1:
            if scheme == "xavier":
                fn = nn.init.xavier_normal_ if distribution == "normal" else nn.init.xavier_uniform_
                fn(weight, gain=nn.init.calculate_gain(nonlinearity))
            else:
                fn = nn.init.kaiming_normal_ if distribution == "normal" else nn.init.kaiming_uniform_
                fn(weight, nonlinearity="relu")
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    return module
