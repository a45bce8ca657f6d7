"""Generating each chapter's learner notebook from the masters (book: "Grading", authoring exercises).

``book/<chapter dir>/exercises.ipynb`` is written by :func:`write_learner_notebooks` (``dlcourse exercises``) and
never edited by hand: a title, how the checks work, then per exercise a labelled ``## N.k Title`` heading, the
statement, the stub cell and the check cell. Solutions never appear in it. :func:`solution_notebook` builds the
same notebook with working answers in place of the stubs, for the tests only.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from .spec import Exercise

__all__ = ["learner_notebook", "solution_notebook", "notebook_text", "write_learner_notebooks",
           "solution_source", "exercise_label", "module_copy_source"]

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def exercise_label(ex: Exercise) -> str:
    """The MyST label of an exercise's heading, e.g. ``ex-2-1``."""
    return "ex-" + ex.id.replace(".", "-")


def _cid(*parts: str) -> str:
    return "-".join(p.replace(".", "-") for p in parts)


def _intro(chapter: int, exs: list[Exercise]) -> str:
    total = sum(ex.points for ex in exs)
    return f"""(ch{chapter}-exercises)=
# Chapter {chapter} exercises

Each exercise below asks you to write one function or class that `dlcourse` also holds (and that you
met in this chapter). Download this page as a notebook (the download button at the top of the page, `.ipynb`),
fill in each stub, and run the check cell under it:

```python
check("{exs[0].id}", {exs[0].entry})
```

`check` runs your answer and the course's reference on a few fixed inputs, in this notebook, within seconds, on
CPU or GPU. It prints whether you passed, or the first input where your answer differs: expected vs got (the
shape and dtype first, then the values and the largest difference), the known mistake your answer looks like, and
the section of the book to re-read. An untouched stub prints "not attempted yet".

When you hand the notebook in, your instructor grades it with `dlcourse grade`: only your definitions (imports,
functions, classes) are taken from it, each exercise runs separately with a time limit, and a solution that calls
the built-in or the `dlcourse` function it asks you to rebuild earns no points. Keep the function names as they
are; experiments in other cells are fine and are not run by the grader. There are {len(exs)} exercises,
{total:g} points in all."""


def _setup() -> str:
    return "import torch\n\nimport dlcourse\nfrom dlcourse.exercises import check"


def _heading(ex: Exercise) -> str:
    pts = f"{ex.points} point" + ("s" if ex.points != 1 else "")
    return (f"({exercise_label(ex)})=\n## {ex.id} {ex.title}\n\n{ex.statement.strip()}\n\n"
            f"*{pts}. Read first: {{ref}}`{ex.section}`. Check it with `check(\"{ex.id}\", {ex.entry})`.*")


def solution_source(ex: Exercise) -> tuple[str, bool]:
    """Working code defining the entry: ``(source, honest)``.

    The master's ``solution`` if it has one; else a copy of the source of the module that defines the reference
    (relative imports made absolute), so the copied code, not the reference object, does the work. ``honest`` is
    False only when neither is possible and the code merely imports the reference (such a notebook must be
    graded with the forbidden-use check off).
    """
    if ex.solution.strip():
        return ex.solution, True
    src = module_copy_source(ex.reference, ex.entry)
    if src is not None:
        from dlcourse.grading.forbidden import find_forbidden

        if find_forbidden(src, ex.entry, tuple(ex.forbidden)):
            src = None  # the reference itself uses what the learner may not (e.g. a torch built-in)
    if src is None:
        ref = ex.reference
        return f"from {ref.__module__} import {ref.__qualname__} as {ex.entry}\n", False
    return src, True


def module_copy_source(fn, entry: str) -> str | None:
    """A copy of the source of the module defining ``fn`` (relative imports made absolute, no ``__future__``),
    followed by ``entry = <fn's name>``; None when ``fn`` is not a module-level function or class."""
    import ast
    import inspect
    import sys

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


def _notebook(chapter: int, exs: list[Exercise], solutions: bool) -> nbformat.NotebookNode:
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(_intro(chapter, exs), id=_cid("intro")),
             v4.new_code_cell(_setup(), id=_cid("setup"))]
    for ex in exs:
        code = solution_source(ex)[0] if solutions else ex.stub
        cells += [v4.new_markdown_cell(_heading(ex), id=_cid("ex", ex.id, "statement")),
                  v4.new_code_cell(code.rstrip("\n"), id=_cid("ex", ex.id, "answer")),
                  v4.new_code_cell(f'check("{ex.id}", {ex.entry})', id=_cid("ex", ex.id, "check"))]
    nb = v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                   "dlcourse": {"chapter": chapter, "exercises": [ex.id for ex in exs]}}
    return nb


def _chapter_exercises(chapter: int) -> list[Exercise]:
    from . import all_exercises

    exs = all_exercises(chapter)
    if not exs:
        raise ValueError(f"chapter {chapter} has no exercises")
    return exs


def learner_notebook(chapter: int) -> nbformat.NotebookNode:
    """The learner's notebook of one chapter (stubs, no solutions)."""
    return _notebook(chapter, _chapter_exercises(chapter), solutions=False)


def solution_notebook(chapter: int) -> nbformat.NotebookNode:
    """The same notebook with working answers instead of stubs (tests only; never published)."""
    return _notebook(chapter, _chapter_exercises(chapter), solutions=True)


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The exact text written to disk (so drift can be detected by comparing strings)."""
    return nbformat.writes(nb) + "\n"


def write_learner_notebooks(root: str | Path = ".", chapters: list[int] | None = None, check: bool = False
                            ) -> list[tuple[Path, str]]:
    """(Re)write ``book/<dir>/exercises.ipynb`` for each chapter; with ``check``, only compare.

    Returns:
        ``(path, state)`` per chapter, state one of ``"written"``, ``"unchanged"``, ``"drifted"``, ``"missing"``.
    """
    from . import CHAPTER_DIRS
    from . import chapters as registered

    out = []
    for ch in chapters or registered():
        if ch not in CHAPTER_DIRS:
            raise ValueError(f"chapter {ch} has no folder in CHAPTER_DIRS")
        path = Path(root) / "book" / CHAPTER_DIRS[ch] / "exercises.ipynb"
        text = notebook_text(learner_notebook(ch))
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            out.append((path, "unchanged"))
        elif check:
            out.append((path, "missing" if old is None else "drifted"))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            out.append((path, "written"))
    return out
