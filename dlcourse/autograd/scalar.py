"""Reverse-mode automatic differentiation on scalars (book: Chapter 3, "Scalar autodiff", label ``ch3-scalar``).

A :class:`Value` holds a number ``data``, its gradient ``grad`` and the ``Value`` objects it was computed from.
Each operator builds its output and a small ``_backward`` closure that applies the chain rule locally: if
:math:`z = f(x, y)` then

.. math:: \\bar x \\mathrel{+}= \\bar z \\, \\partial f / \\partial x, \\qquad
          \\bar y \\mathrel{+}= \\bar z \\, \\partial f / \\partial y,

where :math:`\\bar v = \\partial L / \\partial v` is the *adjoint* of :math:`v`. :meth:`Value.backward` seeds
:math:`\\bar L = 1` and calls the closures in reverse topological order, so each node's adjoint is complete before
it is pushed to its inputs (Linnainmaa 1970). Gradients accumulate with ``+=`` because a value used twice receives
a contribution from each use. The design follows Karpathy's micrograd.

Like ``torch.autograd``: a second :meth:`Value.backward` through the same graph raises torch's error unless the
first pass had ``retain_graph=True``; then the *leaves* accumulate (``(2a)**2`` at ``a = 3`` gives 24, then 48)
while every intermediate node starts each pass from 0. Unlike torch, ``grad`` starts at ``0.0`` rather than
``None``, intermediate nodes keep their last pass's adjoint (as if ``retain_grad()`` had been called), and a
Value requires a gradient unless created with ``requires_grad=False``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real

__all__ = ["Value", "FREED_GRAPH_ERROR", "NO_GRAD_ERROR"]

#: torch's message for a second backward pass through a freed graph (torch raises a RuntimeError too).
FREED_GRAPH_ERROR = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward.")
#: torch's message for ``backward()`` on something that does not require a gradient.
NO_GRAD_ERROR = "element 0 of tensors does not require grad and does not have a grad_fn"


def _pow(x: float, exponent: float) -> float:
    """``x ** exponent`` as torch computes it: ``inf`` for 0 to a negative power, ``nan`` instead of complex."""
    try:
        result = x ** exponent
    except ZeroDivisionError:  # 0.0 ** negative
        odd = float(exponent).is_integer() and int(exponent) % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf
    return math.nan if isinstance(result, complex) else result


def _as_value(other) -> Value:
    if isinstance(other, Value):
        return other
    if isinstance(other, bool) or not isinstance(other, Real):
        raise TypeError(f"Value supports arithmetic with Value, int or float, got {type(other).__name__}")
    return Value(float(other), requires_grad=False)  # a number in an expression is a constant, as in torch


class Value:
    """A scalar that remembers how it was computed, so that :meth:`backward` can differentiate through it.

    Args:
        data: the number (int or float; stored as float).
        _children: the Values this one was computed from (set by the operators).
        _op: the operator's name, for display.
        label: an optional name, e.g. ``"w1"``.
        requires_grad: keyword-only; ``False`` makes a constant: it gets no gradient, and a result computed only
            from constants is a constant too (as in torch, whose default is ``False``; ours is ``True``).
    """

    __slots__ = ("data", "grad", "_backward", "_prev", "_op", "label", "requires_grad", "_saves", "_freed")

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = "", *,
                 requires_grad: bool = True):
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value holds an int or float, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label
        self.requires_grad = bool(requires_grad)
        if self._prev:  # an operator's result: tracked when any input is
            self.requires_grad = any(c.requires_grad for c in self._prev)
            if not self.requires_grad:
                self._prev = ()
        self._saves = True     # does the backward rule read saved values? (add and neg do not)
        self._freed = False    # set by a backward pass without retain_graph

    def _set_backward(self, rule: Callable[[], None], saves: bool = True) -> Value:
        if self._prev:
            self._backward = rule
        self._saves = saves
        return self

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    # -- binary operators -------------------------------------------------------------------------------------
    def __add__(self, other) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(x+y)/dx = 1, d(x+y)/dy = 1
            self.grad += out.grad
            other.grad += out.grad

        return out._set_backward(_backward, saves=False)

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(xy)/dx = y, d(xy)/dy = x
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        return out._set_backward(_backward)

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            # x**y = exp(y log x), defined for x > 0
            return (exponent * self.log()).exp()
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"exponent must be an int, float or Value, got {type(exponent).__name__}")
        exponent = float(exponent)
        out = Value(_pow(self.data, exponent), (self,), f"**{exponent:g}")

        def _backward():  # d(x^n)/dx = n x^(n-1); torch defines it as 0 for n = 0, even at x = 0
            if exponent != 0:
                self.grad += exponent * _pow(self.data, exponent - 1) * out.grad

        return out._set_backward(_backward)

    def __neg__(self) -> Value:
        out = Value(-self.data, (self,), "neg")

        def _backward():  # d(-x)/dx = -1
            self.grad -= out.grad

        return out._set_backward(_backward, saves=False)

    def __sub__(self, other) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other) -> Value:
        return self * _as_value(other) ** -1

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return _as_value(other) - self

    def __rtruediv__(self, other) -> Value:
        return _as_value(other) / self

    def __rpow__(self, base) -> Value:
        return _as_value(base) ** self

    # -- functions ------------------------------------------------------------------------------------------
    def exp(self) -> Value:
        """:math:`e^x`, whose derivative is itself."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        return out._set_backward(_backward)

    def log(self) -> Value:
        """Natural logarithm, :math:`d \\log x / dx = 1/x`; requires ``x > 0``."""
        if self.data <= 0:
            raise ValueError(f"log is defined for positive values only, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        return out._set_backward(_backward)

    def tanh(self) -> Value:
        """:math:`\\tanh x`, with :math:`d \\tanh x / dx = 1 - \\tanh^2 x`."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad

        return out._set_backward(_backward)

    def sigmoid(self) -> Value:
        """:math:`\\sigma(x) = 1/(1+e^{-x})`, with :math:`\\sigma' = \\sigma (1 - \\sigma)`."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        return out._set_backward(_backward)

    def relu(self) -> Value:
        """:math:`\\max(0, x)`; its derivative is 1 for ``x > 0`` and 0 otherwise (torch's convention at 0)."""
        x = self.data
        out = Value(x if x > 0 or math.isnan(x) else 0.0, (self,), "relu")  # relu(nan) is nan, as in torch

        def _backward():
            self.grad += (0.0 if self.data <= 0 else 1.0) * out.grad  # torch's rule: nan passes the gradient

        return out._set_backward(_backward)

    # -- the backward pass ----------------------------------------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every Value this one depends on (itself included), each after all of its inputs."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # iterative depth-first search, so deep graphs do not hit the recursion limit
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child in node._prev:
                if id(child) not in seen:
                    stack.append((child, False))
        return order

    def backward(self, gradient: float | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: None = None) -> None:
        """Add :math:`\\partial\\,\\text{self} / \\partial v` to ``grad`` of every leaf ``v`` of the graph.

        As in torch: leaves *accumulate* across passes (call :meth:`zero_grad` between them); every intermediate
        node's ``grad`` is recomputed from 0; the graph is freed unless ``retain_graph=True``, and a second pass
        through a freed graph raises torch's ``RuntimeError``.

        Args:
            gradient: :math:`\\partial L / \\partial\\,\\text{self}`; default 1.
            retain_graph: keep the graph for another backward pass (default: ``create_graph``).
            create_graph: higher-order gradients; not supported here (must be False).
            inputs: restrict the pass to some leaves; not supported here (must be None).
        """
        if create_graph:
            raise ValueError("create_graph=True (gradients of gradients) is not supported by Value; use torch")
        if inputs is not None:
            raise ValueError("inputs= is not supported by Value: backward() fills the gradient of every leaf")
        if not self.requires_grad:
            raise RuntimeError(NO_GRAD_ERROR)
        retain = create_graph if retain_graph is None else retain_graph
        order = self.topological_order()
        if any(node._freed and node._saves for node in order):
            raise RuntimeError(FREED_GRAPH_ERROR)
        for node in order:
            if node._prev:  # an intermediate node: a fresh adjoint for this pass
                node.grad = 0.0
        self.grad += 1.0 if gradient is None else float(_as_value(gradient).data)
        for node in reversed(order):
            node._backward()
        for node in order:
            if not node.requires_grad:  # constants get no gradient
                node.grad = 0.0
            elif node._prev and not retain:
                node._freed = True

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 for every Value in this graph (torch: ``optimizer.zero_grad()`` on the leaves)."""
        for node in self.topological_order():
            node.grad = 0.0
