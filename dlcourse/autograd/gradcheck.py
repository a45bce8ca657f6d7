"""Gradient checking: compare analytic gradients with central differences
(book: Chapter 3, "Gradient checking", label ``ch3-gradcheck``; reused in later chapters).

For a scalar function :math:`f` and each coordinate :math:`i` of each parameter,

.. math:: \\frac{\\partial f}{\\partial \\theta_i} \\approx \\frac{f(\\theta + h e_i) - f(\\theta - h e_i)}{2h},

whose error is :math:`O(h^2)` (a one-sided difference has :math:`O(h)` error). The comparison uses the relative
error :math:`|a - n| / \\max(|a|, |n|)`; a coordinate fails when :math:`|a - n| > \\text{atol} +
\\text{tol} \\max(|a|, |n|)` (the small ``atol`` = 1e-7 spares gradients that are zero up to rounding).
Use float64: in float32 the rounding error of :math:`f` divided by :math:`2h` swamps the result.

Works on functions of torch tensors (analytic gradient from torch.autograd, or one you supply), and on
:class:`dlcourse.autograd.Value` / :class:`dlcourse.autograd.Tensor` graphs.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

__all__ = ["numerical_gradient", "GradcheckError", "GradcheckResult", "gradcheck", "gradcheck_value",
           "gradcheck_tensor"]


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the central difference."""


@dataclass
class GradcheckResult:
    """The worst disagreement found: which parameter, which index, both values and their relative error."""

    name: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    rel_error: float
    passed: bool = True

    def message(self, tol: float) -> str:
        return (f"gradient check failed for parameter {self.name!r} at index {self.index}: "
                f"analytic {self.analytic:.6g} vs numeric (central difference) {self.numeric:.6g}, "
                f"relative error {self.rel_error:.2e} (tolerance {tol:.0e}). Look at the backward rule that "
                f"produces {self.name!r}'s gradient (a missing factor, a transpose, or '=' instead of '+=').")


def _rel_error(a: float, n: float, eps: float = 1e-12) -> float:
    return abs(a - n) / max(abs(a), abs(n), eps)


