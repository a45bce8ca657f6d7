"""The optimizer base class, mirroring ``torch.optim.Optimizer`` (book: Chapter 6, "Optimizers").

An optimizer owns ``param_groups`` (a list of dicts: the tensors it updates, ``"params"``, plus that group's
hyper-parameters) and ``state`` (a dict from each parameter tensor to its buffers, such as Adam's ``exp_avg``).
``step()`` reads every ``p.grad`` and updates ``p`` in place. ``state_dict()`` replaces each tensor key by its
position (0, 1, 2, ... across the groups, in order), so a checkpoint holds no parameters; ``load_state_dict``
zips those positions back onto this optimizer's parameters. The layout is torch's, so a torch optimizer loads
ours and ours loads torch's.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import torch

__all__ = ["Optimizer", "ParamsT"]

ParamsT = Iterable[torch.Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, torch.Tensor]]


def _scalar_dtype() -> torch.dtype:
    """The dtype of the ``step`` counter: torch's rule (float64 only when that is the default dtype)."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


def _check_lr(lr: Any) -> None:
    if isinstance(lr, torch.Tensor):
        raise ValueError("a Tensor lr only makes sense with capturable=True or fused=True, which dlcourse does "
                         "not implement; pass a float")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _reject_switches(name: str, *, fused: bool | None = None, capturable: bool = False,
                     differentiable: bool = False, foreach: bool | None = None) -> None:
    """Torch's implementation switches are accepted; the values dlcourse does not implement are rejected."""
    if fused:
        raise ValueError(f"{name}: fused=True is not implemented in dlcourse (torch's fused kernels); "
                         "use fused=None or False")
    if capturable:
        raise ValueError(f"{name}: capturable=True (CUDA graphs) is not implemented in dlcourse; use False")
    if differentiable:
        raise ValueError(f"{name}: differentiable=True is not implemented in dlcourse; use False")
    if foreach not in (None, True, False):
        raise ValueError(f"{name}: foreach must be None, True or False, got {foreach!r}")


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``, ``load_state_dict``.

    Args:
        params: tensors, ``(name, tensor)`` pairs, or dicts each defining a parameter group (``{"params": [...],
            "lr": ...}``); a group's missing hyper-parameters come from ``defaults``.
        defaults: the optimizer's hyper-parameters and their default values.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[torch.Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, torch.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {torch.typename(params)}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k not in ("params", "param_names")]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with ``"params"``); unspecified hyper-parameters take the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, torch.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        items = param_group["params"]
        if items and all(isinstance(p, tuple) and len(p) == 2 for p in items):
            param_group["param_names"] = [name for name, _ in items]
            param_group["params"] = [p for _, p in items]
        for p in param_group["params"]:
            if not isinstance(p, torch.Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {torch.typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every gradient: set ``p.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Update every parameter that has a gradient; ``closure`` re-evaluates the loss and returns it."""
        raise NotImplementedError

    def _closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, torch's layout."""
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, torch.Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict`` (ours or torch's): saved positions are zipped onto this optimizer's parameters,
        state tensors are cast to each parameter's dtype and device (``step`` is kept as it is), and the saved
        groups' hyper-parameters, extra keys included, replace the current ones."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))

        def cast(param: torch.Tensor, value: Any, key: Any = None) -> Any:
            if isinstance(value, torch.Tensor):
                if key == "step":
                    return value.clone()
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device).clone()
                return value.to(device=param.device).clone()
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            return copy.deepcopy(value)

        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                state[id_map[key]] = cast(id_map[key], value)
            else:
                state[key] = value
        groups = []
        for group, new in zip(self.param_groups, saved_groups):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            groups.append(new)
        self.__setstate__({"state": state, "param_groups": groups})

    def _params_with_grad(self, group: dict[str, Any]) -> list[torch.Tensor]:
        params = [p for p in group["params"] if p.grad is not None]
        for p in params:
            if p.grad.is_sparse:
                raise RuntimeError(f"{self.__class__.__name__} does not support sparse gradients")
        return params

    def _step_tensor(self, state: dict[str, Any]) -> torch.Tensor:
        """The ``step`` counter as torch keeps it: a 0-d float tensor on the CPU (converted if loaded as a number)."""
        step = state.get("step")
        if not isinstance(step, torch.Tensor):
            step = torch.tensor(float(step or 0.0), dtype=_scalar_dtype())
            state["step"] = step
        return step
