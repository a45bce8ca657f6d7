"""Every dotted name an exercise forbids resolves to a real object.

The grader's tripwires skip a name that no longer imports, so a stale path (a module that moved) would silently
let the reference through. This test fails on any such name.
"""
from __future__ import annotations

import importlib

import pytest

from dlcourse import exercises as E
from dlcourse.grading.forbidden import ALWAYS_FORBIDDEN


def resolve(name: str) -> object:
    """The object a dotted name points at: the longest importable module prefix, then attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)           # AttributeError: the name is stale
        return obj
    raise ImportError(f"no importable prefix in {name!r}")


FORBIDDEN = sorted({(ex.id, name) for ex in E.all_exercises() for name in ex.forbidden})


@pytest.mark.parametrize("ex_id, name", FORBIDDEN, ids=[f"{i}:{n}" for i, n in FORBIDDEN])
def test_every_forbidden_name_imports(ex_id, name):
    try:
        resolve(name)
    except (ImportError, AttributeError) as err:
        pytest.fail(f"exercise {ex_id} forbids {name!r}, which does not resolve ({err}); update the master")


@pytest.mark.parametrize("name", ALWAYS_FORBIDDEN)
def test_always_forbidden_names_import(name):
    resolve(name + "1" if name.endswith(".ch") else name)   # ".ch" is a prefix of every chapter's master


def test_resolve_rejects_a_stale_path():
    with pytest.raises(AttributeError):
        resolve("dlcourse.nn.conv2d_that_moved")
    with pytest.raises(ImportError):
        resolve("no_such_package.anything")