def numerical_gradient(f: Callable[[], float], x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Central-difference gradient of ``f()`` w.r.t. the tensor ``x``, which ``f`` reads and this function
    perturbs in place (restoring it afterwards). Returns a tensor shaped like ``x``.

    ``x`` may be non-contiguous (a transposed matrix, a slice): each element is addressed by its index, not by its
    place in memory, so the perturbation lands in the tensor ``f`` reads."""
    if not x.is_floating_point():
        raise TypeError(f"numerical_gradient needs a floating tensor, got {x.dtype}")
    grad = torch.zeros(x.shape, dtype=x.dtype, device=x.device)
    with torch.no_grad():
        for index in itertools.product(*(range(n) for n in x.shape)):
            old = x[index].item()
            x[index] = old + h
            f_plus = float(f())
            x[index] = old - h
            f_minus = float(f())
            x[index] = old
            grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def _compare(analytic: Mapping[str, torch.Tensor], numeric: Mapping[str, torch.Tensor], tol: float,
             raise_exception: bool, atol: float = 1e-7) -> GradcheckResult | None:
    worst: GradcheckResult | None = None
    worst_badness = 0.0
    for name, a in analytic.items():
        n = numeric[name]
        if a.shape != n.shape:
            raise ValueError(f"analytic gradient of {name!r} has shape {tuple(a.shape)}, expected {tuple(n.shape)}")
        a64, n64 = a.detach().to(torch.float64).cpu(), n.detach().to(torch.float64).cpu()
        scale = torch.maximum(a64.abs(), n64.abs())
        # a coordinate fails when |a - n| > atol + tol * max(|a|, |n|); ``badness`` > 1 means failure
        badness = (a64 - n64).abs() / (atol + tol * scale)
        if not badness.numel():
            continue
        flat = int(badness.reshape(-1).argmax())
        idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), a.shape)) if a.ndim else ()
        if worst is None or float(badness[idx]) > worst_badness:
            worst_badness = float(badness[idx])
            worst = GradcheckResult(name, idx, float(a64[idx]), float(n64[idx]),
                                    _rel_error(float(a64[idx]), float(n64[idx])))
    if worst is not None:
        worst.passed = worst_badness <= 1.0
    if worst is not None and not worst.passed and raise_exception:
        raise GradcheckError(worst.message(tol))
    return worst


def gradcheck(f: Callable[..., torch.Tensor], inputs: Sequence[torch.Tensor] | Mapping[str, torch.Tensor],
              analytic: Sequence[torch.Tensor] | Mapping[str, torch.Tensor] | None = None, *, h: float = 1e-6,
              tol: float = 1e-5, raise_exception: bool = True) -> GradcheckResult | None:
    """Check the gradient of a scalar function of torch tensors against central differences.

    Args:
        f: ``f(*inputs)`` (or ``f(**inputs)`` for a dict) returning a scalar tensor or float.
        inputs: float64 tensors; a dict gives them names for the failure message (else ``"input 0"``, ...).
        analytic: the gradients to check, same structure as ``inputs``; if None, torch.autograd computes them.
        h: the step of the central difference.
        tol: the largest relative error accepted.
        raise_exception: raise :class:`GradcheckError` on failure (else just return the worst result).

    Returns:
        The :class:`GradcheckResult` of the worst coordinate.
    """
    names = list(inputs) if isinstance(inputs, Mapping) else [f"input {i}" for i in range(len(inputs))]
    tensors = list(inputs.values()) if isinstance(inputs, Mapping) else list(inputs)
    for name, t in zip(names, tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dtype != torch.float64:
            raise TypeError(f"{name} has dtype {t.dtype}; gradient checking needs float64 (float32 rounding "
                            "swamps the finite difference)")
    call = (lambda ts: f(**dict(zip(names, ts)))) if isinstance(inputs, Mapping) else (lambda ts: f(*ts))
    if analytic is None:
        leaves = [t.detach().clone().requires_grad_(True) for t in tensors]
        out = call(leaves)
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise ValueError("f must return a single-element tensor")
        grads = torch.autograd.grad(out, leaves, allow_unused=True)
        analytic_list = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, tensors)]
    else:
        if isinstance(analytic, Mapping):
            missing = [n for n in names if n not in analytic]
            if missing or not isinstance(inputs, Mapping):
                raise ValueError(f"analytic gradients given by name need named inputs; missing {missing}")
            analytic_list = [analytic[n] for n in names]
        else:
            analytic_list = list(analytic)
        if len(analytic_list) != len(tensors):
            raise ValueError(f"got {len(analytic_list)} analytic gradients for {len(tensors)} inputs")
    work = [t.detach().clone() for t in tensors]
    numeric = {name: numerical_gradient(lambda: float(call(work)), x, h) for name, x in zip(names, work)}
    return _compare(dict(zip(names, analytic_list)), numeric, tol, raise_exception)


def gradcheck_value(f: Callable, inputs: Sequence, *, h: float = 1e-6, tol: float = 1e-6,
                    raise_exception: bool = True) -> GradcheckResult | None:
    """Check :class:`~dlcourse.autograd.Value` gradients: ``f(*values)`` returns a Value; each input's ``grad``
    after ``backward()`` is compared with a central difference of ``f`` in that input's ``data``."""
    from . import Value

    values = [v if isinstance(v, Value) else Value(v) for v in inputs]
    for v in values:
        v.grad = 0.0
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    out.zero_grad()
    out.backward()
    analytic = {f"input {i}": torch.tensor(v.grad, dtype=torch.float64) for i, v in enumerate(values)}
    numeric = {}
    for i, v in enumerate(values):
        old = v.data
        v.data = old + h
        fp = f(*values).data
        v.data = old - h
        fm = f(*values).data
        v.data = old
        numeric[f"input {i}"] = torch.tensor((fp - fm) / (2 * h), dtype=torch.float64)
    return _compare(analytic, numeric, tol, raise_exception)


def gradcheck_tensor(f: Callable, inputs: Sequence, *, h: float = 1e-6, tol: float = 1e-5,
                     raise_exception: bool = True) -> GradcheckResult | None:
    """Check :class:`~dlcourse.autograd.Tensor` gradients: ``f(*tensors)`` returns a single-element Tensor."""
    from . import Tensor

    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in inputs]
    for i, t in enumerate(tensors):
        if t.dtype != torch.float64:
            raise TypeError(f"input {i} has dtype {t.dtype}; gradient checking needs float64")
    out = f(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a Tensor, got {type(out).__name__}")
    out.zero_grad()
    out.backward()
    analytic = {f"input {i}": t.grad.clone() for i, t in enumerate(tensors)}
    numeric = {f"input {i}": numerical_gradient(lambda: f(*tensors).data.item(), t.data, h)
               for i, t in enumerate(tensors)}
    return _compare(analytic, numeric, tol, raise_exception)
