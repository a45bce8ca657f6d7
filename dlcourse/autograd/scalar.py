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
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real

__all__ = ["Value"]


def _as_value(other) -> Value:
    if isinstance(other, Value):
        return other
    if isinstance(other, bool) or not isinstance(other, Real):
        raise TypeError(f"Value supports arithmetic with Value, int or float, got {type(other).__name__}")
    return Value(float(other))


class Value:
    """A scalar that remembers how it was computed, so that :meth:`backward` can differentiate through it.

    Args:
        data: the number (int or float; stored as float).
        _children: the Values this one was computed from (set by the operators).
        _op: the operator's name, for display.
        label: an optional name, e.g. ``"w1"``.
    """

    __slots__ = ("data", "grad", "_backward", "_prev", "_op", "label")

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = ""):
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value holds an int or float, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

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

        out._backward = _backward
        return out

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(xy)/dx = y, d(xy)/dy = x
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            # x**y = exp(y log x), defined for x > 0
            return (exponent * self.log()).exp()
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"exponent must be an int, float or Value, got {type(exponent).__name__}")
        exponent = float(exponent)
        out = Value(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward():  # d(x^n)/dx = n x^(n-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1.0

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

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm, :math:`d \\log x / dx = 1/x`; requires ``x > 0``."""
        if self.data <= 0:
            raise ValueError(f"log is defined for positive values only, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """:math:`\\tanh x`, with :math:`d \\tanh x / dx = 1 - \\tanh^2 x`."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """:math:`\\sigma(x) = 1/(1+e^{-x})`, with :math:`\\sigma' = \\sigma (1 - \\sigma)`."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """:math:`\\max(0, x)`; its derivative is 1 for ``x > 0`` and 0 otherwise (torch's convention at 0)."""
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

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

    def backward(self) -> None:
        """Fill ``grad`` of every Value in the graph with :math:`\\partial\\,\\text{self} / \\partial v`.

        Gradients *accumulate* (like torch's ``.grad``): call :meth:`zero_grad` between passes.
        """
        order = self.topological_order()
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 for every Value in this graph."""
        for node in self.topological_order():
            node.grad = 0.0
