"""Threshold units and the first learning rules (book: Chapter 2, "The perceptron and the AI winter").

Three units, in historical order:

* **McCulloch-Pitts unit** (1943): fixed weights and a threshold, binary inputs and output,

  .. math:: y = [\\textstyle\\sum_i w_i x_i \\ge \\theta] \\in \\{0, 1\\}.

  Nothing is learned; the weights are chosen by hand (AND, OR, NOT gates below).

* **Rosenblatt's perceptron** (1958): the same threshold unit with learned weight ``w`` and bias ``b``. Labels are
  ``y in {-1, +1}`` and the decision is ``sign(w . x + b)`` (a score of exactly 0 counts as ``+1``). The
  *perceptron rule* changes the weights only on a mistake, i.e. when ``y (w . x + b) <= 0``:

  .. math:: w \\leftarrow w + \\eta\\, y\\, x, \\qquad b \\leftarrow b + \\eta\\, y.

  If the data are linearly separable with margin ``gamma`` and radius ``R``, it makes at most ``(R / gamma)^2``
  mistakes (Novikoff 1962), so it converges; on XOR it never does (Minsky & Papert 1969).

* **ADALINE and the delta rule** (Widrow & Hoff 1960): a linear unit ``o = w . x + b`` trained on the error
  *before* thresholding, the least-mean-squares (LMS) rule over a batch of ``N`` examples

  .. math:: w \\leftarrow w + \\frac{\\eta}{N} \\sum_n (y_n - o_n)\\, x_n, \\qquad
            b \\leftarrow b + \\frac{\\eta}{N} \\sum_n (y_n - o_n),

  which is exactly one gradient-descent step on ``0.5 * mean((y - o)^2)``.

Parameters are named and shaped like ``torch.nn.Linear(in_features, 1)`` (``weight`` (1, in_features), ``bias``
(1,)), so ``Perceptron(d).load_state_dict(nn.Linear(d, 1).state_dict())`` works.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = [
    "McCullochPitts", "and_gate", "or_gate", "not_gate",
    "Perceptron", "perceptron_update", "train_perceptron", "PerceptronResult",
    "Adaline", "delta_rule_update", "train_adaline",
]


# ---------------------------------------------------------------------------------------------------------------
# input checks shared by the units


def _check_inputs(x: torch.Tensor, in_features: int, name: str = "input") -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor (float32/float64), got {x.dtype}")
    if x.ndim != 2 or x.shape[1] != in_features:
        raise ValueError(f"{name} must have shape (N, {in_features}), got {tuple(x.shape)}")


def _check_labels(y: torch.Tensor, n: int) -> None:
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor, got {type(y).__name__}")
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels must have shape ({n},) to match the inputs, got {tuple(y.shape)}")
    if not bool(((y == 1) | (y == -1)).all()):
        bad = sorted({float(v) for v in y[(y != 1) & (y != -1)].tolist()})[:5]
        raise ValueError(f"perceptron labels must be -1 or +1, found {bad} (convert 0/1 labels with 2*y - 1)")


def _check_linear_params(weight: torch.Tensor, bias: torch.Tensor) -> int:
    if not isinstance(weight, torch.Tensor) or not isinstance(bias, torch.Tensor):
        raise TypeError("weight and bias must be torch.Tensors")
    if weight.ndim != 2 or weight.shape[0] != 1:
        raise ValueError(f"weight must have shape (1, in_features), got {tuple(weight.shape)}")
    if bias.shape != (1,):
        raise ValueError(f"bias must have shape (1,), got {tuple(bias.shape)}")
    if not weight.is_floating_point() or weight.dtype != bias.dtype:
        raise TypeError(f"weight and bias must share one floating dtype, got {weight.dtype} and {bias.dtype}")
    return weight.shape[1]


# ---------------------------------------------------------------------------------------------------------------
# McCulloch-Pitts (1943)


class McCullochPitts(nn.Module):
    """A McCulloch-Pitts threshold unit: ``y = [x @ weight.T >= threshold]`` with fixed weights.

    Args:
        weight: sequence of ``in_features`` fixed weights (excitatory > 0, inhibitory < 0).
        threshold: the unit fires (outputs 1) when the weighted sum reaches it.

    Shape:
        input (N, in_features) of 0/1 values (any floating dtype); output (N,) of 0/1 in the input's dtype.
    """

    def __init__(self, weight, threshold: float):
        super().__init__()
        w = torch.as_tensor(weight, dtype=torch.float64).reshape(1, -1)
        self.register_buffer("weight", w)
        self.register_buffer("threshold", torch.tensor(float(threshold), dtype=torch.float64))

    @property
    def in_features(self) -> int:
        return self.weight.shape[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_inputs(x, self.in_features)
        if not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("a McCulloch-Pitts unit takes binary inputs (0 or 1)")
        total = x @ self.weight.to(x.dtype).T  # (N, 1)
        return (total.squeeze(1) >= self.threshold.to(x.dtype)).to(x.dtype)

    def extra_repr(self) -> str:
        return f"weight={self.weight.squeeze(0).tolist()}, threshold={self.threshold.item()}"


def and_gate(n: int = 2) -> McCullochPitts:
    """AND of ``n`` inputs: all weights 1, threshold ``n``."""
    return McCullochPitts([1.0] * n, threshold=n)


def or_gate(n: int = 2) -> McCullochPitts:
    """OR of ``n`` inputs: all weights 1, threshold 1."""
    return McCullochPitts([1.0] * n, threshold=1)


def not_gate() -> McCullochPitts:
    """NOT: one inhibitory weight -1 and threshold 0 (fires unless the input is on)."""
    return McCullochPitts([-1.0], threshold=0)


# ---------------------------------------------------------------------------------------------------------------
# Rosenblatt's perceptron (1958)


class Perceptron(nn.Module):
    """Rosenblatt's perceptron: ``sign(x @ weight.T + bias)`` with labels in {-1, +1}.

    Args:
        in_features: size of each input.
        device, dtype: of the parameters (like ``nn.Linear``).

    Attributes:
        weight: (1, in_features), initialised to zero (the rule is scale-free, so zero is the classic start).
        bias: (1,), zero.

    Shape:
        input (N, in_features); ``forward`` returns (N,) decisions in {-1., +1.} (a score of 0 gives +1);
        ``decision_function`` returns the (N,) scores ``w . x + b``.
    """

    def __init__(self, in_features: int, device=None, dtype=None):
        super().__init__()
        if not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"in_features must be a positive int, got {in_features!r}")
        self.in_features = in_features
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.zeros(1, in_features, **factory), requires_grad=False)
        self.bias = nn.Parameter(torch.zeros(1, **factory), requires_grad=False)

    def decision_function(self, x: torch.Tensor) -> torch.Tensor:
        _check_inputs(x, self.in_features)
        return (x @ self.weight.T).squeeze(1) + self.bias  # (N,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = self.decision_function(x)
        return torch.where(score >= 0, torch.ones_like(score), -torch.ones_like(score))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"


def perceptron_update(weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, y: torch.Tensor | float,
                      lr: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of the perceptron rule on one example (book: section ``ch2-perceptron-rule``).

    .. math:: \\text{if } y (w \\cdot x + b) \\le 0:\\quad w \\leftarrow w + \\eta y x,\\; b \\leftarrow b + \\eta y.

    A correctly classified point (``y (w . x + b) > 0``) leaves the weights unchanged.

    Args:
        weight: (1, in_features). bias: (1,). x: (in_features,). y: -1 or +1. lr: learning rate ``eta`` > 0.

    Returns:
        New ``(weight, bias)`` tensors (the inputs are not modified).
    """
    d = _check_linear_params(weight, bias)
    if not isinstance(x, torch.Tensor) or x.shape != (d,):
        raise ValueError(f"x must be a tensor of shape ({d},), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    y = float(y)
    if y not in (-1.0, 1.0):
        raise ValueError(f"the label y must be -1 or +1, got {y}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    x = x.to(weight.dtype)
    score = (weight[0] * x).sum() + bias[0]
    if y * score.item() > 0:
        return weight.clone(), bias.clone()
    return weight + lr * y * x.unsqueeze(0), bias + lr * y


@dataclass
class PerceptronResult:
    """What :func:`train_perceptron` saw.

    Attributes:
        converged: True if an epoch ended with no mistake.
        epochs: epochs run (the last one is the mistake-free epoch when converged).
        mistakes: mistakes (updates) made in each epoch.
        snapshots: ``(weight, bias)`` copies at the start and after each epoch (or each update, see
            ``record`` in :func:`train_perceptron`).
    """

    converged: bool
    epochs: int
    mistakes: list[int] = field(default_factory=list)
    snapshots: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)

    @property
    def total_mistakes(self) -> int:
        return sum(self.mistakes)


@torch.no_grad()
def train_perceptron(model: Perceptron, X: torch.Tensor, y: torch.Tensor, lr: float = 1.0,
                     max_epochs: int = 100, shuffle: bool = False, generator: torch.Generator | None = None,
                     record: str = "epoch") -> PerceptronResult:
    """Run the perceptron rule over ``(X, y)`` one example at a time, epoch after epoch.

    Stops as soon as an epoch makes no mistake (converged) or after ``max_epochs``.

    Args:
        model: a :class:`Perceptron` (updated in place).
        X: (N, in_features) inputs. y: (N,) labels in {-1, +1}.
        lr: learning rate. max_epochs: upper bound on passes over the data.
        shuffle: visit the examples in a new random order each epoch (using ``generator``).
        record: ``"epoch"`` keeps a snapshot of the weights after every epoch, ``"update"`` after every update.

    Returns:
        A :class:`PerceptronResult`.
    """
    _check_inputs(X, model.in_features, "X")
    _check_labels(y, X.shape[0])
    if not isinstance(max_epochs, int) or max_epochs < 1:
        raise ValueError(f"max_epochs must be a positive int, got {max_epochs!r}")
    if record not in ("epoch", "update"):
        raise ValueError(f"record must be 'epoch' or 'update', got {record!r}")
    X = X.to(model.weight.dtype)
    labels = y.tolist()
    result = PerceptronResult(converged=False, epochs=0,
                              snapshots=[(model.weight.detach().clone(), model.bias.detach().clone())])
    for epoch in range(1, max_epochs + 1):
        order = torch.randperm(len(X), generator=generator).tolist() if shuffle else range(len(X))
        mistakes = 0
        for n in order:
            x, t = X[n], labels[n]
            if t * ((model.weight[0] * x).sum() + model.bias[0]).item() <= 0:
                model.weight.add_(lr * t * x.unsqueeze(0))
                model.bias.add_(lr * t)
                mistakes += 1
                if record == "update":
                    result.snapshots.append((model.weight.detach().clone(), model.bias.detach().clone()))
        result.mistakes.append(mistakes)
        if record == "epoch":
            result.snapshots.append((model.weight.detach().clone(), model.bias.detach().clone()))
        result.epochs = epoch
        if mistakes == 0:
            result.converged = True
            break
    return result


# ---------------------------------------------------------------------------------------------------------------
# ADALINE and the delta rule (Widrow & Hoff 1960)


class Adaline(nn.Module):
    """ADALINE: a linear unit ``o = x @ weight.T + bias`` trained by the delta rule; decisions are ``sign(o)``.

    Same parameters as ``nn.Linear(in_features, 1)``; ``forward`` returns the (N,) linear output (not the
    thresholded one, which is ``predict``). Weights start at zero.
    """

    def __init__(self, in_features: int, device=None, dtype=None):
        super().__init__()
        if not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"in_features must be a positive int, got {in_features!r}")
        self.in_features = in_features
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.zeros(1, in_features, **factory))
        self.bias = nn.Parameter(torch.zeros(1, **factory))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_inputs(x, self.in_features)
        return (x @ self.weight.T).squeeze(1) + self.bias  # (N,)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        out = self.forward(x)
        return torch.where(out >= 0, torch.ones_like(out), -torch.ones_like(out))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"


