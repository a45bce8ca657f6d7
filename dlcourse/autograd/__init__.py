"""Reverse-mode automatic differentiation from scratch (book: Chapter 3): scalars, then tensors."""
from .scalar import Value
from .tensor import Tensor, unbroadcast

__all__ = ["Value", "Tensor", "unbroadcast"]
