"""Test-only machinery: working answers to the exercises, and the notebooks built from them.

Never part of the package, so nothing a learner installs holds a solution. A worked answer lives in
``tests/solutions/ex_<chapter>_<k>.py`` (it must use nothing the exercise forbids); an exercise without one is
answered by a copy of the source of the module that defines its reference.
"""
from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import nbformat

from dlcourse.exercises import all_exercises
from dlcourse.exercises.notebook import _notebook
from dlcourse.exercises.spec import Exercise
from dlcourse.grading.forbidden import find_forbidden

SOLUTIONS = Path(__file__).parent / "solutions"


def solution_path(ex: Exercise) -> Path:
    """Where exercise ``ex``'s worked answer lives, if it has one."""
    return SOLUTIONS / f"ex_{ex.id.replace('.', '_')}.py"


def solution_source(ex: Exercise) -> tuple[str, bool]:
    """Working code defining the entry: ``(source, honest)``.

    The worked answer ``tests/solutions/ex_<id>.py`` if there is one; else a copy of the source of the module
    that defines the reference (relative imports made absolute), so the copied code, not the reference object,
    does the work. ``honest`` is False only when neither is possible and the code merely imports the reference
    (such a notebook must be graded with the forbidden-use check off).
    """
    if ex.kind == "question":
        return f"{ex.entry} = {ex.reference!r}\n", True
    path = solution_path(ex)
    if path.exists():
        return path.read_text(encoding="utf-8"), True
    src = module_copy_source(ex.reference, ex.entry)
    if src is not None:
        if find_forbidden(src, ex.entry, tuple(ex.forbidden)):
            src = None  # the reference itself uses what the learner may not (e.g. a torch built-in)
    if src is None:
        ref = ex.reference
        return f"from {ref.__module__} import {ref.__qualname__} as {ex.entry}\n", False
    return src, True


def module_copy_source(fn, entry: str) -> str | None:
    """A copy of the source of the module defining ``fn`` (relative imports made absolute, no ``__future__``),
    followed by ``entry = <fn's name>``; None when ``fn`` is not a module-level function or class."""
    name = getattr(fn, "__name__", "<lambda>")
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is None or name == "<lambda>" or getattr(module, name, None) is not fn:
        return None
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return None
    package = module.__name__ if hasattr(module, "__path__") else module.__name__.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            node.module = ".".join(base + ([node.module] if node.module else []))
            node.level = 0
    body = [n for n in tree.body if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    if name != entry:  # the module's own ``entry`` (used by its helpers) keeps working under another name
        hidden = f"_module_{entry}"

        class Rename(ast.NodeTransformer):
            def visit_Name(self, node):
                if node.id == entry:
                    node.id = hidden
                return node

            def visit_FunctionDef(self, node):
                if node.name == entry:
                    node.name = hidden
                self.generic_visit(node)
                return node

            visit_ClassDef = visit_AsyncFunctionDef = visit_FunctionDef

            def visit_alias(self, node):
                if (node.asname or node.name.split(".")[0]) == entry:
                    node.asname = hidden
                return node
        body = [Rename().visit(n) for n in body]
    src = ast.unparse(ast.Module(body=body, type_ignores=[]))
    if name != entry:
        src += f"\n{entry} = {name}"
    return src + "\n"


def solution_notebook(chapter: int) -> nbformat.NotebookNode:
    """A chapter's learner notebook with working answers instead of stubs (never published)."""
    return _notebook(chapter, all_exercises(chapter), answer=lambda ex: solution_source(ex)[0])
