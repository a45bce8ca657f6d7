"""Forbidden operations caught at torch's dispatcher, however they were called (book: "Grading", forbidden uses).

The name-based checks (:mod:`.forbidden`, the sandbox's tripwires) miss what never names the forbidden
function: the ``@`` operator, a method looked up by a name built at run time, ``torch.ops.aten.mm``,
``torch._C._VariableFunctions.mm``. All of them reach PyTorch's dispatcher as the same *aten operator*, which a
:class:`~torch.utils._python_dispatch.TorchDispatchMode` sees. :func:`forbidden_ops` turns an exercise's
forbidden names into operator names (products arrive as ``mm``, ``dot``, ``mv``, ``bmm``, ``addmm``, ...; never
as ``matmul``); :class:`ForbiddenOps` is the mode, active in the sandbox while the submission's code runs, and
it counts an operator only when the submission's own code is on the Python stack, so the exercise's harness
(building modules, running backward passes) is not charged.

Composite modules (``nn.LSTMCell``, ``nn.MultiheadAttention``, SDPA) reach the dispatcher as ordinary
``addmm``/``bmm``/... calls, and NumPy never reaches it: those keep their name-based guards.

The mode can be switched off from inside Python. The four ways to do it
(``torch.utils._python_dispatch._disable_current_modes``, ``_pop_mode_temporarily``,
``torch._C._DisableTorchDispatch``, ``torch._C._ExcludeDispatchKeyGuard``) and their relatives are replaced by
tripwires, and :meth:`ForbiddenOps.tampered` checks at the end that the mode is still active and still sees a
canary operator. The mode costs time (an empty one made a 24x24 loop matrix product 5.3x slower), so it is
active only for exercises that forbid operators.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["forbidden_ops", "ForbiddenOps", "TAMPER_NAMES", "PRODUCT_OPS", "warm_up"]

PRODUCT_OPS = ("mm", "dot", "vdot", "mv", "bmm", "addmm", "addmv", "baddbmm", "addbmm", "addr", "outer",
               "matmul", "_mm_plus_mm")
_CONV_OPS = ("convolution", "_convolution", "convolution_overrideable", "mkldnn_convolution",
             "_slow_conv2d_forward", "thnn_conv2d", "conv2d")
#: forbidden name -> the aten operators it arrives as
OPS_FOR_NAME: dict[str, tuple[str, ...]] = {
    **{n: PRODUCT_OPS for n in ("torch.matmul", "torch.mm", "torch.bmm", "torch.mv", "torch.dot", "torch.einsum",
                                "torch.Tensor.matmul", "torch.Tensor.mm", "torch.nn.functional.linear",
                                "numpy.matmul", "numpy.dot")},
    **{n: _CONV_OPS for n in ("torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.Conv2d",
                              "torch.nn.functional.conv_transpose2d")},
    **{n: ("im2col",) for n in ("torch.nn.functional.unfold", "torch.nn.Unfold", "torch.Tensor.unfold")},
    **{n: ("max_pool2d_with_indices", "max_pool2d") for n in ("torch.nn.functional.max_pool2d",
                                                               "torch.max_pool2d", "torch.nn.MaxPool2d",
                                                               "torch.nn.functional.max_pool2d_with_indices")},
    "torch.nn.functional.max_unpool2d": ("max_unpool2d",),
    **{n: ("relu", "relu_") for n in ("torch.relu", "torch.nn.functional.relu", "torch.Tensor.relu",
                                      "torch.nn.ReLU")},
    **{n: ("sigmoid", "sigmoid_") for n in ("torch.sigmoid", "torch.special.expit", "torch.nn.functional.sigmoid",
                                            "torch.Tensor.sigmoid", "torch.nn.Sigmoid")},
    **{n: ("linalg_lstsq",) for n in ("torch.linalg.lstsq",)},
}
#: the ways to switch a dispatch mode off from Python; each is a tripwire while the mode is active
TAMPER_NAMES = ("torch.utils._python_dispatch._disable_current_modes",
                "torch.utils._python_dispatch._pop_mode_temporarily", "torch.utils._python_dispatch._pop_mode",
                "torch._C._DisableTorchDispatch", "torch._C._ExcludeDispatchKeyGuard",
                "torch._C._pop_torch_dispatch_stack", "torch._C._unset_dispatch_mode",
                "torch._C._set_dispatch_mode", "torch._C._DisablePythonDispatcher",
                "torch._C._dispatch_tls_set_dispatch_key_excluded", "torch._C._push_on_torch_dispatch_stack",
                # finding the originals of the above behind the tripwires
                "gc.get_objects", "gc.get_referrers", "gc.get_referents")


def forbidden_ops(forbidden: tuple[str, ...], extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The aten operators an exercise forbids: those its forbidden names arrive as, plus ``extra``."""
    ops: set[str] = set(extra)
    for name in forbidden:
        ops.update(OPS_FOR_NAME.get(name, ()))
    return tuple(sorted(ops))


