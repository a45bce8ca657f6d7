"""Ivakhnenko's Group Method of Data Handling, GMDH (book: Chapter 2, section ``ch2-gmdh``).

The first deep networks to be trained (Ivakhnenko & Lapa 1965; Ivakhnenko 1971) were built one layer at a time,
with no backpropagation:

1. every **unit** takes a pair of the previous layer's outputs ``(a, b)`` and computes the quadratic
   polynomial (the "Ivakhnenko polynomial")

   .. math:: u = c_0 + c_1 a + c_2 b + c_3 a b + c_4 a^2 + c_5 b^2,

   whose six coefficients are fitted by **least squares** on the training split;
2. the **selection** step scores every candidate unit on a separate validation split and keeps the ``keep``
   best; their outputs are the next layer's inputs;
3. layers are added while the best validation error still improves; the output is the best unit of the
   last layer kept. Each layer doubles the polynomial degree, so depth buys higher-order interactions.

Everything is float64 least squares (``torch.linalg.lstsq``); nothing here uses gradients.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import torch

__all__ = ["quadratic_features", "fit_quadratic_unit", "GMDHLayer", "GMDH", "linear_least_squares"]


def _check_matrix(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor, got {x.dtype}")


def quadratic_features(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The six regressors of an Ivakhnenko unit: ``[1, a, b, a*b, a^2, b^2]``.

    Args:
        a, b: (N,) inputs of one unit.

    Returns:
        (N, 6) design matrix.
    """
    _check_matrix(a, "a")
    _check_matrix(b, "b")
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be (N,) tensors of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return torch.stack([torch.ones_like(a), a, b, a * b, a * a, b * b], dim=1)


def fit_quadratic_unit(a: torch.Tensor, b: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Least-squares coefficients ``c`` (6,) of one GMDH unit: ``argmin_c ||quadratic_features(a, b) c - y||^2``.

    Args:
        a, b, y: (N,) tensors, N >= 6 for a unique solution.

    Returns:
        (6,) coefficients in the order ``[1, a, b, ab, a^2, b^2]``, in ``y``'s dtype.
    """
    F = quadratic_features(a, b)
    _check_matrix(y, "y")
    if y.shape != a.shape:
        raise ValueError(f"y must have shape {tuple(a.shape)}, got {tuple(y.shape)}")
    # lstsq on CPU float64 handles rank deficiency (gelsd) and gives the minimum-norm solution
    sol = torch.linalg.lstsq(F.double().cpu(), y.double().cpu().unsqueeze(1), driver="gelsd").solution
    return sol.squeeze(1).to(device=y.device, dtype=y.dtype)


def linear_least_squares(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The single-layer baseline: ``y ~ X @ weight.T + bias`` by least squares.

    Returns:
        ``weight`` (1, D) and ``bias`` (1,), the layout of ``nn.Linear(D, 1)``.
    """
    _check_matrix(X, "X")
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (N, D) and y (N,), got {tuple(X.shape)} and {tuple(y.shape)}")
    A = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype, device=X.device)], dim=1)
    sol = torch.linalg.lstsq(A.double().cpu(), y.double().cpu().unsqueeze(1), driver="gelsd").solution.squeeze(1)
    sol = sol.to(device=X.device, dtype=X.dtype)
    return sol[:-1].unsqueeze(0), sol[-1:]


@dataclass
class GMDHLayer:
    """One selected layer: ``pairs[k] = (i, j)`` indexes the previous layer's outputs feeding unit ``k``,
    ``coef`` (K, 6) holds the units' coefficients, ``valid_mse`` (K,) their validation errors (best first)."""

    pairs: list[tuple[int, int]]
    coef: torch.Tensor
    valid_mse: torch.Tensor

    def __call__(self, Z: torch.Tensor) -> torch.Tensor:
        """(N, D_prev) -> (N, K) outputs of the kept units."""
        outs = [quadratic_features(Z[:, i], Z[:, j]) @ c.to(Z.dtype) for (i, j), c in zip(self.pairs, self.coef)]
        return torch.stack(outs, dim=1)


@dataclass
class GMDH:
    """A GMDH network grown layer by layer (see the module docstring).

    Args:
        keep: units kept by the selection step in each layer.
        max_layers: upper bound on depth.
        tol: a new layer is kept only if it lowers the best validation MSE by more than ``tol`` (relative).

    Attributes (after :meth:`fit`):
        layers: the kept :class:`GMDHLayer` s.
        layer_valid_mse: best validation MSE of every layer tried (including the one that did not improve).
    """

    keep: int = 6
    max_layers: int = 6
    tol: float = 1e-3
    layers: list[GMDHLayer] = field(default_factory=list)
    layer_valid_mse: list[float] = field(default_factory=list)

    def fit(self, X_train: torch.Tensor, y_train: torch.Tensor, X_valid: torch.Tensor,
            y_valid: torch.Tensor) -> GMDH:
        """Grow layers on ``(X_train, y_train)``, selecting units by their MSE on ``(X_valid, y_valid)``.

        Args:
            X_train: (N, D) with D >= 2; y_train: (N,); X_valid: (M, D); y_valid: (M,).
        """
        for name, X, y in (("train", X_train, y_train), ("valid", X_valid, y_valid)):
            _check_matrix(X, f"X_{name}")
            _check_matrix(y, f"y_{name}")
            if X.ndim != 2 or X.shape[1] < 2 or y.shape != (X.shape[0],):
                raise ValueError(f"X_{name} must be (N, D) with D >= 2 and y_{name} (N,), got "
                                 f"{tuple(X.shape)} and {tuple(y.shape)}")
        if X_train.shape[1] != X_valid.shape[1]:
            raise ValueError("X_train and X_valid must have the same number of columns")
        if not isinstance(self.keep, int) or self.keep < 2:
            raise ValueError(f"keep must be an int >= 2, got {self.keep!r}")
        self.layers, self.layer_valid_mse = [], []
        Zt, Zv = X_train.double(), X_valid.double()
        yt, yv = y_train.double(), y_valid.double()
        best = float("inf")
        for _ in range(self.max_layers):
            candidates = []
            for i, j in itertools.combinations(range(Zt.shape[1]), 2):
                c = fit_quadratic_unit(Zt[:, i], Zt[:, j], yt)
                mse = ((quadratic_features(Zv[:, i], Zv[:, j]) @ c - yv) ** 2).mean().item()
                candidates.append((mse, (i, j), c))
            candidates.sort(key=lambda t: t[0])
            chosen = candidates[: self.keep]
            layer = GMDHLayer(pairs=[p for _, p, _ in chosen], coef=torch.stack([c for _, _, c in chosen]),
                              valid_mse=torch.tensor([m for m, _, _ in chosen], dtype=torch.float64))
            self.layer_valid_mse.append(chosen[0][0])
            if chosen[0][0] >= best * (1 - self.tol):
                break  # no real improvement: stop, and drop this layer
            best = chosen[0][0]
            self.layers.append(layer)
            Zt, Zv = layer(Zt), layer(Zv)
        return self

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (N,) output of the best unit of the last layer, in ``X``'s dtype."""
        if not self.layers:
            raise RuntimeError("call fit() before predict()")
        _check_matrix(X, "X")
        Z = X.double()
        for layer in self.layers:
            Z = layer(Z)
        return Z[:, 0].to(X.dtype)

    @property
    def depth(self) -> int:
        return len(self.layers)
