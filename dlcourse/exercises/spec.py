"""How an exercise is written down: the one master from which the book page, the learner's notebook, the
instant check and the grader are all derived (book: Preface, "Exercises and grading").

An exercise asks the learner to define one function or class (``entry``) that ``dlcourse`` also holds as the
reference. It is checked by calling both on the same deterministic inputs (``cases``) and comparing the plain
arrays they return. Example::

    Exercise(
        id="2.1",
        title="The perceptron update",
        entry="perceptron_update",
        reference=dlcourse.nn.perceptron.perceptron_update,
        cases=lambda: [Case(args=(w, x, y, 0.1), note="2 inputs, a misclassified point"), ...],
        statement="Write `perceptron_update(w, x, y, lr)` that returns ...",
        stub="def perceptron_update(w, x, y, lr):\n    ...\n",
        section="ch2-perceptron-rule",          # a label in the book; the hint links there
        forbidden=("dlcourse.nn.perceptron",),  # using these scores zero
        mistakes=(Mistake("sign flipped", wrong_fn, "You moved w away from the point: ..."),),
    )

Rules the grader relies on:
- ``cases()`` is deterministic and returns only plain data: torch tensors, NumPy arrays, numbers, strings,
  and tuples/lists/dicts of these.
- ``run(entry_obj, case)`` (default: ``entry_obj(*case.args, **case.kwargs)``) returns plain data too. It runs
  in the sandbox for the learner's code and in the grader for the reference; for a class exercise it builds
  the module, loads weights, runs forward and backward and returns the arrays to compare.
- ``mistakes`` are plausible wrong solutions. If a learner's answer matches one, the feedback says which
  mistake it looks like; the tests also use them to prove the check rejects them.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Case", "Mistake", "Exercise"]


@dataclass(frozen=True)
class Case:
    """One input on which the learner's answer is compared with the reference."""

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""  # how the feedback names this input, e.g. "x of shape (3, 4), stride 2"


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong solution and what to tell a learner whose answer matches it."""

    name: str                # short, e.g. "flipped kernel"
    solution: Callable       # a wrong implementation with the same signature as the entry
    message: str             # the teaching feedback


def call_entry(entry: Callable, case: Case) -> Any:
    """The default ``run``: call the entry with the case's arguments."""
    return entry(*case.args, **dict(case.kwargs))


@dataclass(frozen=True)
class Exercise:
    """The master of one exercise (see the module docstring)."""

    id: str                                   # stable, e.g. "2.1"; never renumbered once published
    title: str
    entry: str                                # the name the learner defines
    reference: Callable                       # the dlcourse implementation
    cases: Callable[[], list[Case]]           # deterministic inputs
    statement: str                            # MyST Markdown, shown in the book and the learner notebook
    stub: str                                 # the code cell the learner starts from; defines ``entry``
    section: str                              # book label the hint points to
    points: int = 1
    forbidden: tuple[str, ...] = ()           # dotted names a solution may not use
    mistakes: tuple[Mistake, ...] = ()
    run: Callable[[Callable, Case], Any] = call_entry
    rtol: float = 1e-6
    atol: float = 1e-8
    timeout: float = 20.0                     # seconds for all cases together, in the sandbox

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])