def _mode_class():
    from torch.utils._python_dispatch import TorchDispatchMode

    class _ForbiddenOps(TorchDispatchMode):
        def __init__(self, owner: ForbiddenOps):
            super().__init__()
            self.owner = owner

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            owner = self.owner
            name = func.overloadpacket.__name__
            if args and args[0] is owner.canary:
                owner.canary_seen += 1
            elif name in owner.ops and owner.on_stack():
                owner.hit(f"the aten operator {name}")
            return func(*args, **(kwargs or {}))

    return _ForbiddenOps


class ForbiddenOps:
    """Record (and refuse) forbidden aten operators called while the submission's code is on the stack.

    ``hit(label)`` is called for each one and is expected to raise (the sandbox's tripwire does);
    ``on_stack()`` says whether the submission's own code is on the Python stack.
    """

    def __init__(self, ops: tuple[str, ...], on_stack: Callable[[], bool], hit: Callable[[str], None]):
        import torch

        self.ops = frozenset(ops)
        self.on_stack = on_stack
        self.hit = hit
        self.canary = torch.ones(2, 2)
        self.canary_seen = 0
        self.mode = _mode_class()(self)

    def __enter__(self) -> ForbiddenOps:
        self.mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.mode.__exit__(*exc)

    def tampered(self) -> str | None:
        """Why the mode no longer works, or None: it must be on the mode stack and see a canary operator."""
        import torch
        from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

        if not any(m is self.mode for m in _get_current_dispatch_mode_stack()):
            return "the grader's dispatch mode was removed"
        if torch._C._dispatch_tls_is_dispatch_key_excluded(torch._C.DispatchKey.Python):
            return "the Python dispatch key was excluded"
        seen = self.canary_seen
        torch.ops.aten.mm.default(self.canary, self.canary)
        if self.canary_seen == seen:
            return "the grader's dispatch mode no longer sees operators"
        return None


def warm_up() -> None:
    """Use a mode once, so that the ~800 modules torch imports on first use are loaded (by the fork server, once)."""
    import torch

    guard = ForbiddenOps(("mm",), lambda: False, lambda label: None).__enter__()
    try:
        torch.ones(2, 2) @ torch.ones(2, 2)
        guard.tampered()
    finally:
        guard.__exit__(None, None, None)


def install_tamper_wires(wrap: Callable[[Callable, str], Callable]) -> None:
    """Replace each of :data:`TAMPER_NAMES`, in every loaded torch module that holds it, by ``wrap(orig, name)``.

    One pass over the loaded modules (there are thousands once torch is imported).
    """
    import importlib

    wrappers: dict[int, Callable] = {}
    for dotted in TAMPER_NAMES:
        mod_name, _, attr = dotted.rpartition(".")
        try:
            mod = importlib.import_module(mod_name)
            orig = getattr(mod, attr)
        except (ImportError, AttributeError):
            continue
        wrappers[id(orig)] = wrap(orig, dotted)
        try:
            setattr(mod, attr, wrappers[id(orig)])
        except (AttributeError, TypeError):
            pass
    for name, mod in list(sys.modules.items()):
        if mod is None or not name.startswith("torch"):
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for k, v in items:
            w = wrappers.get(id(v))
            if w is not None:
                try:
                    setattr(mod, k, w)
                except (AttributeError, TypeError):
                    pass
