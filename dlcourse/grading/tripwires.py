"""Run-time tripwires in the sandbox: forbidden callables that fire when the submission calls them (book: "Grading").

A forbidden name (``torch.clamp``, ``dlcourse.nn``) is resolved to its objects, and every reference to them in
the loaded torch and ``dlcourse`` modules (and ``torch.Tensor``) is replaced by a wrapper that raises
:class:`ForbiddenCall` when the submission's own code (compiled as ``SUBMISSION_FILENAME``) is on the call
stack, and otherwise calls the original, so the exercise's harness is unaffected. A forbidden ``dlcourse``
package covers every loaded submodule (the fork server imports them all), so a built import name reaches no
original. The masters' references become tripwires too.
"""
from __future__ import annotations

import sys

__all__ = ["ForbiddenCall", "SUBMISSION_FILENAME", "submission_on_stack", "install_tripwires", "guard_references",
           "wire"]

SUBMISSION_FILENAME = "<submission>"


class ForbiddenCall(BaseException):
    """Raised by a tripwire; a BaseException so that ``except Exception`` in the submission does not hide it."""


def submission_on_stack() -> bool:
    """Whether the submission's own code is on the Python stack (call it from a tripwire: it skips two frames)."""
    f = sys._getframe(2)
    while f is not None:
        if f.f_code.co_filename == SUBMISSION_FILENAME:
            return True
        f = f.f_back
    return False


def install_tripwires(forbidden: tuple[str, ...], tripped: list) -> None:
    import importlib
    import inspect

    import torch

    targets: dict[int, tuple[object, str]] = {}

    def resolve(dotted: str):
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            try:
                for p in parts[i:]:
                    obj = getattr(obj, p)
            except AttributeError:
                return None
            return obj
        return None

    for name in forbidden:
        obj = resolve(name)
        if obj is None:
            continue
        objs = [(obj, name)]
        if inspect.ismodule(obj):  # a dlcourse package: it and every loaded submodule (reachable by a built name)
            deep = obj.__name__.startswith("dlcourse")  # torch.autograd must not forbid torch.no_grad
            mods = [m for n, m in list(sys.modules.items())
                    if m is not None and (n == obj.__name__ or deep and n.startswith(obj.__name__ + "."))]
            objs = [(v, f"{m.__name__}.{k}") for m in mods for k, v in vars(m).items()
                    if not k.startswith("_") and callable(v) and getattr(v, "__module__", "") == m.__name__]
        for o, n in objs:
            targets[id(o)] = (o, n)
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "torch" and hasattr(torch.Tensor, parts[1]):
            m = getattr(torch.Tensor, parts[1])
            targets[id(m)] = (m, f"torch.Tensor.{parts[1]}")
    if not targets:
        return

    def make(orig, label):
        if isinstance(orig, type):
            init = orig.__init__

            def __init__(self, *a, **k):
                if submission_on_stack():
                    tripped.append(label)
                    raise ForbiddenCall(f"uses {label}, which this exercise forbids")
                return init(self, *a, **k)
            return __init__

        def tripwire(*a, **k):
            if submission_on_stack():
                tripped.append(label)
                raise ForbiddenCall(f"uses {label}, which this exercise forbids")
            return orig(*a, **k)
        tripwire.__name__ = getattr(orig, "__name__", "tripwire")
        return tripwire

    wrappers = {i: make(o, n) for i, (o, n) in targets.items()}
    for i, (o, _n) in targets.items():
        if isinstance(o, type):
            try:
                o.__init__ = wrappers[i]
            except TypeError:
                pass
    # replace every reference to a forbidden callable in torch's and dlcourse's modules and in torch.Tensor
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname.startswith("torch") or modname.startswith("dlcourse")):
            continue
        try:
            items = list(vars(mod).items())
        except TypeError:
            continue
        for k, v in items:
            if id(v) in targets and not isinstance(v, type):
                try:
                    setattr(mod, k, wrappers[id(v)])
                except (AttributeError, TypeError):
                    pass
    for k, v in list(vars(torch.Tensor).items()):
        if id(v) in targets:
            setattr(torch.Tensor, k, wrappers[id(v)])


def guard_references(all_exercises: list, tripped: list) -> None:
    """The masters' ``reference`` attributes become tripwires too (the registry is not a way around them)."""
    def guard(ref, label):
        def reference(*a, **k):
            if submission_on_stack():
                tripped.append(label)
                raise ForbiddenCall(f"uses {label}, the reference solution")
            return ref(*a, **k)
        return reference

    for ex in all_exercises:
        object.__setattr__(ex, "reference", guard(ex.reference, f"the reference of exercise {ex.id}"))
        object.__setattr__(ex, "mistakes", ())


def wire(orig, label: str, tripped: list):
    """A callable that raises :class:`ForbiddenCall` when the submission's code calls it, else calls ``orig``."""
    def tripwire(*a, **k):
        if submission_on_stack():
            tripped.append(label)
            raise ForbiddenCall(f"uses {label}, which this exercise forbids")
        return orig(*a, **k)
    tripwire.__name__ = getattr(orig, "__name__", "tripwire")
    return tripwire
