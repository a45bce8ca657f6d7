"""Low-rank adaptation (LoRA) from scratch (book: Chapter 6, "Fine-tuning and LoRA").

Hu et al. (2022): to adapt a pre-trained linear layer ``y = W x + b`` (W: out x in), freeze ``W`` and ``b`` and
learn a low-rank update ``Delta W = B A`` with ``A`` (r x in) and ``B`` (out x r), ``r`` much smaller than in and
out::

    y = W x + b + (alpha / r) * B (A x)

``B`` starts at zero, so the adapted network starts exactly as the pre-trained one; only ``r (in + out)``
numbers per layer are trained instead of ``in * out``. After training, :meth:`LoRALinear.merge` folds ``B A``
into ``W``, so inference costs nothing extra.

torch has no LoRA layer; the names ``lora_A``/``lora_B``, ``r``, ``lora_alpha`` follow the paper and its reference
code.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["LoRALinear", "add_lora", "count_trainable"]


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` (``base``) plus a trainable low-rank update ``(lora_alpha / r) * lora_B @ lora_A``.

    Args:
        base: the pre-trained layer; its parameters get ``requires_grad=False``.
        r: the rank of the update (>= 1).
        lora_alpha: scale; the update is multiplied by ``lora_alpha / r``.
    Shape: input (..., in_features), output (..., out_features).
    """

    def __init__(self, base: nn.Linear, r: int = 4, lora_alpha: float = 1.0) -> None:
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"LoRALinear wraps an nn.Linear, got {type(base).__name__}")
        if not isinstance(r, int) or r < 1:
            raise ValueError(f"r must be a positive int, got {r!r}")
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.r = r
        self.lora_alpha = lora_alpha
        self.scaling = lora_alpha / r
        factory = {"device": base.weight.device, "dtype": base.weight.dtype}
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **factory))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **factory))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))   # as the reference code; B = 0 makes BA = 0

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self.base(input) + (input @ self.lora_A.T @ self.lora_B.T) * self.scaling

    @torch.no_grad()
    def merge(self) -> nn.Linear:
        """A plain ``nn.Linear`` with ``W + scaling * B A``: the same function, no extra cost."""
        merged = nn.Linear(self.in_features, self.out_features, bias=self.base.bias is not None,
                           device=self.base.weight.device, dtype=self.base.weight.dtype)
        merged.weight.copy_(self.base.weight + self.scaling * self.lora_B @ self.lora_A)
        if self.base.bias is not None:
            merged.bias.copy_(self.base.bias)
        return merged

    def extra_repr(self) -> str:
        return f"r={self.r}, lora_alpha={self.lora_alpha}"


def add_lora(model: nn.Module, target_modules: Iterable[str], r: int = 4, lora_alpha: float = 1.0,
             freeze: bool = True) -> nn.Module:
    """Replace the named ``nn.Linear`` submodules of ``model`` by :class:`LoRALinear` wrappers, in place.

    Args:
        model: any module.
        target_modules: dotted names as in ``model.named_modules()``, e.g. ``["net.0", "net.2"]``.
        r, lora_alpha: passed to every :class:`LoRALinear`.
        freeze: first set ``requires_grad=False`` on every parameter of ``model``, so that only the adapters
            train (unfreeze a head afterwards if you want it trained too).

    Returns:
        ``model``.
    """
    names = list(target_modules)
    modules = dict(model.named_modules())
    for name in names:
        if name not in modules:
            raise KeyError(f"no submodule named {name!r}; known Linear layers: "
                           f"{[n for n, m in modules.items() if isinstance(m, nn.Linear)]}")
        if not isinstance(modules[name], nn.Linear):
            raise TypeError(f"{name!r} is a {type(modules[name]).__name__}, not an nn.Linear")
    if freeze:
        for p in model.parameters():
            p.requires_grad_(False)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoRALinear(modules[name], r=r, lora_alpha=lora_alpha))
    return model


def count_trainable(model: nn.Module) -> int:
    """The number of parameters with ``requires_grad``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
