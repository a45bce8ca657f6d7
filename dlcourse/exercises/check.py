"""Instant feedback in the learner's notebook: ``check("2.1", my_function)`` (book: each chapter's exercises).

``check`` runs the learner's answer and the reference on the exercise's cases, in the notebook's own process
(a few seconds at most, on whatever device the answer uses), and prints a short verdict: that it passed, or the
first input on which it differs, expected vs got (structure, dtype and shape first, then the values and the
largest difference), the known mistake it looks like if any, and the book section to re-read.

The grader (``dlcourse grade``) reaches its verdict with the same :func:`judge`, but runs the learner's code in a
sandbox; ``check`` is for learning, the grader is what counts.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .compare import compare, to_plain
from .spec import Exercise

__all__ = ["check", "CheckResult", "Verdict", "Status", "Outcome", "judge", "expected_outputs", "run_cases"]

_EXPECTED: dict[str, list] = {}
_MISTAKES: dict[str, list] = {}


class Status(StrEnum):
    """A check's verdict, as data (never read back from the feedback's words)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


class Outcome(StrEnum):
    """What running the answer on one case gave (see :func:`run_cases`)."""

    OK = "ok"              # plain data follows
    ERROR = "error"        # it raised; the message follows
    MEMORY = "memory"      # it ran out of memory (MemoryError, or torch's allocator failing)
    STUB = "stub"          # it raised NotImplementedError: the untouched stub
    MISSING = "missing"    # the grader's sandbox found no entry to run


@dataclass
class Verdict:
    """The outcome of comparing one answer with the reference on every case."""

    passed: bool
    feedback: str
    case: int | None = None            # index of the first failing case
    max_diff: float = 0.0
    mistake: str | None = None         # name of the known mistake the answer matches
    status: Status = Status.FAILED

    def __post_init__(self) -> None:
        if self.passed:
            self.status = Status.PASSED


@dataclass
class CheckResult:
    """What :func:`check` returns: ``status`` is ``"passed"``, ``"failed"`` or ``"not attempted"``."""

    id: str
    status: Status
    message: str
    max_diff: float = 0.0
    mistake: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"CheckResult({self.id!r}, {str(self.status)!r})"

    def _ipython_display_(self) -> None:
        """Shown as nothing in a notebook: ``check`` has already printed the verdict."""


def run_cases(ex: Exercise, entry: Callable, stop_on_error: bool = False) -> list[tuple[str, Any]]:
    """Run ``entry`` on each case: a list of ``("ok", plain data)`` or ``("error", message)``.

    A ``NotImplementedError`` (the untouched stub) gives ``("stub", "")`` and stops; running out of memory gives
    ``("memory", message)``. The kinds are :class:`Outcome` members (equal to those strings).
    """
    out: list[tuple[str, Any]] = []
    for _i, case in enumerate(ex.cases()):
        try:
            value = to_plain(ex.run(entry, case), "the answer")
        except NotImplementedError:
            out.append((Outcome.STUB, ""))
            break
        except (MemoryError, RuntimeError) as err:
            kind = Outcome.MEMORY if _out_of_memory(err) else Outcome.ERROR
            out.append((kind, _format_error(err)))
            if stop_on_error:
                break
            continue
        except TypeError as err:
            if "expected a tensor, an array" in str(err):
                out.append((Outcome.ERROR, str(err)))
            else:
                out.append((Outcome.ERROR, _format_error(err)))
            if stop_on_error:
                break
            continue
        except Exception as err:  # noqa: BLE001 - any error in the learner's code is feedback
            out.append((Outcome.ERROR, _format_error(err)))
            if stop_on_error:
                break
            continue
        out.append((Outcome.OK, value))
    return out


def _out_of_memory(err: BaseException) -> bool:
    """MemoryError, or torch's CPU allocator failing (a RuntimeError; torch has no type of its own for it)."""
    if isinstance(err, MemoryError):
        return True
    return type(err) is RuntimeError and "DefaultCPUAllocator: can't allocate memory" in str(err)[:300]


def _format_error(err: BaseException) -> str:
    tb = traceback.extract_tb(err.__traceback__)
    mine = [f for f in tb if not f.filename.endswith(("check.py", "spec.py"))]
    where = f" (line {mine[-1].lineno}: {mine[-1].line})" if mine and mine[-1].line else ""
    return f"raised {type(err).__name__}: {err}{where}"


def expected_outputs(ex: Exercise) -> list:
    """The reference's plain outputs on each case (computed once per process)."""
    if ex.id not in _EXPECTED:
        _EXPECTED[ex.id] = [to_plain(ex.run(ex.reference, c), f"reference of {ex.id}") for c in ex.cases()]
    return _EXPECTED[ex.id]


def _mistake_outputs(ex: Exercise) -> list:
    if ex.id not in _MISTAKES:
        outs = []
        for m in ex.mistakes:
            res = run_cases(ex, m.solution, stop_on_error=False)
            outs.append([v if kind == "ok" else None for kind, v in res])
        _MISTAKES[ex.id] = outs
    return _MISTAKES[ex.id]


