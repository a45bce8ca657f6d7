"""The course's exercises: a registry of every master, the instant ``check`` and the notebook generator.

Each chapter's masters live in a module ``dlcourse/exercises/ch<N>.py`` that defines ``EXERCISES`` (a list of
:class:`~dlcourse.exercises.spec.Exercise`); this package finds them on first use. In a learner's notebook::

    from dlcourse.exercises import check
    check("2.1", perceptron_update)

(book: "Grading" for instructors, each chapter's exercises page for learners).
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import re

from .check import CheckResult, check
from .spec import Case, Exercise, Mistake

__all__ = ["Case", "Exercise", "Mistake", "CHAPTER_DIRS", "get", "all_exercises", "chapters", "check",
           "CheckResult", "register_module", "extra_modules", "RETIRED_IDS"]

#: Folder under ``book/`` holding each chapter (its learner notebook is ``book/<dir>/exercises.ipynb``).
CHAPTER_DIRS = {1: "ch1_history", 2: "ch2_perceptron", 3: "ch3_backprop", 4: "ch4_convnets", 5: "ch5_rnn",
                6: "ch6_training", 7: "ch7_attention", 8: "ch8_milestones"}

#: Ids of exercises whose task changed, each with the id that replaced it. Gradebook columns use ids, so a retired
#: id is never given to another exercise: the registry refuses it, and ``get`` names the replacement.
RETIRED_IDS: dict[str, str] = {
    "1.2": "1.8",   # GFLOP/s with the count given -> the learner counts a rectangular product's operations
    "1.4": "1.9",   # ReLU, max(0, x) given -> the activations' derivatives, derived
    "2.1": "2.8",   # the perceptron rule given -> derived as a gradient step on the perceptron loss
    "2.3": "2.9",   # the delta rule's update given -> derived from the squared error
    "3.1": "3.9",   # the tanh(xy) node with its derivative given -> derived
    "3.3": "3.10",  # the central difference given -> found from the goal (exact on quadratics)
}

_REGISTRY: dict[str, Exercise] | None = None
# Modules outside this package that also define EXERCISES (tests use this; the grader passes them to its sandbox).
_EXTRA: list[str] = [m for m in os.environ.get("DLCOURSE_EXERCISE_MODULES", "").split(",") if m]


def register_module(module_name: str) -> None:
    """Also register the ``EXERCISES`` of an importable module outside this package (used by the tests)."""
    global _REGISTRY
    if module_name not in _EXTRA:
        _EXTRA.append(module_name)
    _REGISTRY = None


def extra_modules() -> tuple[str, ...]:
    """The modules added with :func:`register_module`."""
    return tuple(_EXTRA)


def _id_key(ex_id: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in ex_id.split("."))


def _discover() -> dict[str, Exercise]:
    found: dict[str, Exercise] = {}
    where: dict[str, str] = {}
    names = sorted((m.name for m in pkgutil.iter_modules(__path__) if re.fullmatch(r"ch\d+", m.name)),
                   key=lambda n: int(n[2:]))
    for name in [f"{__name__}.{n}" for n in names] + _EXTRA:
        module = importlib.import_module(name)
        exercises = getattr(module, "EXERCISES", None)
        if not isinstance(exercises, (list, tuple)):
            raise TypeError(f"{module.__name__} must define EXERCISES as a list of Exercise")
        for ex in exercises:
            if not isinstance(ex, Exercise):
                raise TypeError(f"{module.__name__}.EXERCISES holds a {type(ex).__name__}, expected Exercise")
            if ex.id in RETIRED_IDS:
                raise ValueError(f"exercise id {ex.id!r} in {module.__name__} is retired (gradebook columns use ids; "
                                 f"it was replaced by {RETIRED_IDS[ex.id]}): give the exercise a new id")
            if ex.id in found:
                raise ValueError(f"duplicate exercise id {ex.id!r} in {module.__name__} and {where[ex.id]}")
            m = re.fullmatch(r".*\.ch(\d+)", name)
            if m and ex.chapter != int(m.group(1)):
                raise ValueError(f"exercise {ex.id!r} is in {name}; ids there start with {m.group(1)}.")
            found[ex.id] = ex
            where[ex.id] = module.__name__
    return dict(sorted(found.items(), key=lambda kv: _id_key(kv[0])))


def _registry() -> dict[str, Exercise]:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _discover()
    return _REGISTRY


def all_exercises(chapter: int | None = None) -> list[Exercise]:
    """Every registered exercise in id order, or those of one chapter."""
    return [ex for ex in _registry().values() if chapter is None or ex.chapter == chapter]


def chapters() -> list[int]:
    """The chapters that have at least one exercise."""
    return sorted({ex.chapter for ex in _registry().values()})


def get(ex_id: str) -> Exercise:
    """The exercise with this id, e.g. ``get("2.1")``; ``KeyError`` naming the known ids otherwise."""
    reg = _registry()
    key = str(ex_id).strip()
    if key not in reg and key in RETIRED_IDS:
        raise KeyError(f"exercise {key!r} was retired: its task changed and it is now exercise {RETIRED_IDS[key]!r}")
    if key not in reg:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(reg) or 'none'}")
    return reg[key]
