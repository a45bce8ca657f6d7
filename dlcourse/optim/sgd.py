"""Stochastic gradient descent with momentum and Nesterov momentum, mirroring ``torch.optim.SGD``
(book: Chapter 6, "Momentum").

Torch's update, for gradient ``g`` (plus ``weight_decay * p``), momentum ``mu`` and dampening ``tau``::

    b = g                      on the first step, then
    b = mu * b + (1 - tau) g   (the "momentum_buffer")
    d = g + mu * b             with nesterov=True, else d = b
    p = p - lr * d

Sutskever et al. (2013) write momentum as a velocity that already contains the learning rate::

    v = mu * v - lr * g        p = p + v                 (classical momentum)
    v = mu * v - lr * g(p + mu v)                        (Nesterov: the gradient at the look-ahead point)

With a constant ``lr`` the two are the same trajectory (``v = -lr * b``). They differ when the learning rate
changes: torch's buffer is multiplied by the *new* rate, so a scheduler's change acts on all the accumulated
velocity at once, while the paper's velocity keeps the old gradients at the old rate. Torch's Nesterov step is
the paper's rewritten in terms of the look-ahead point (so only ``grad(p)`` is needed). ``paper_momentum=True``
(keyword-only, ours) uses the paper's velocity form; its state is called ``velocity``, not ``momentum_buffer``,
so a torch checkpoint cannot be loaded into it by mistake.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .optimizer import Optimizer, ParamsT, _check_lr, _reject_switches

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``: same arguments, defaults, state names (``momentum_buffer``) and trajectories.

    Args:
        params: parameters or parameter groups.
        lr, momentum, dampening, weight_decay, nesterov, maximize: as in torch.
        foreach: ``None``/``False``: one update per tensor; ``True``: torch's multi-tensor ``_foreach`` kernels.
        differentiable, fused: accepted; only torch's defaults are implemented.
        paper_momentum: ours, keyword-only: Sutskever et al.'s velocity form (see the module docstring).
    """

    def __init__(self, params: ParamsT, lr: float | torch.Tensor = 0.001, momentum: float = 0,
                 dampening: float = 0, weight_decay: float | torch.Tensor = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None, paper_momentum: bool = False) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if paper_momentum and dampening != 0:
            raise ValueError("paper_momentum=True has no dampening; use dampening=0")
        _reject_switches("SGD", fused=fused, differentiable=differentiable, foreach=foreach)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if paper_momentum:
            defaults["paper_momentum"] = True   # only then, so our state_dict equals torch's by default
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("nesterov", False), ("maximize", False), ("foreach", None),
                               ("differentiable", False), ("fused", None)):
                group.setdefault(key, value)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter with a gradient. Returns ``closure()``'s loss if given."""
        loss = self._closure(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            if not params:
                continue
            if group.get("paper_momentum", False):
                self._paper_step(group, params)
            elif group["foreach"]:
                self._foreach_step(group, params)
            else:
                self._single_step(group, params)
        return loss

    def _single_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        for p in params:
            g = p.grad if not group["maximize"] else -p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)
            if mu != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = torch.clone(g).detach()
                    state["momentum_buffer"] = buf
                else:
                    buf.mul_(mu).add_(g, alpha=1 - tau)
                g = g.add(buf, alpha=mu) if group["nesterov"] else buf
            p.add_(g, alpha=-lr)

    def _foreach_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, mu, tau, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        grads = [p.grad for p in params]
        if group["maximize"]:
            grads = torch._foreach_neg(grads)
        if wd != 0:
            grads = torch._foreach_add(grads, params, alpha=wd)
        if mu != 0:
            bufs = []
            for p, g in zip(params, grads):
                state = self.state[p]
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = torch.clone(g).detach()
                    bufs.append(None)
                else:
                    bufs.append(state["momentum_buffer"])
            old = [b for b in bufs if b is not None]
            if old:
                torch._foreach_mul_(old, mu)
                torch._foreach_add_(old, [g for g, b in zip(grads, bufs) if b is not None], alpha=1 - tau)
            bufs = [self.state[p]["momentum_buffer"] for p in params]
            grads = torch._foreach_add(grads, bufs, alpha=mu) if group["nesterov"] else bufs
        torch._foreach_add_(params, grads, alpha=-lr)

    def _paper_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        """Sutskever et al. (2013): ``v = mu v - lr g; p = p + v`` (Nesterov: ``p = p + mu v - lr g``, the
        same update expressed at the look-ahead point)."""
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        for p in params:
            g = p.grad if not group["maximize"] else -p.grad
            if wd != 0:
                g = g.add(p, alpha=wd)
            state = self.state[p]
            v = state.get("velocity")
            if v is None:
                v = torch.zeros_like(p)
                state["velocity"] = v
            v.mul_(mu).add_(g, alpha=-lr)
            if group["nesterov"]:
                p.add_(v, alpha=mu).add_(g, alpha=-lr)
            else:
                p.add_(v)
