"""One harness for "ours equals torch": outputs and every gradient, in float64 (book: Preface).

Every from-scratch piece in the course is checked the same way, in the tests and in the notebooks::

    from dlcourse.testing import assert_matches_torch
    ours, theirs = dlcourse.nn.Conv2d(3, 4, 3).double(), torch.nn.Conv2d(3, 4, 3).double()
    ours.load_state_dict(theirs.state_dict())
    assert_matches_torch(ours, theirs, torch.randn(2, 3, 8, 8, dtype=torch.float64))

Both callables get their own copies of the inputs. The outputs (a tensor, or a tuple/list/dict of them, nested)
are compared; then a fixed random combination of every floating output is back-propagated through both, and the
gradients of every floating input and of every parameter (matched by name when both are modules) are compared.
A mismatch names the tensor, the index of the largest difference and both values.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

__all__ = ["assert_matches_torch", "assert_close_named"]


def _flatten(value: Any, prefix: str = "output") -> list[tuple[str, torch.Tensor]]:
    if isinstance(value, torch.Tensor):
        return [(prefix, value)]
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _flatten(v, f"{prefix}[{k!r}]")]
    if isinstance(value, (tuple, list)):
        return [item for i, v in enumerate(value) for item in _flatten(v, f"{prefix}[{i}]")]
    if hasattr(value, "_fields"):  # namedtuple-like, e.g. a PackedSequence
        return [item for k in value._fields for item in _flatten(getattr(value, k), f"{prefix}.{k}")]
    return []


def assert_close_named(name: str, ours: torch.Tensor | None, theirs: torch.Tensor | None,
                       rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """``torch.testing.assert_close`` with a message naming ``name``, the worst index and both values."""
    if ours is None or theirs is None:
        if ours is None and theirs is None:
            return
        raise AssertionError(f"{name}: ours is {'None' if ours is None else 'a tensor'}, "
                             f"torch's is {'None' if theirs is None else 'a tensor'}")
    if tuple(ours.shape) != tuple(theirs.shape):
        raise AssertionError(f"{name}: shape {tuple(ours.shape)} (ours) != {tuple(theirs.shape)} (torch)")
    if ours.dtype != theirs.dtype:
        raise AssertionError(f"{name}: dtype {ours.dtype} (ours) != {theirs.dtype} (torch)")
    a, b = ours.detach().cpu(), theirs.detach().cpu()
    try:
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol, equal_nan=True)
    except AssertionError:
        if a.is_floating_point() or a.is_complex():
            diff = (a - b).abs().nan_to_num(nan=float("inf"))
        else:
            diff = (a != b).to(torch.int64)
        flat = int(diff.reshape(-1).argmax()) if diff.numel() else 0
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), a.shape)) if a.ndim else ()
        raise AssertionError(
            f"{name} differs from torch: largest difference {diff.reshape(-1)[flat].item():.3g} at index {index}: "
            f"ours {a[index].item()!r}, torch {b[index].item()!r} (rtol={rtol}, atol={atol})") from None


def _copy(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        y = x.detach().clone()
        return y.requires_grad_(x.is_floating_point() or x.is_complex())
    return x


def assert_matches_torch(ours: Callable, theirs: Callable, *inputs: Any, rtol: float = 1e-7, atol: float = 1e-9,
                         kwargs: dict | None = None, backward: bool = True, seed: int = 0) -> Any:
    """Assert that ``ours(*inputs)`` equals ``theirs(*inputs)``, forward and backward.

    Args:
        ours, theirs: callables; when both are ``nn.Module``s their parameter gradients are compared by name.
        inputs: positional inputs; floating tensors get ``requires_grad`` and their gradients are compared.
        rtol, atol: tolerances (float64 defaults: tight).
        kwargs: keyword arguments for both calls.
        backward: compare gradients too.
        seed: seeds the random weights of the output combination that is back-propagated.

    Returns:
        Our outputs.
    """
    kwargs = kwargs or {}
    for module in (ours, theirs):      # gradients left by an earlier call would add up with this call's
        if isinstance(module, nn.Module):
            module.zero_grad(set_to_none=True)
    ours_in = [_copy(x) for x in inputs]
    theirs_in = [_copy(x) for x in inputs]
    out_ours = ours(*ours_in, **kwargs)
    out_theirs = theirs(*theirs_in, **kwargs)
    flat_ours, flat_theirs = _flatten(out_ours), _flatten(out_theirs)
    if [n for n, _ in flat_ours] != [n for n, _ in flat_theirs]:
        raise AssertionError(f"output structure differs: ours {[n for n, _ in flat_ours]}, "
                             f"torch {[n for n, _ in flat_theirs]}")
    for (name, a), (_, b) in zip(flat_ours, flat_theirs):
        assert_close_named(name, a, b, rtol, atol)
    if not backward:
        return out_ours
    g = torch.Generator().manual_seed(seed)
    total_ours, total_theirs = 0, 0
    for (_, a), (_, b) in zip(flat_ours, flat_theirs):
        if a.requires_grad and b.requires_grad and a.is_floating_point():
            w = torch.randn(a.shape, generator=g, dtype=torch.float64).to(a.dtype)
            total_ours = total_ours + (a * w.to(a.device)).sum()
            total_theirs = total_theirs + (b * w.to(b.device)).sum()
    if not isinstance(total_ours, torch.Tensor):
        return out_ours  # nothing differentiable came out
    total_ours.backward()
    total_theirs.backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if isinstance(a, torch.Tensor) and a.requires_grad:
            assert_close_named(f"gradient of input {i}", a.grad, b.grad, rtol, atol)
    if isinstance(ours, nn.Module) and isinstance(theirs, nn.Module):
        p_ours, p_theirs = dict(ours.named_parameters()), dict(theirs.named_parameters())
        if sorted(p_ours) != sorted(p_theirs):
            raise AssertionError(f"parameter names differ: ours {sorted(p_ours)}, torch {sorted(p_theirs)}")
        for name in p_ours:
            assert_close_named(f"gradient of parameter {name!r}", p_ours[name].grad, p_theirs[name].grad, rtol, atol)
    return out_ours
