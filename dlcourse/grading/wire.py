"""The sandbox's result format: sizes declared up front, checked before anything is allocated (book: "Grading").

A result is one byte string, written by the sandboxed child to a pipe and read by the grader with a byte cap::

    b"DLCRES1\\n" | 8-byte little-endian length N | N bytes of JSON | one plain .npy file per array

The JSON holds ``{"structure": [...], "meta": {...}, "arrays": K}``; ``structure`` describes each value as in
:func:`dlcourse.exercises.compare.save_plain` (lists, dicts, strings, ``None`` and array indices). Each array is
a version 1.0/2.0/3.0 ``.npy`` file whose header is read with a strict pattern, not ``eval`` and not
``ast.literal_eval`` (which is neither safe across threads in CPython 3.11 nor needed): only bool, integer, float
and complex dtypes, at most 32 dimensions, and ``prod(shape) * itemsize`` checked against the bytes that
actually follow before any array is made. Nothing is compressed, so a small result cannot expand into a large
one.
"""
from __future__ import annotations

import io
import json
import math
import re
import struct

import numpy as np

__all__ = ["encode_result", "decode_result", "ResultError", "MAGIC", "HEADER_LIMIT"]

MAGIC = b"DLCRES1\n"
HEADER_LIMIT = 1 << 20            # bytes of JSON (structure, messages) in one result
_NPY_MAGIC = b"\x93NUMPY"
_NPY_HEADER_LIMIT = 4096
_MAX_ARRAYS = 10_000
_MAX_DIMS = 32
_KINDS = "biufc"
_HEADER = re.compile(r"\{'descr': '([<>|=]?[biufc]\d{1,2})', 'fortran_order': (True|False), "
                     r"'shape': \(((?:\d{1,18}, ?)*(?:\d{1,18})?)\), *\} *\n?")


class ResultError(ValueError):
    """The bytes are not a well-formed result within the limits."""


def encode_result(values: list, meta: dict) -> bytes:
    """The child's side: plain values (see ``compare.to_plain``) and a JSON-able ``meta`` as one byte string."""
    from dlcourse.exercises.compare import _flatten

    arrays: list = []
    structure = [_flatten(v, arrays) for v in values]
    head = json.dumps({"structure": structure, "meta": meta, "arrays": len(arrays)}).encode()
    buf = io.BytesIO()
    buf.write(MAGIC + struct.pack("<Q", len(head)) + head)
    for a in arrays:
        np.lib.format.write_array(buf, a, allow_pickle=False)
    return buf.getvalue()


def _read_npy(data: memoryview, pos: int) -> tuple[np.ndarray, int]:
    if bytes(data[pos:pos + 6]) != _NPY_MAGIC or len(data) < pos + 10:
        raise ResultError("an array is not a .npy file")
    major = data[pos + 6]
    if major == 1:
        hlen, start = struct.unpack("<H", data[pos + 8:pos + 10])[0], pos + 10
    elif major in (2, 3):
        if len(data) < pos + 12:
            raise ResultError("a truncated .npy header")
        hlen, start = struct.unpack("<I", data[pos + 8:pos + 12])[0], pos + 12
    else:
        raise ResultError(f"a .npy file of unknown version {major}")
    if hlen > _NPY_HEADER_LIMIT or start + hlen > len(data):
        raise ResultError("a .npy header that is too long or truncated")
    header = bytes(data[start:start + hlen]).decode("latin1")
    m = _HEADER.fullmatch(header)
    if not m:
        raise ResultError("a .npy header that is not a plain array's")
    dtype = np.dtype(m.group(1))
    if dtype.kind not in _KINDS or dtype.hasobject:
        raise ResultError(f"an array of unsupported dtype {dtype}")
    shape = tuple(int(s) for s in m.group(3).replace(" ", "").split(",") if s)
    if len(shape) > _MAX_DIMS:
        raise ResultError(f"an array with {len(shape)} dimensions")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    begin = start + hlen
    if nbytes > len(data) - begin:  # checked before anything is allocated
        raise ResultError(f"an array declares {nbytes} bytes but only {len(data) - begin} follow")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=begin)
    arr = flat.reshape(shape, order="F" if m.group(2) == "True" else "C").copy()
    return arr, begin + nbytes


def decode_result(data: bytes) -> tuple[list, dict]:
    """The grader's side: ``(values, meta)`` from bytes already read with a cap; :class:`ResultError` if bad."""
    from dlcourse.exercises.compare import _unflatten

    view = memoryview(data)
    if bytes(view[:8]) != MAGIC or len(data) < 16:
        raise ResultError("not a sandbox result")
    (n,) = struct.unpack("<Q", view[8:16])
    if n > HEADER_LIMIT or 16 + n > len(data):
        raise ResultError(f"a result header of {n} bytes (the limit is {HEADER_LIMIT})")
    try:
        doc = json.loads(bytes(view[16:16 + n]).decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise ResultError(f"a result header that is not JSON ({type(err).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("structure"), list) or \
            not isinstance(doc.get("meta"), dict) or type(doc.get("arrays")) is not int:
        raise ResultError("a malformed result header")
    k = doc["arrays"]
    if not 0 <= k <= _MAX_ARRAYS:
        raise ResultError(f"a result with {k} arrays")
    pos, arrays = 16 + n, {}
    for i in range(k):
        arrays[f"a{i}"], pos = _read_npy(view, pos)
    if pos != len(data):
        raise ResultError("bytes after the last array")
    try:
        values = [_unflatten(node, arrays) for node in doc["structure"]]
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise ResultError(f"a malformed result structure ({type(err).__name__})") from None
    return values, doc["meta"]
