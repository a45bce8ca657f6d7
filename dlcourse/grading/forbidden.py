"""Finding forbidden shortcuts in a submission, statically (book: "Grading", forbidden uses).

An exercise lists dotted names a solution may not use (``Exercise.forbidden``): the ``dlcourse`` reference it
mirrors, the torch built-in it asks the learner to rebuild. This module reads the kept definitions' syntax tree,
resolves names through imports and aliases (``import torch.nn.functional as F``, ``from torch import conv2d as
c``, ``G = F``, ``getattr(F, "conv2d")``) and reports each use reachable from the exercise's entry. The sandbox
adds run-time tripwires for what static reading cannot see.
"""
from __future__ import annotations

import ast
import re

__all__ = ["find_forbidden", "ALWAYS_FORBIDDEN"]

#: Reaching into the exercise registry (where the references live), or switching off the grader's checks, is never
#: a solution.
ALWAYS_FORBIDDEN = ("dlcourse.exercises.get", "dlcourse.exercises.all_exercises", "dlcourse.exercises.ch",
                    "dlcourse.exercises.spec", "dlcourse.exercises.check.expected_outputs", "dlcourse.grading",
                    # switching off the grader's dispatcher check (see dlcourse.grading.dispatch)
                    "torch.utils._python_dispatch", "torch._C._DisableTorchDispatch",
                    "torch._C._ExcludeDispatchKeyGuard", "torch._C._pop_torch_dispatch_stack",
                    "torch._C._unset_dispatch_mode", "torch._C._dispatch_tls_set_dispatch_key_excluded")


def _matches(name: str, forbidden: tuple[str, ...]) -> str | None:
    for f in forbidden:
        if name == f or name.startswith(f + ".") or (f.endswith(".ch") and re.match(re.escape(f) + r"\d", name)):
            return f
    return None


def _aliases(tree: ast.Module) -> dict[str, str]:
    alias: dict[str, str] = {}
    for node in ast.walk(tree):  # imports anywhere (also inside functions) bind names the same way
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    alias[a.asname] = a.name
                else:
                    alias[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                alias[a.asname or a.name] = f"{node.module}.{a.name}"
    for _ in range(3):  # simple alias assignments, a few levels deep
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                full = _dotted(node.value, alias)
                if full:
                    alias[node.targets[0].id] = full
    return alias


def _dotted(node: ast.AST, alias: dict[str, str]) -> str | None:
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str)):
            parts.append(node.args[1].value)
            node = node.args[0]
        elif isinstance(node, ast.Name):
            if node.id not in alias:
                return None
            return ".".join([alias[node.id]] + parts[::-1])
        else:
            return None


def _tensor_methods(forbidden: tuple[str, ...]) -> set[str]:
    """Forbidding ``torch.relu`` also forbids the method ``x.relu()``; ``torch.Tensor.unfold`` forbids ``.unfold``."""
    import torch

    out = set()
    for f in forbidden:
        parts = f.split(".")
        if len(parts) == 2 and parts[0] == "torch" and hasattr(torch.Tensor, parts[1]):
            out.add(parts[1])
        if len(parts) == 3 and parts[:2] == ["torch", "Tensor"]:
            out.add(parts[2])
    return out


def find_forbidden(source: str, entry: str, forbidden: tuple[str, ...]) -> list[str]:
    """Forbidden uses in the code reachable from ``entry``: a list of ``"line N: uses X"`` messages."""
    forbidden = tuple(forbidden) + ALWAYS_FORBIDDEN
    tree = ast.parse(source)
    alias = _aliases(tree)
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    assigns = {t.id: n for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    methods = _tensor_methods(forbidden)
    found: list[str] = []
    # the entry and every top-level definition it reaches by name
    todo, seen = [entry], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        node = defs.get(name) or assigns.get(name)
        if node is None:
            full = alias.get(name)
            hit = full and _matches(full, forbidden)
            if hit:
                found.append(f"uses {full} (forbidden: {hit})")
            continue
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Attribute, ast.Name, ast.Call)):
                full = _dotted(sub, alias)
                hit = full and _matches(full, forbidden)
                if hit:
                    found.append(f"line {sub.lineno}: uses {full} (forbidden: {hit})")
            if isinstance(sub, ast.Attribute) and sub.attr in methods and _dotted(sub, alias) is None:
                found.append(f"line {sub.lineno}: calls the tensor method .{sub.attr}() (forbidden)")
            if isinstance(sub, ast.Attribute) and sub.attr == "reference":
                found.append(f"line {sub.lineno}: reads an exercise's .reference (forbidden)")
            if isinstance(sub, ast.Name) and sub.id != name and (sub.id in defs or sub.id in assigns
                                                                  or sub.id in alias):
                todo.append(sub.id)
            if isinstance(sub, (ast.Import, ast.ImportFrom)):  # imports inside a function
                mod = sub.module if isinstance(sub, ast.ImportFrom) else None
                for a in sub.names:
                    full = f"{mod}.{a.name}" if mod else a.name
                    hit = _matches(full, forbidden)
                    if hit:
                        found.append(f"line {sub.lineno}: imports {full} (forbidden: {hit})")
    return sorted(set(found), key=found.index)
