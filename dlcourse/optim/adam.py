"""Adam and AdamW, mirroring ``torch.optim.Adam`` and ``torch.optim.AdamW`` (book: Chapter 6, "RMSprop and Adam").

Kingma and Ba (2015): momentum on the gradient (first moment ``m``) and RMSprop's running square (second moment
``v``), both started at zero and therefore biased towards zero early on; dividing by ``1 - beta^t`` removes that
bias. For gradient ``g`` at step ``t``::

    m = beta1 * m + (1 - beta1) g           ("exp_avg")
    v = beta2 * v + (1 - beta2) g^2         ("exp_avg_sq";  amsgrad keeps its running maximum, "max_exp_avg_sq")
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

L2 regularisation in Adam adds ``weight_decay * p`` to ``g``, so the decay too is divided by ``sqrt(v)``.
Loshchilov and Hutter (2019) decouple it (AdamW): ``p = p * (1 - lr * weight_decay)`` before the Adam step.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .optimizer import Optimizer, ParamsT, _check_lr, _reject_switches, _scalar_dtype

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """``torch.optim.Adam``: same arguments, defaults, state names (``step``, ``exp_avg``, ``exp_avg_sq``,
    ``max_exp_avg_sq``) and trajectories.

    ``foreach=True`` uses torch's multi-tensor ``_foreach`` kernels (one Python pass per group instead of one per
    tensor); ``None`` and ``False`` run the per-tensor loop. ``capturable``, ``differentiable`` and ``fused`` are
    accepted at their defaults only.
    """

    def __init__(self, params: ParamsT, lr: float | torch.Tensor = 0.001,
                 betas: tuple[float | torch.Tensor, float | torch.Tensor] = (0.9, 0.999), eps: float = 1e-08,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if any(isinstance(b, torch.Tensor) for b in betas):
            raise ValueError("Tensor betas are only used with capturable/fused; pass floats")
        _reject_switches(type(self).__name__, fused=fused, capturable=capturable, differentiable=differentiable,
                         foreach=foreach)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("amsgrad", False), ("maximize", False), ("foreach", None), ("capturable", False),
                               ("differentiable", False), ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(key, value)
            for p in group["params"]:
                if self.state.get(p):
                    self._step_tensor(self.state[p])

    def _init_state(self, p: torch.Tensor, amsgrad: bool) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            if amsgrad:
                state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter with a gradient. Returns ``closure()``'s loss if given."""
        loss = self._closure(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            if params:
                (self._foreach_step if group["foreach"] else self._single_step)(group, params)
        return loss

    def _single_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p in params:
            g = p.grad if not group["maximize"] else -p.grad
            state = self._init_state(p, group["amsgrad"])
            step_t = self._step_tensor(state)
            step_t += 1
            if wd != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * wd)
                else:
                    g = g.add(p, alpha=wd)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(g, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            step = step_t.item()
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if group["amsgrad"]:
                torch.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                denom = (state["max_exp_avg_sq"].sqrt() / bias_correction2_sqrt).add_(eps)
            else:
                denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            p.addcdiv_(exp_avg, denom, value=-step_size)

    def _foreach_step(self, group: dict[str, Any], params: list[torch.Tensor]) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        states = [self._init_state(p, group["amsgrad"]) for p in params]
        grads = [p.grad for p in params]
        if group["maximize"]:
            grads = torch._foreach_neg(grads)
        steps = [self._step_tensor(s) for s in states]
        torch._foreach_add_(steps, 1)
        if wd != 0:
            if group["decoupled_weight_decay"]:
                torch._foreach_mul_(params, 1 - lr * wd)
            else:
                grads = torch._foreach_add(grads, params, alpha=wd)
        exp_avgs, exp_avg_sqs = [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states]
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        counts = [s.item() for s in steps]
        step_sizes = [-lr / (1 - beta1 ** t) for t in counts]
        bias_correction2_sqrt = [(1 - beta2 ** t) ** 0.5 for t in counts]
        if group["amsgrad"]:
            maxes = [s["max_exp_avg_sq"] for s in states]
            torch._foreach_maximum_(maxes, exp_avg_sqs)
            denom = torch._foreach_sqrt(maxes)
        else:
            denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, step_sizes)


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay (default ``weight_decay=0.01``)."""

    def __init__(self, params: ParamsT, lr: float | torch.Tensor = 0.001,
                 betas: tuple[float | torch.Tensor, float | torch.Tensor] = (0.9, 0.999), eps: float = 1e-08,
                 weight_decay: float = 0.01, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
