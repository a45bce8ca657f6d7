"""Reverse-mode automatic differentiation on tensors (book: Chapter 3, "Tensor autodiff", label ``ch3-tensor``).

The same idea as :class:`dlcourse.autograd.scalar.Value`, one array at a time: a :class:`Tensor` wraps a torch
array ``data`` (a NumPy array is converted) and its gradient ``grad`` of the same shape. Each operator's
``_backward`` applies the matrix form of the chain rule, e.g. for :math:`Z = XW`

.. math:: \\bar X \\mathrel{+}= \\bar Z W^\\top, \\qquad \\bar W \\mathrel{+}= X^\\top \\bar Z.

Broadcasting: when ``x`` of shape (3, 1) is added to ``y`` of shape (3, 4), ``x`` is used 4 times, so its gradient
is the *sum* of the 4 copies' gradients. :func:`unbroadcast` sums the output gradient back to an input's shape.

The wrapped arrays are plain torch tensors with ``requires_grad=False``: torch only does the arithmetic here, the
differentiation is ours.

It behaves like ``torch.autograd`` where a learner is likely to look (tests/test_autograd_torch_parity.py):
``backward(retain_graph=...)`` with torch's error on a second pass through a freed graph and torch's accumulation
with it (leaves accumulate, intermediate nodes start each pass from zero); the edge cases of ``sum``, ``mean``,
``**`` and ``relu``; basic and integer-array indexing, ``reshape``, ``softmax`` and ``log_softmax`` (enough to
write cross-entropy as ``-x.log_softmax(1)[torch.arange(n), y].mean()``); constants with ``requires_grad=False``.
Deliberate differences: ``grad`` starts as zeros rather than ``None``; every intermediate node keeps its adjoint
(as if ``retain_grad()`` had been called); ``requires_grad`` defaults to ``True``; ``log`` of a non-positive value
raises instead of returning ``nan``/``-inf``; matmul is 2-D only. Anything else raises an error that says so.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from numbers import Real

import numpy as np
import torch

from .scalar import FREED_GRAPH_ERROR, NO_GRAD_ERROR

__all__ = ["Tensor", "unbroadcast"]


def unbroadcast(grad: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast.

    Broadcasting first prepends size-1 axes until the ranks agree, then stretches size-1 axes. The gradient
    therefore sums over the prepended leading axes, then over every axis where ``shape`` has size 1 (keeping it).

    Args:
        grad: the gradient of the broadcast result, shape ``(*extra, *broadcast_shape)``.
        shape: the input's shape, broadcastable to ``grad.shape``.

    Returns:
        A tensor of exactly ``shape``.
    """
    shape = tuple(shape)
    try:
        torch.broadcast_shapes(shape, tuple(grad.shape))
    except RuntimeError as err:
        raise ValueError(f"unbroadcast: shape {shape} does not broadcast to gradient shape "
                         f"{tuple(grad.shape)}") from err
    if torch.broadcast_shapes(shape, tuple(grad.shape)) != grad.shape:
        raise ValueError(f"unbroadcast: gradient shape {tuple(grad.shape)} is smaller than input shape {shape}")
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(dim=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    return grad


def _as_data(data, like: torch.Tensor | None = None) -> torch.Tensor:
    if isinstance(data, torch.Tensor):
        t = data.detach()
    elif isinstance(data, np.ndarray):
        t = torch.from_numpy(data)
    elif isinstance(data, Real) and not isinstance(data, bool):
        t = torch.tensor(float(data), dtype=like.dtype if like is not None else torch.float64,
                         device=like.device if like is not None else None)
    else:
        raise TypeError(f"Tensor wraps a torch.Tensor, a NumPy array or a number, got {type(data).__name__}")
    if not t.is_floating_point():
        raise TypeError(f"Tensor needs a floating dtype (float32 or float64) to carry gradients, got {t.dtype}")
    return t


class Tensor:
    """An array that remembers how it was computed, so that :meth:`backward` can differentiate through it.

    Args:
        data: a floating torch tensor, a floating NumPy array or a number (float64).
        _children: the Tensors this one was computed from (set by the operators).
        _op: the operator's name, for display.
        requires_grad: keyword-only; ``False`` makes a constant (no gradient; results computed only from
            constants are constants). torch's default is ``False``, ours ``True``.

    Attributes:
        data: the values, a torch tensor.
        grad: :math:`\\partial L / \\partial\\,\\text{data}`, same shape, filled by :meth:`backward`.
    """

    def __init__(self, data, _children: Iterable[Tensor] = (), _op: str = "", *, requires_grad: bool = True):
        self.data = _as_data(data)
        self.grad = torch.zeros_like(self.data)
        self._backward: Callable[[], None] = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.requires_grad = bool(requires_grad)
        if self._prev:  # an operator's result: tracked when any input is
            self.requires_grad = any(c.requires_grad for c in self._prev)
            if not self.requires_grad:
                self._prev = ()
        self._saves = True    # does the backward rule read saved values? (add, neg, sum, T, reshape do not)
        self._freed = False   # set by a backward pass without retain_graph

    def _set_backward(self, rule: Callable[[], None], saves: bool = True) -> Tensor:
        if self._prev:
            self._backward = rule
        self._saves = saves
        return self

    # -- conveniences ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> torch.Size:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> torch.dtype:
        return self.data.dtype

    def __repr__(self) -> str:
        return f"Tensor(shape={tuple(self.shape)}, dtype={self.dtype}, op={self._op!r})"

    def numel(self) -> int:
        return self.data.numel()

    def item(self) -> float:
        """The value of a single-element tensor as a Python float."""
        return self.data.item()

    def detach(self) -> Tensor:
        """The same values as a constant, cut from the graph."""
        return Tensor(self.data, requires_grad=False)

    def _lift(self, other) -> Tensor:
        if isinstance(other, Tensor):
            if other.dtype != self.dtype:
                raise TypeError(f"dtype mismatch: {self.dtype} and {other.dtype}; convert one of them first")
            if other.data.device != self.data.device:
                raise ValueError(f"device mismatch: {self.data.device} and {other.data.device}")
            return other
        return Tensor(_as_data(other, like=self.data), requires_grad=False)  # a constant, as in torch

    def _broadcast_shape(self, other: Tensor, op: str) -> None:
        try:
            torch.broadcast_shapes(self.shape, other.shape)
        except RuntimeError as err:
            raise ValueError(f"{op}: shapes {tuple(self.shape)} and {tuple(other.shape)} do not broadcast") from err

    # -- elementwise binary operators (with broadcasting) ---------------------------------------------------
    def __add__(self, other) -> Tensor:
        other = self._lift(other)
        self._broadcast_shape(other, "add")
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(out.grad, other.shape)

        return out._set_backward(_backward, saves=False)

    def __mul__(self, other) -> Tensor:
        other = self._lift(other)
        self._broadcast_shape(other, "mul")
        out = Tensor(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += unbroadcast(other.data * out.grad, self.shape)
            other.grad += unbroadcast(self.data * out.grad, other.shape)

        return out._set_backward(_backward)

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"exponent must be an int or float, got {type(exponent).__name__}")
        exponent = float(exponent)
        out = Tensor(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward():  # n x^(n-1); torch defines it as 0 for n = 0, even at x = 0 (where 0 * inf is nan)
            if exponent != 0:
                self.grad += exponent * self.data ** (exponent - 1) * out.grad

        return out._set_backward(_backward)

    def __neg__(self) -> Tensor:
        out = Tensor(-self.data, (self,), "neg")

        def _backward():
            self.grad -= out.grad

        return out._set_backward(_backward, saves=False)

    def __sub__(self, other) -> Tensor:
        return self + (-self._lift(other))

    def __truediv__(self, other) -> Tensor:
        return self * self._lift(other) ** -1

    def __radd__(self, other) -> Tensor:
        return self + other

    def __rmul__(self, other) -> Tensor:
        return self * other

    def __rsub__(self, other) -> Tensor:
        return self._lift(other) - self

    def __rtruediv__(self, other) -> Tensor:
        return self._lift(other) / self

    # -- matrix product -------------------------------------------------------------------------------------
    def __matmul__(self, other) -> Tensor:
        """Matrix product of 2-D tensors: (n, k) @ (k, m) -> (n, m)."""
        other = self._lift(other)
        if self.ndim != 2 or other.ndim != 2:
            raise ValueError(f"matmul: expected 2-D tensors, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"matmul: inner sizes differ: {tuple(self.shape)} @ {tuple(other.shape)} "
                             f"({self.shape[1]} != {other.shape[0]})")
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward():  # Z = X W:  dX = dZ W^T,  dW = X^T dZ
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad

        return out._set_backward(_backward)

    def matmul(self, other) -> Tensor:
        return self @ other

    @property
    def T(self) -> Tensor:
        """Transpose of a 2-D tensor."""
        if self.ndim != 2:
            raise ValueError(f"T: expected a 2-D tensor, got shape {tuple(self.shape)}")
        out = Tensor(self.data.T, (self,), "T")

        def _backward():
            self.grad += out.grad.T

        return out._set_backward(_backward, saves=False)

    # -- reductions -----------------------------------------------------------------------------------------
    def _dims(self, dim) -> tuple[int, ...]:
        if dim is None:
            return tuple(range(self.ndim))
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        n = max(self.ndim, 1)  # as in torch, a 0-d tensor accepts dim 0 and -1
        for d in dims:
            if isinstance(d, bool) or not isinstance(d, int) or not -n <= d < n:
                raise ValueError(f"dim {d!r} is out of range for a tensor of shape {tuple(self.shape)} "
                                 f"(expected an int in [{-n}, {n - 1}])")
        return tuple(d % n for d in dims)

    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        """Sum over ``dim`` (all axes when None); the gradient copies the output gradient back along them."""
        dims = self._dims(dim)
        out = Tensor(self.data.sum(dim=dims, keepdim=keepdim) if dims else self.data.clone(), (self,), "sum")

        def _backward():
            g = out.grad
            if not keepdim and self.ndim:  # a 0-d input's sum is itself: nothing to put back
                for d in sorted(dims):
                    g = g.unsqueeze(d)
            self.grad += g.expand(self.shape)

        return out._set_backward(_backward, saves=False)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        """Mean over ``dim``: the sum divided by the number of elements reduced."""
        dims = self._dims(dim)
        count = 1
        for d in dims:
            count *= self.shape[d]
        # the mean of nothing is nan (torch too), and its gradient is an empty tensor
        return self.sum(dim=dim, keepdim=keepdim) * (1.0 / count if count else float("nan"))

    # -- elementwise functions: multiply the gradient by the derivative -------------------------------------
    def _unary(self, value: torch.Tensor, derivative: torch.Tensor, op: str) -> Tensor:
        out = Tensor(value, (self,), op)

        def _backward():
            self.grad += derivative * out.grad

        return out._set_backward(_backward)

    def exp(self) -> Tensor:
        e = torch.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self) -> Tensor:
        if (self.data <= 0).any():
            raise ValueError("log is defined for positive values only")
        return self._unary(torch.log(self.data), 1.0 / self.data, "log")

    def tanh(self) -> Tensor:
        t = torch.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Tensor:
        s = torch.sigmoid(self.data)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self) -> Tensor:
        # torch's rules: relu(nan) is nan, and its derivative is 1 unless x <= 0 (so 1 at nan)
        return self._unary(torch.clamp(self.data, min=0), (~(self.data <= 0)).to(self.dtype), "relu")

    def softmax(self, dim: int) -> Tensor:
        """:math:`e^{x_i} / \\sum_j e^{x_j}` along ``dim``; backward :math:`s \\odot (g - \\sum_j g_j s_j)`."""
        (d,) = self._dims(dim)
        s = torch.softmax(self.data, dim=d)
        out = Tensor(s, (self,), "softmax")

        def _backward():
            g = out.grad
            self.grad += s * (g - (g * s).sum(dim=d, keepdim=True))

        return out._set_backward(_backward)

    def log_softmax(self, dim: int) -> Tensor:
        """:math:`x_i - \\log \\sum_j e^{x_j}` along ``dim`` (stable); backward :math:`g - s \\sum_j g_j`."""
        (d,) = self._dims(dim)
        out = Tensor(torch.log_softmax(self.data, dim=d), (self,), "log_softmax")

        def _backward():
            g = out.grad
            self.grad += g - torch.exp(out.data) * g.sum(dim=d, keepdim=True)

        return out._set_backward(_backward)

    # -- shape and indexing -----------------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same values in a new shape (one entry may be -1); the gradient is reshaped back."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        try:
            data = self.data.reshape(shape)
        except RuntimeError as err:
            raise ValueError(f"reshape: cannot view shape {tuple(self.shape)} ({self.numel()} elements) "
                             f"as {shape}") from err
        out = Tensor(data, (self,), "reshape")

        def _backward():
            self.grad += out.grad.reshape(self.shape)

        return out._set_backward(_backward, saves=False)

    def __getitem__(self, index) -> Tensor:
        """Basic indexing (ints, slices, ``None``, ``...``) or advanced indexing by integer/boolean tensors or
        lists, as in torch. The gradient scatters back, *adding* where an index repeats."""
        basic = (int, slice, type(None), type(Ellipsis))
        parts = index if isinstance(index, tuple) else (index,)
        advanced = [isinstance(p, (torch.Tensor, list, np.ndarray)) for p in parts]
        if all(isinstance(p, basic) and not isinstance(p, bool) for p in parts):
            kind = "basic"
        elif all(advanced):
            kind = "advanced"
            parts = tuple(torch.as_tensor(p, device=self.data.device) for p in parts)
            if any(p.is_floating_point() for p in parts):
                raise TypeError("indices must be integer or boolean tensors, got a floating tensor")
            index = parts if isinstance(index, tuple) else parts[0]
        else:
            raise NotImplementedError(
                f"indexing with {index!r}: this teaching Tensor supports either basic indexing (ints, slices, None, "
                "...) or only integer/boolean index tensors, not a mix; split it into two steps")
        out = Tensor(self.data[index], (self,), "index")

        def _backward():
            grad = torch.zeros_like(self.data)
            if kind == "basic":
                grad[index] += out.grad
            else:  # repeated indices must add up, which grad[index] += ... would not do
                grad.index_put_(parts, out.grad, accumulate=True)
            self.grad += grad

        return out._set_backward(_backward, saves=kind == "advanced")

    # -- the backward pass ----------------------------------------------------------------------------------
    def topological_order(self) -> list[Tensor]:
        """Every Tensor this one depends on (itself included), each after all of its inputs."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in seen)
        return order

    def backward(self, gradient: torch.Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: None = None) -> None:
        """Add :math:`\\partial L / \\partial v` to ``grad`` of every leaf ``v`` of the graph, as torch does.

        Leaves *accumulate* across passes (call :meth:`zero_grad` between them); intermediate nodes get a fresh
        adjoint each pass; without ``retain_graph=True`` the graph is freed and a second pass raises torch's error.

        Args:
            gradient: :math:`\\partial L / \\partial\\,\\text{self}`, same shape as self; may be omitted only
                for a tensor with a single element (then it is 1), as in torch.
            retain_graph: keep the graph for another backward pass (default: ``create_graph``).
            create_graph: higher-order gradients; not supported here (must be False).
            inputs: restrict the pass to some leaves; not supported here (must be None).
        """
        if create_graph:
            raise ValueError("create_graph=True (gradients of gradients) is not supported by Tensor; use torch")
        if inputs is not None:
            raise ValueError("inputs= is not supported by Tensor: backward() fills the gradient of every leaf")
        if not self.requires_grad:
            raise RuntimeError(NO_GRAD_ERROR)
        if gradient is None:
            if self.data.numel() != 1:
                raise ValueError(f"backward() without a gradient needs a single-element tensor, got shape "
                                 f"{tuple(self.shape)}; pass gradient= of the same shape")
            gradient = torch.ones_like(self.data)
        else:
            gradient = _as_data(gradient, like=self.data)
            if gradient.shape != self.shape:
                raise ValueError(f"gradient has shape {tuple(gradient.shape)}, expected {tuple(self.shape)}")
        retain = create_graph if retain_graph is None else retain_graph
        order = self.topological_order()
        if any(node._freed and node._saves for node in order):
            raise RuntimeError(FREED_GRAPH_ERROR)
        for node in order:
            if node._prev:  # an intermediate node: a fresh adjoint for this pass
                node.grad = torch.zeros_like(node.data)
        self.grad = self.grad + gradient.to(self.dtype)
        for node in reversed(order):
            node._backward()
        for node in order:
            if not node.requires_grad:  # constants get no gradient
                node.grad = torch.zeros_like(node.data)
            elif node._prev and not retain:
                node._freed = True

    def zero_grad(self) -> None:
        """Set ``grad`` to zeros for every Tensor in this graph."""
        for node in self.topological_order():
            node.grad = torch.zeros_like(node.data)
