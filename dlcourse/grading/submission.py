"""Reading a submitted notebook and keeping only its definitions (book: "Grading", what the grader runs).

A submission's code cells are parsed, never executed here. Only top-level imports, ``def``, ``class`` and
simple constant or alias assignments (``N = 3``, ``F = torch.nn.functional``) are kept; calls, loops, prints,
training runs and ``check(...)`` cells are dropped. A cell that does not parse, or that cannot be processed
(it nests too deeply for the parser or for ``ast.unparse``), is kept aside as a syntax error, charged to the
exercises it seems to define. Reading is bounded: a regular file of at most :data:`NOTEBOOK_LIMIT` bytes, and
JSON nested too deeply is a clear error, never a crash. Call this in the main thread only (syntax trees).
"""
from __future__ import annotations

import ast
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Submission", "SubmissionError", "load_submission", "keep_definitions", "read_capped", "NOTEBOOK_LIMIT",
           "checked_ids"]

NOTEBOOK_LIMIT = 64 << 20      # bytes of one submitted notebook


class SubmissionError(ValueError):
    """The file cannot be graded at all (not JSON, not a notebook)."""


@dataclass
class Submission:
    """The definitions kept from one notebook."""

    name: str
    path: Path
    source: str                                   # the kept definitions, in notebook order
    defined: set[str] = field(default_factory=set)  # top-level names the kept code defines
    syntax_errors: list[tuple[int, str, str]] = field(default_factory=list)  # (cell number, message, cell text)
    raw_text: str = ""                            # every code cell as written (never executed)
    checked: set[str] = field(default_factory=set)  # exercise ids the notebook calls check(...) on

    def syntax_error_for(self, entry: str) -> str | None:
        """The syntax error of a cell that seems to define ``entry`` (when the kept code does not)."""
        if entry in self.defined:
            return None
        for cell, msg, text in self.syntax_errors:
            if re.search(rf"\b(def|class)\s+{re.escape(entry)}\b", text):
                return f"code cell {cell} does not parse ({msg}), so {entry} is not defined"
        return None


_CONST_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp, ast.Name,
                ast.Attribute, ast.Load, ast.operator, ast.unaryop)


def _is_simple_value(node: ast.AST) -> bool:
    return all(isinstance(n, _CONST_NODES) for n in ast.walk(node))


def _keep(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return False  # each statement is run on its own; a future import there would be misplaced
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        return all(isinstance(t, ast.Name) for t in node.targets) and _is_simple_value(node.value)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.value is not None and _is_simple_value(node.value)
    return False


def _strip_magics(text: str) -> str:
    lines = []
    for line in text.splitlines():
        s = line.lstrip()
        lines.append("" if s.startswith(("%", "!")) else line)
    return "\n".join(lines)


def keep_definitions(code: str) -> tuple[list[ast.stmt], set[str]]:
    """Parse one cell and keep its definitions: ``(statements, names they define)``.

    Raises SyntaxError if it does not parse.
    """
    tree = ast.parse(_strip_magics(code))
    kept = [n for n in tree.body if _keep(n)]
    names: set[str] = set()
    for n in kept:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.Assign):
            names.update(t.id for t in n.targets)  # type: ignore[attr-defined]
        elif isinstance(n, ast.AnnAssign):
            names.add(n.target.id)  # type: ignore[attr-defined]
        else:
            for a in n.names:
                names.add((a.asname or a.name).split(".")[0])
    return kept, names


_CHECK = re.compile(r"""\bcheck\(\s*["'](\d+\.\d+)["']""")


def checked_ids(text: str) -> set[str]:
    """The exercise ids that ``check("N.M", ...)`` calls in ``text`` name."""
    return set(_CHECK.findall(text))


def read_capped(path: str | Path, limit: int = NOTEBOOK_LIMIT) -> bytes:
    """The bytes of a regular file, at most ``limit`` (a FIFO, device or larger file is an error, never a hang)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise SubmissionError(f"{path}: cannot read ({err.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SubmissionError(f"{path}: not a regular file")
        if st.st_size > limit:
            raise SubmissionError(f"{path}: {st.st_size} bytes, more than the {limit >> 20} MiB a notebook may have")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise SubmissionError(f"{path}: more than the {limit >> 20} MiB a notebook may have")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as err:
        raise SubmissionError(f"{path}: cannot read ({err.strerror})") from None
    finally:
        os.close(fd)


def load_submission(path: str | Path, name: str | None = None) -> Submission:
    """Read a notebook file and keep its definitions; :class:`SubmissionError` if it is not a notebook."""
    path = Path(path)
    raw = read_capped(path)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SubmissionError(f"{path}: not a notebook (not valid JSON: {str(err)[:200]})") from None
    except RecursionError:
        raise SubmissionError(f"{path}: not a notebook (its JSON nests too deeply to read)") from None
    except MemoryError:
        raise SubmissionError(f"{path}: not a notebook (its JSON is too large to read)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list) or "nbformat" not in doc:
        raise SubmissionError(f"{path}: JSON but not a Jupyter notebook (no 'cells' list / 'nbformat')")
    chunks: list[str] = []
    defined: set[str] = set()
    errors: list[tuple[int, str, str]] = []
    n_code = 0
    raw: list[str] = []
    for cell in doc["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        n_code += 1
        src = cell.get("source", "")
        text = "".join(map(str, src)) if isinstance(src, list) else str(src)
        raw.append(text)
        try:
            kept, names = keep_definitions(text)
            code = ast.unparse(ast.Module(body=kept, type_ignores=[])) if kept else ""
        except SyntaxError as err:
            errors.append((n_code, f"SyntaxError: {str(err.msg)[:200]}, line {err.lineno}", text))
            continue
        except (RecursionError, MemoryError):
            errors.append((n_code, "it nests too deeply for the grader to read", text))
            continue
        except ValueError as err:  # e.g. a null byte in the source
            errors.append((n_code, f"ValueError: {str(err)[:200]}", text))
            continue
        if kept:
            chunks.append(code)
            defined |= names
    joined = "\n".join(raw)
    return Submission(name or path.stem, path, "\n\n".join(chunks) + "\n", defined, errors, joined,
                      checked_ids(joined))
