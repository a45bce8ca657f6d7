"""Generating each chapter's learner notebook from the masters (book: "Grading", authoring exercises).

``book/<chapter dir>/exercises.ipynb`` is written by :func:`write_learner_notebooks` (``dlcourse exercises``) and
never edited by hand: a title, how the checks work, then per exercise a labelled ``## N.k Title`` heading, the
statement, the stub cell and the check cell. Solutions never appear in it, nor in this package: the tests build
the same notebook with working answers in place of the stubs (``tests/exercise_solutions.py``).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

from .spec import Exercise

__all__ = ["learner_notebook", "notebook_text", "write_learner_notebooks", "exercise_label"]

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def exercise_label(ex: Exercise) -> str:
    """The MyST label of an exercise's heading, e.g. ``ex-2-1``."""
    return "ex-" + ex.id.replace(".", "-")


def _cid(*parts: str) -> str:
    return "-".join(p.replace(".", "-") for p in parts)


def _retired_note(chapter: int) -> str:
    """A sentence on the chapter's retired ids (numbers missing from the list), or "" when it has none."""
    from . import RETIRED_IDS

    old = [(o, n) for o, n in RETIRED_IDS.items() if o.split(".")[0] == str(chapter)]
    if not old:
        return ""
    pairs = ", ".join(f"{o} (now {n})" for o, n in old)
    return (" Numbers are never reused, so that gradebooks stay valid: the missing ones belong to exercises whose "
            f"task changed and which got a new number, {pairs}.")


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
{total:g} points in all.{_retired_note(chapter)}"""


def _setup() -> str:
    return "import torch\n\nimport dlcourse\nfrom dlcourse.exercises import check"


def _heading(ex: Exercise) -> str:
    pts = f"{ex.points} point" + ("s" if ex.points != 1 else "")
    return (f"({exercise_label(ex)})=\n## {ex.id} {ex.title}\n\n{ex.statement.strip()}\n\n"
            f"*{pts}. Read first: {{ref}}`{ex.section}`. Check it with `check(\"{ex.id}\", {ex.entry})`.*")


def _notebook(chapter: int, exs: list[Exercise], answer: Callable[[Exercise], str] | None = None
              ) -> nbformat.NotebookNode:
    """The notebook of ``exs``; each answer cell holds ``answer(ex)`` (default: the stub)."""
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(_intro(chapter, exs), id=_cid("intro")),
             v4.new_code_cell(_setup(), id=_cid("setup"))]
    for ex in exs:
        code = answer(ex) if answer is not None else ex.stub
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
    return _notebook(chapter, _chapter_exercises(chapter))


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
