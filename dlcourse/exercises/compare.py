"""Comparing a learner's answer with the reference, the same way in ``check`` and in the grader (book: "Grading").

Both sides are first turned into *plain data*: NumPy arrays (from tensors, arrays, numbers and bools), strings,
``None``, and lists/dicts of these. Anything else (a custom object, a generator, a module) is refused, so an
object with a rigged ``__eq__`` cannot pass. The comparison then checks, in this order: the structure (list
length, dict keys), the kind of each leaf (array vs string), the dtype kind (bool, integer, float, complex), the
shape, and only then the values, with ``|got - expected| <= atol + rtol * |expected|`` (NaN equal to NaN).

Plain data can be stored without pickle (:func:`save_plain` / :func:`load_plain`), which is how results come
back from the grader's sandbox.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["to_plain", "compare", "Comparison", "save_plain", "load_plain", "describe"]

_KINDS = {"b": "bool", "i": "integer", "u": "integer", "f": "float", "c": "complex"}


def _tensor_to_numpy(x: Any) -> np.ndarray:
    import torch

    x = x.detach()
    if x.is_sparse or getattr(x, "layout", torch.strided) != torch.strided:
        x = x.to_dense()
    if x.dtype in (torch.bfloat16, torch.float16):
        x = x.float()
    return x.cpu().resolve_conj().resolve_neg().numpy().copy()


def to_plain(obj: Any, where: str = "the answer") -> Any:
    """Convert ``obj`` to plain data (see the module docstring); raise ``TypeError`` for anything else.

    Only exact built-in types are accepted (a subclass of ``float`` or ``tuple`` could override comparison).
    """
    t = type(obj)
    if obj is None or t is str:
        return obj
    if t in (bool, int, float, complex) or t.__module__ == "numpy" and isinstance(obj, np.generic):
        arr = np.asarray(obj)
        if arr.dtype.kind not in _KINDS:
            raise TypeError(f"{where}: unsupported NumPy scalar of dtype {arr.dtype}")
        return arr
    if t is np.ndarray:
        if obj.dtype.kind not in _KINDS:
            raise TypeError(f"{where}: an array of dtype {obj.dtype} (expected numbers or bools)")
        return np.array(obj, copy=True)
    if t.__module__.startswith("torch"):
        import torch

        if isinstance(obj, torch.Tensor) and t in (torch.Tensor, torch.nn.Parameter):
            return _tensor_to_numpy(obj)
        if t is torch.Size:
            return [np.asarray(int(v)) for v in obj]
    if t in (tuple, list):
        return [to_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if t is dict:
        out = {}
        for k, v in obj.items():
            if type(k) is not str:
                raise TypeError(f"{where}: dict keys must be strings, got {type(k).__name__}")
            out[k] = to_plain(v, f"{where}[{k!r}]")
        return out
    raise TypeError(f"{where} is a {t.__module__}.{t.__qualname__}; expected a tensor, an array, a number, "
                    "or a tuple/list/dict of these")


def describe(x: Any) -> str:
    """A short description of plain data: ``float array of shape (3, 4)``, ``list of 2``, ..."""
    if isinstance(x, np.ndarray):
        kind = _KINDS.get(x.dtype.kind, str(x.dtype))
        if x.ndim == 0:
            return f"{kind} scalar ({x.dtype})"
        return f"{kind} array of shape {tuple(x.shape)} ({x.dtype})"
    if isinstance(x, list):
        return f"a sequence of {len(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x)}"
    if x is None:
        return "None"
    return f"the string {x!r}"


def _short(a: np.ndarray, n: int = 6) -> str:
    flat = a.reshape(-1)
    body = np.array2string(flat[:n], precision=5, separator=", ", suppress_small=True)
    return body[:-1] + (", ...]" if flat.size > n else "]") if a.ndim else np.array2string(a, precision=6)


@dataclass
class Comparison:
    """The outcome of :func:`compare`: ``ok``, a message saying where it differs, the largest difference."""

    ok: bool
    message: str = ""
    max_diff: float = 0.0
    where: str = ""


def compare(expected: Any, got: Any, rtol: float = 1e-6, atol: float = 1e-8, where: str = "the answer") -> Comparison:
    """Compare plain data ``got`` with ``expected`` (structure, dtype kind, shape, then values)."""
    if isinstance(expected, list) or isinstance(expected, dict):
        if type(got) is not type(expected):
            return Comparison(False, f"{where}: expected {describe(expected)}, got {describe(got)}", where=where)
        if isinstance(expected, list):
            if len(got) != len(expected):
                return Comparison(False, f"{where}: expected {describe(expected)}, got {describe(got)}", where=where)
            items = [(f"{where}[{i}]", e, g) for i, (e, g) in enumerate(zip(expected, got))]
        else:
            if set(got) != set(expected):
                return Comparison(False, f"{where}: expected keys {sorted(expected)}, got {sorted(got)}", where=where)
            items = [(f"{where}[{k!r}]", expected[k], got[k]) for k in expected]
        worst = Comparison(True)
        for w, e, g in items:
            c = compare(e, g, rtol, atol, w)
            if not c.ok:
                return c
            worst.max_diff = max(worst.max_diff, c.max_diff)
        return worst
    if expected is None or isinstance(expected, str):
        if got == expected and type(got) is type(expected):
            return Comparison(True)
        return Comparison(False, f"{where}: expected {describe(expected)}, got {describe(got)}", where=where)
    # arrays
    if not isinstance(got, np.ndarray):
        return Comparison(False, f"{where}: expected {describe(expected)}, got {describe(got)}", where=where)
    ek, gk = _KINDS[expected.dtype.kind], _KINDS.get(got.dtype.kind, str(got.dtype))
    if ek != gk:
        return Comparison(False, f"{where}: expected dtype kind {ek} ({expected.dtype}), got {gk} ({got.dtype})",
                          where=where)
    if expected.shape != got.shape:
        return Comparison(False, f"{where}: expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}",
                          where=where)
    if ek in ("bool", "integer"):
        bad = expected != got
        diff = float(np.abs(expected.astype(np.float64) - got.astype(np.float64)).max()) if got.size else 0.0
    else:
        e, g = expected.astype(np.complex128 if ek == "complex" else np.float64), got.astype(
            np.complex128 if ek == "complex" else np.float64)
        both_nan = np.isnan(e) & np.isnan(g)
        with np.errstate(invalid="ignore", over="ignore"):
            d = np.abs(g - e)
            bad = ~((d <= atol + rtol * np.abs(e)) | both_nan | (e == g))
        d = np.where(both_nan | (e == g), 0.0, d)
        diff = float(np.nanmax(np.where(np.isnan(d), np.inf, d))) if d.size else 0.0
    if not bad.any():
        return Comparison(True, max_diff=diff)
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    msg = (f"{where}: values differ at {int(bad.sum())} of {bad.size} entries; largest difference {diff:.3g}; "
           f"first at index {idx}: expected {expected[idx].item()!r}, got {got[idx].item()!r}\n"
           f"    expected {_short(expected)}\n    got      {_short(got)}")
    return Comparison(False, msg, max_diff=diff, where=where)


# ---------------------------------------------------------------- storage without pickle
def _flatten(x: Any, arrays: list) -> Any:
    if isinstance(x, np.ndarray):
        arrays.append(x)
        return {"a": len(arrays) - 1}
    if isinstance(x, list):
        return {"l": [_flatten(v, arrays) for v in x]}
    if isinstance(x, dict):
        return {"d": {k: _flatten(v, arrays) for k, v in x.items()}}
    return {"s": x}  # str or None


def _unflatten(node: Any, arrays: dict) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError("malformed result structure")
    (tag, v), = node.items()
    if tag == "a":
        a = arrays[f"a{int(v)}"]
        if a.dtype.kind not in _KINDS:
            raise ValueError(f"result array of unsupported dtype {a.dtype}")
        return a
    if tag == "l":
        return [_unflatten(n, arrays) for n in v]
    if tag == "d":
        return {str(k): _unflatten(n, arrays) for k, n in v.items()}
    if tag == "s" and (v is None or isinstance(v, str)):
        return v
    raise ValueError("malformed result structure")


def save_plain(path: str, values: list, meta: dict | None = None) -> None:
    """Store a list of plain-data values (and a JSON-able ``meta`` dict) in an ``.npz`` file, without pickle."""
    arrays: list = []
    structure = json.dumps({"values": [_flatten(v, arrays) for v in values], "meta": meta or {}})
    np.savez(path, __structure__=np.array(structure), **{f"a{i}": a for i, a in enumerate(arrays)})


def load_plain(path: str) -> tuple[list, dict]:
    """Read what :func:`save_plain` wrote (``allow_pickle=False``): ``(values, meta)``."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    doc = json.loads(str(arrays.pop("__structure__")))
    return [_unflatten(n, arrays) for n in doc["values"]], dict(doc.get("meta", {}))