def delta_rule_update(weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                      lr: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """One delta-rule (LMS) step on a batch (book: section ``ch2-delta-rule``).

    .. math:: o = x w^\\top + b,\\quad e = y - o,\\quad
              w \\leftarrow w + \\frac{\\eta}{N} e^\\top x,\\quad
              b \\leftarrow b + \\frac{\\eta}{N} \\textstyle\\sum_n e_n.

    Equal to one ``torch.optim.SGD(lr)`` step on ``0.5 * F.mse_loss(o, y)``. Unlike the perceptron rule it
    updates on *every* example, correctly classified or not, in proportion to the error.

    Args:
        weight: (1, in_features). bias: (1,). x: (N, in_features). y: (N,) real targets. lr: ``eta`` > 0.

    Returns:
        New ``(weight, bias)`` tensors.
    """
    d = _check_linear_params(weight, bias)
    _check_inputs(x, d, "x")
    if not isinstance(y, torch.Tensor) or y.shape != (x.shape[0],):
        raise ValueError(f"y must be a tensor of shape ({x.shape[0]},), got "
                         f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    x, y = x.to(weight.dtype), y.to(weight.dtype)
    error = y - ((x @ weight.T).squeeze(1) + bias)  # (N,)
    n = x.shape[0]
    return weight + (lr / n) * (error @ x).unsqueeze(0), bias + (lr / n) * error.sum()


def train_adaline(model: Adaline, X: torch.Tensor, y: torch.Tensor, lr: float = 0.01, epochs: int = 20,
                  batch_size: int = 1, generator: torch.Generator | None = None) -> list[float]:
    """Train ``model`` with the delta rule on shuffled minibatches; returns ``0.5 * mean((y - o)^2)`` per epoch.

    The loop is :func:`dlcourse.training.fit`'s; each step is :func:`delta_rule_update`, no gradients involved.

    Args:
        model: an :class:`Adaline` (updated in place). X: (N, in_features). y: (N,) targets (e.g. -1/+1).
        lr, epochs, batch_size: as usual; ``generator`` seeds the shuffling.
    """
    from ..training import fit

    _check_inputs(X, model.in_features, "X")
    if not isinstance(y, torch.Tensor) or y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},)")
    X, y = X.to(model.weight.dtype), y.to(model.weight.dtype)

    @torch.no_grad()
    def delta_rule_step(model: Adaline, batch, optimizer) -> dict[str, float]:
        xb, yb = batch
        w, b = delta_rule_update(model.weight, model.bias, xb, yb, lr)
        model.weight.copy_(w)
        model.bias.copy_(b)
        return {"loss": 0.5 * ((yb - model(xb)) ** 2).mean().item()}

    def half_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((target - output) ** 2).mean()

    try:
        history = fit(model, (X, y), step_fn=delta_rule_step, optimizer=None, loss_fn=half_mse, valid=(X, y),
                      epochs=epochs, batch_size=batch_size, generator=generator, device=model.weight.device,
                      progress=False)
    except FloatingPointError:
        raise FloatingPointError("the delta rule diverged; use a smaller learning rate") from None
    losses = history["valid_loss"]
    if not math.isfinite(losses[-1]):
        raise FloatingPointError("the delta rule diverged; use a smaller learning rate")
    return losses
