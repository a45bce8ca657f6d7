"""RMSprop, mirroring ``torch.optim.RMSprop`` (book: Chapter 6, "RMSprop and Adam").

Hinton's lecture 6e (2012): divide each gradient by a running root-mean-square of its recent values, so every
weight moves at a similar speed whatever the scale of its gradient. For gradient ``g`` (plus ``weight_decay * p``)::

    s = alpha * s + (1 - alpha) g^2                     ("square_avg")
    centered: a = alpha * a + (1 - alpha) g  ("grad_avg"), and the denominator uses s - a^2 (a variance)
    d = sqrt(s) + eps
    momentum > 0:  b = momentum * b + g / d  ("momentum_buffer");  p = p - lr * b
    otherwise:     p = p - lr * g / d
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .optimizer import Optimizer, ParamsT, _check_lr, _reject_switches, _scalar_dtype

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: same arguments, defaults, state names (``step``, ``square_avg``,
    ``momentum_buffer``, ``grad_avg``) and trajectories. ``capturable`` and ``differentiable`` are accepted at
    their defaults only; ``foreach=True`` uses torch's multi-tensor ``_foreach`` kernels."""

    def __init__(self, params: ParamsT, lr: float | torch.Tensor = 0.01, alpha: float = 0.99, eps: float = 1e-08,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _reject_switches("RMSprop", capturable=capturable, differentiable=differentiable, foreach=foreach)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("momentum", 0), ("centered", False), ("foreach", None), ("maximize", False),
                               ("differentiable", False), ("capturable", False)):
                group.setdefault(key, value)
            for p in group["params"]:
                if self.state.get(p):
                    self._step_tensor(self.state[p])

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter with a gradient. Returns ``closure()``'s loss if given."""
        loss = self._closure(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            if params:
                (self._foreach_step if group["foreach"] else self._single_step)(group, params)
        return loss

    def _init_state(self, p: torch.Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = torch.zeros((), dtype=_scalar_dtype())
            state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if group["momentum"] > 0:
                state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    def _single_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, alpha, eps, wd, mu = group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        for p in params:
            g = p.grad if not group["maximize"] else -p.grad
            state = self._init_state(p, group)
            self._step_tensor(state).add_(1)
            if wd != 0:
                g = g.add(p, alpha=wd)
            square_avg = state["square_avg"]
            square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg.lerp_(g, 1 - alpha)
                avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            else:
                avg = square_avg.sqrt()
            avg = avg.add_(eps)
            if mu > 0:
                buf = state["momentum_buffer"]
                buf.mul_(mu).addcdiv_(g, avg)
                p.add_(buf, alpha=-lr)
            else:
                p.addcdiv_(g, avg, value=-lr)

    def _foreach_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, alpha, eps, wd, mu = group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        states = [self._init_state(p, group) for p in params]
        grads = [p.grad for p in params]
        if group["maximize"]:
            grads = torch._foreach_neg(grads)
        torch._foreach_add_([self._step_tensor(s) for s in states], 1)
        if wd != 0:
            grads = torch._foreach_add(grads, params, alpha=wd)
        square_avgs = [s["square_avg"] for s in states]
        torch._foreach_mul_(square_avgs, alpha)
        torch._foreach_addcmul_(square_avgs, grads, grads, value=1 - alpha)
        if group["centered"]:
            grad_avgs = [s["grad_avg"] for s in states]
            torch._foreach_lerp_(grad_avgs, grads, 1 - alpha)
            avg = torch._foreach_addcmul(square_avgs, grad_avgs, grad_avgs, value=-1)
            torch._foreach_sqrt_(avg)
        else:
            avg = torch._foreach_sqrt(square_avgs)
        torch._foreach_add_(avg, eps)
        if mu > 0:
            bufs = [s["momentum_buffer"] for s in states]
            torch._foreach_mul_(bufs, mu)
            torch._foreach_addcdiv_(bufs, grads, avg)
            torch._foreach_add_(params, bufs, alpha=-lr)
        else:
            torch._foreach_addcdiv_(params, grads, avg, value=-lr)