def _matching_mistake(ex: Exercise, outcomes: list[tuple[str, Any]]) -> Any:
    """The first Mistake whose outputs the learner's reproduce on every case (errors where it errs)."""
    for m, outs in zip(ex.mistakes, _mistake_outputs(ex)):
        if len(outcomes) != len(outs) or all(o is None for o in outs):
            continue
        if all((kind != "ok") if o is None else (kind == "ok" and compare(o, g, ex.rtol, ex.atol).ok)
               for o, (kind, g) in zip(outs, outcomes)):
            return m
    return None


def judge(ex: Exercise, outcomes: list[tuple[str, Any]]) -> Verdict:
    """Compare the learner's per-case outcomes (see :func:`run_cases`) with the reference."""
    expected = expected_outputs(ex)
    cases = ex.cases()
    hint = f"Hint: re-read the section `{ex.section}` of the book (the exercise statement links it)."
    if not outcomes or outcomes[0][0] == "stub":
        what = "no answer given" if ex.kind == "question" else "the stub still raises NotImplementedError"
        return Verdict(False, f"not attempted yet ({what})", 0, status=Status.NOT_ATTEMPTED)
    if ex.kind == "question":
        return _judge_question(ex, expected[0], outcomes[0], hint)
    worst = 0.0
    for i, exp in enumerate(expected):
        note = cases[i].note or f"case {i + 1}"
        if i >= len(outcomes):
            return Verdict(False, f"no result for input {i + 1} ({note})", i)
        kind, got = outcomes[i]
        if kind == "stub":
            return Verdict(False, f"on input {i + 1} ({note}): raised NotImplementedError", i)
        if kind != "ok":
            mistake = _matching_mistake(ex, outcomes)
            known = f"\nThis looks like a known mistake, {mistake.name!r}: {mistake.message}" if mistake else ""
            return Verdict(False, f"on input {i + 1} ({note}): {got}{known}\n{hint}", i,
                           mistake=mistake.name if mistake else None)
        c = compare(exp, got, ex.rtol, ex.atol)
        if not c.ok:
            lines = [f"on input {i + 1} of {len(expected)} ({note}):", "  " + c.message.replace("\n", "\n  ")]
            mistake = _matching_mistake(ex, outcomes)
            if mistake is not None:
                lines.append(f"This looks like a known mistake, {mistake.name!r}: {mistake.message}")
            lines.append(hint)
            return Verdict(False, "\n".join(lines), i, c.max_diff, mistake.name if mistake else None)
        worst = max(worst, c.max_diff)
    return Verdict(True, f"passed on all {len(expected)} inputs (largest difference {worst:.2g})", None, worst)


def _judge_question(ex: Exercise, expected: Any, outcome: tuple[str, Any], hint: str) -> Verdict:
    """A graded question's verdict; the feedback never reveals the expected answer."""
    kind, got = outcome
    if kind == "error":
        return Verdict(False, f"your answer is not in the expected form: {got}", 0)
    if compare(expected, got, ex.rtol, ex.atol).ok:
        return Verdict(True, "right", None)
    mistake = _matching_mistake(ex, [outcome])
    shown = got if isinstance(got, str) else f"{float(got):g}"
    lines = [f"{shown} is not right."]
    if mistake is not None:
        lines.append(f"This looks like a known mistake, {mistake.name!r}: {mistake.message}")
    lines.append(hint)
    return Verdict(False, "\n".join(lines), 0, mistake=mistake.name if mistake else None)


def check(ex_id: str, answer: Any, *, quiet: bool = False) -> CheckResult:
    """Check the learner's ``answer`` to exercise ``ex_id`` and print a short verdict.

    ``answer`` is the function or class the exercise asks for, or, for a graded question, the answer's value
    (a number or a choice's letter).

    Never raises on a wrong or unfinished answer (the exercise notebooks are executed when the book is built):
    the untouched stub prints "not attempted yet".

    Returns:
        A :class:`CheckResult` (truthy when passed).
    """
    from . import get

    ex = get(ex_id)
    if ex.kind != "question" and not callable(answer):
        msg = f"check({ex.id!r}, ...) expects your {ex.entry} itself, got a {type(answer).__name__}"
        verdict = Verdict(False, msg)
    else:
        verdict = judge(ex, run_cases(ex, answer))
    status = verdict.status
    head = {Status.PASSED: "✅ passed", Status.FAILED: "❌ not yet",
            Status.NOT_ATTEMPTED: "⏳ not attempted yet"}[status]
    text = f"{ex.id} {ex.title}: {head}"
    if status is not Status.NOT_ATTEMPTED:
        text += "\n" + verdict.feedback
    if not quiet:
        print(text)
    return CheckResult(ex.id, status, text, verdict.max_diff, verdict.mistake)
