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

A **graded question** (a number, or one of a few choices) is an exercise too, built with :func:`Question`: the
learner assigns the answer to a variable (``answer_1_9 = 0.25``), ``check("1.9", answer_1_9)`` checks it, and the
grader reads the same assignment from the handed-in notebook. The feedback never shows the expected answer::

    Question(id="1.9", title="The sigmoid's steepest slope", section="ch1-algorithms",
             statement="What is the largest value of the sigmoid's derivative?", answer=0.25, atol=1e-3,
             mistakes=(Mistake("sigma(0)", 0.5, "That is the sigmoid's value at 0, not its slope."),))
    Question(id="1.10", ..., choices={"a": "1958", "b": "1969", "c": "1986"}, answer="b")
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Case", "Mistake", "Exercise", "Question"]


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
    solution: Callable       # a wrong implementation with the same signature as the entry (a question: a wrong
                             # answer value)
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
    kind: str = "code"                        # "code", or "question" (see Question): the answer is a value

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])


def _question_run(choices: Mapping[str, str] | None) -> Callable[[Any, Case], Any]:
    """How a question's answer (the learner's or the reference) becomes plain data to compare."""
    def run(value: Any, case: Case) -> Any:
        if value is Ellipsis:
            raise NotImplementedError("no answer yet")
        if choices:
            labels = sorted(choices)
            if not isinstance(value, str):
                raise TypeError(f"answer with one of the choices {labels} as a string, got {type(value).__name__}")
            label = value.strip().strip("()").strip().lower()
            if label not in choices:
                raise ValueError(f"{value!r} is not one of the choices {labels}")
            return label
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError(f"answer with a finite number, got {value!r}")
        return float(value)
    return run


def Question(id: str, title: str, statement: str, answer: float | str, section: str, *,  # noqa: N802
             choices: Mapping[str, str] | None = None, rtol: float = 1e-6, atol: float = 1e-9, points: int = 1,
             mistakes: tuple[Mistake, ...] = (), entry: str | None = None) -> Exercise:
    """A graded conceptual question: the answer is a number (within ``rtol``/``atol``) or a choice label.

    Args:
        statement: the question, MyST Markdown; the choices, if any, are listed under it.
        answer: the number, or the label (a key of ``choices``) of the right choice.
        choices: ``{label: text}``, e.g. ``{"a": "1958", "b": "1969"}``; omit for a numeric answer.
        mistakes: ``Mistake(name, wrong_answer, message)``: a plausible wrong answer and what to say about it.
        entry: the variable the learner assigns (default ``answer_<chapter>_<k>``).
    """
    entry = entry or "answer_" + id.replace(".", "_")
    run = _question_run(choices)
    run(answer, Case())                                    # the master's own answer must be well formed
    if choices:
        listing = "\n".join(f"- **({k})** {v}" for k, v in sorted(choices.items()))
        statement = f"{statement.strip()}\n\n{listing}\n\nAnswer with the letter, e.g. `{entry} = \"{min(choices)}\"`."
        kind_hint = f"one of {', '.join(repr(k) for k in sorted(choices))}"
    else:
        statement = f"{statement.strip()}\n\nAnswer with a number, e.g. `{entry} = 0.5`."
        kind_hint = "a number"
    return Exercise(id=id, title=title, entry=entry, reference=answer, cases=lambda: [Case(note="your answer")],
                    statement=statement, stub=f"{entry} = ...  # your answer: {kind_hint}\n", section=section,
                    points=points, mistakes=mistakes, run=run, rtol=rtol, atol=atol, timeout=5.0, kind="question")
