"""One configurable multilayer perceptron (book: Chapter 1, "Data: the scale figure"; Chapter 3, "Vanishing
gradients"; Chapter 4, "LeNet against an MLP").

``MLP(in_features, hidden_features, out_features)`` is the ``nn.Sequential``

    [Flatten] -> Linear -> act -> Linear -> act -> ... -> Linear

with one ``Linear`` + activation per entry of ``hidden_features``. Being a ``Sequential``, its ``state_dict`` keys
are ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ... (shifted by one with ``flatten=True``), as for a hand-written
``nn.Sequential`` of the same layers.
"""
from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ..nn.activation import ACTIVATIONS, activation_module
from ..nn.init import init_weights

__all__ = ["MLP"]


class MLP(nn.Sequential):
    """A multilayer perceptron: (N, in_features) -> (N, out_features) (or (N, ...) flattened with ``flatten``).

    Args:
        in_features: input width.
        hidden_features: the hidden layers' widths, in order (may be empty: a linear model).
        out_features: output width.
        activation: the hidden layers' activation, a name in :data:`dlcourse.nn.activation.ACTIVATIONS`.
        init: ``"torch"``, ``"xavier"`` or ``"he"`` (:func:`dlcourse.nn.init.init_weights`, normal distribution,
            zero biases), applied after all layers exist.
        flatten: start with ``nn.Flatten()`` (for image batches).
    """

    def __init__(self, in_features: int, hidden_features: Sequence[int], out_features: int, *,
                 activation: str = "relu", init: str = "torch", flatten: bool = False):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        widths = [in_features, *hidden_features, out_features]
        if any(not isinstance(w, int) or isinstance(w, bool) or w < 1 for w in widths):
            raise ValueError(f"layer widths must be positive ints, got in={in_features}, hidden={list(hidden_features)}"
                             f", out={out_features}")
        layers: list[nn.Module] = [nn.Flatten()] if flatten else []
        for fan_in, fan_out in zip(widths[:-2], widths[1:-1]):
            layers += [nn.Linear(fan_in, fan_out), activation_module(activation)]
        layers.append(nn.Linear(widths[-2], widths[-1]))
        super().__init__(*layers)
        self.activation = activation
        init_weights(self, init)
