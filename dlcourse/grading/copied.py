"""Flagging answers that copy the reference (book: "Grading", the ``copied`` column).

An entry whose syntax tree equals the reference's, after normalising what a copier would change (names of
variables and arguments, docstrings, comments, annotations, formatting), is flagged in its feedback and in the
gradebook's ``copied`` column. It still scores: the instructor decides. Attribute names (``torch.where``) and
constants are kept, so two honest answers rarely coincide except for very short functions. Syntax trees are
built here, so call this in the main thread only.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

__all__ = ["fingerprint", "reference_fingerprint", "copies_reference"]

_REF: dict[str, str | None] = {}


class _Normalise(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _n(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(id=self._n(node.id), ctx=node.ctx)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.arg(arg=self._n(node.arg), annotation=None)

    def _body(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = self._body(node)
        node.name = self._n(node.name)
        node.returns = None
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node = self._body(node)
        node.name = self._n(node.name)
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.Pass()
        return self.visit(ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno))


def fingerprint(source: str, name: str) -> str | None:
    """The normalised syntax tree of the top-level ``def``/``class name`` in ``source``, or None."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            try:
                return ast.dump(_Normalise().visit(node), annotate_fields=False, include_attributes=False)
            except (RecursionError, MemoryError):
                return None
    return None


def reference_fingerprint(ex) -> str | None:
    """The reference's fingerprint (cached per exercise); None when its source cannot be read."""
    if ex.id not in _REF:
        ref = ex.reference
        try:
            _REF[ex.id] = fingerprint(inspect.getsource(ref), ref.__name__)
        except (OSError, TypeError, AttributeError):
            _REF[ex.id] = None
    return _REF[ex.id]


def copies_reference(source: str, ex) -> bool:
    """Whether the submission's ``ex.entry`` in ``source`` is the reference after normalising."""
    ref = reference_fingerprint(ex)
    return ref is not None and fingerprint(source, ex.entry) == ref
