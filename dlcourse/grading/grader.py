"""Grading submissions: one sandboxed run per (submission, exercise), comparisons here (book: "Grading").

For each exercise of each submission the grader decides, in this order:

1. the cell defining the entry does not parse -> 0, "syntax error";
2. the entry is not defined -> 0, "missing";
3. a forbidden name is used in code reachable from the entry (static reading) -> 0, "forbidden";
4. the sandboxed run fails (time limit, memory, exit, crash, too much output) -> 0, saying which;
5. a tripwire fired at run time -> 0, "forbidden";
6. otherwise the plain results are judged against the reference, exactly as ``check`` does -> full points or 0
   with the first differing input and the known mistake it matches.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dlcourse import exercises as registry
from dlcourse.exercises.check import _mistake_outputs, expected_outputs, judge
from dlcourse.exercises.spec import Exercise

from .forbidden import find_forbidden
from .sandbox import run_exercise
from .submission import Submission, SubmissionError, load_submission

__all__ = ["ExerciseGrade", "SubmissionGrade", "grade_submission", "grade_all", "find_submissions",
           "select_exercises"]


@dataclass
class ExerciseGrade:
    """One exercise's grade, as written to the submission's JSON file."""

    id: str
    title: str
    points: float
    max_points: float
    passed: bool
    status: str          # passed, failed, not attempted, missing, syntax error, forbidden, timeout, crashed
    feedback: str


@dataclass
class SubmissionGrade:
    """All of one submission's grades (``error`` set when the file could not be graded at all)."""

    name: str
    path: str
    exercises: list[ExerciseGrade] = field(default_factory=list)
    error: str | None = None

    @property
    def total(self) -> float:
        return sum(g.points for g in self.exercises)

    def to_json(self, max_total: float) -> dict:
        return {"submission": self.name, "path": self.path, "total": self.total, "max_total": max_total,
                "error": self.error, "exercises": [asdict(g) for g in self.exercises]}


# ---------------------------------------------------------------- finding submissions and exercises
def find_submissions(paths: list[str]) -> tuple[list[tuple[str, list[Path]]], list[str]]:
    """Expand the command-line paths into submissions ``(name, notebooks)``; also return error messages.

    A notebook file is one submission. A folder holds submissions: each ``*.ipynb`` directly in it is one, and
    each sub-folder holding notebooks is one (all its notebooks together, e.g. one learner's chapters).
    """
    subs: list[tuple[str, list[Path]]] = []
    errors: list[str] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            errors.append(f"{raw}: no such file or folder")
        elif p.is_file():
            subs.append((p.stem, [p]))
        else:
            found = False
            for child in sorted(p.iterdir()):
                if child.is_file() and child.suffix == ".ipynb":
                    subs.append((child.stem, [child]))
                    found = True
                elif child.is_dir() and not child.name.startswith("."):
                    nbs = sorted(c for c in child.rglob("*.ipynb") if ".ipynb_checkpoints" not in c.parts)
                    if nbs:
                        subs.append((child.name, nbs))
                        found = True
            if not found:
                errors.append(f"{raw}: folder holds no notebooks (*.ipynb)")
    # unique, file-system-safe names
    seen: dict[str, int] = {}
    out = []
    for name, nbs in subs:
        safe = re.sub(r"[^\w.-]+", "_", name).strip("._") or "submission"
        if safe in seen:
            seen[safe] += 1
            safe = f"{safe}-{seen[safe]}"
        else:
            seen[safe] = 1
        out.append((safe, nbs))
    return out, errors


def select_exercises(subs: list[Submission], chapter: int | None = None) -> list[Exercise]:
    """The exercises to grade: one chapter's, else the chapters the notebooks declare, else all."""
    if chapter is not None:
        exs = registry.all_exercises(chapter)
        if not exs:
            raise ValueError(f"chapter {chapter} has no exercises (chapters with exercises: {registry.chapters()})")
        return exs
    chapters = set()
    for s in subs:
        chapters |= {int(c) for c in re.findall(r"""check\(\s*["'](\d+)\.\d+["']""", s.raw_text)}
    chapters &= set(registry.chapters())
    return [ex for ex in registry.all_exercises() if not chapters or ex.chapter in chapters]


def _load(name: str, nbs: list[Path]) -> Submission:
    parts = [load_submission(nb, name) for nb in nbs]
    sub = parts[0]
    for other in parts[1:]:
        sub.source += "\n\n" + other.source
        sub.defined |= other.defined
        sub.syntax_errors += other.syntax_errors
        sub.raw_text += other.raw_text
    return sub


# ---------------------------------------------------------------- grading
def grade_submission(sub: Submission, ex: Exercise, timeout: float | None = None,
                     check_forbidden: bool = True) -> ExerciseGrade:
    """Grade one exercise of one submission (see the module docstring for the order of decisions)."""
    def grade(status: str, feedback: str, passed: bool = False) -> ExerciseGrade:
        return ExerciseGrade(ex.id, ex.title, float(ex.points) if passed else 0.0, float(ex.points), passed,
                             status, feedback)

    syntax = sub.syntax_error_for(ex.entry)
    if syntax:
        return grade("syntax error", syntax)
    if ex.entry not in sub.defined:
        return grade("missing", f"the notebook does not define {ex.entry} (exercise {ex.id})")
    if check_forbidden:
        try:
            uses = find_forbidden(sub.source, ex.entry, tuple(ex.forbidden))
        except SyntaxError as err:
            return grade("syntax error", f"the code does not parse: {err}")
        if uses:
            return grade("forbidden", "uses what this exercise asks you to build yourself, so it earns no points: "
                         + "; ".join(uses))
    forbidden = tuple(ex.forbidden) if check_forbidden else ()
    res = run_exercise(ex.id, sub.source, timeout or ex.timeout, forbidden=forbidden)
    notes = ""
    if res.def_errors:
        notes = "\nWhile defining your code: " + "; ".join(res.def_errors[:3])
    if res.failure:
        status = "timeout" if "time limit" in res.failure else "crashed"
        return grade(status, f"your code {res.failure}" + notes)
    if res.forbidden:
        return grade("forbidden", f"calls {', '.join(res.forbidden)} while running, which this exercise forbids; "
                     "no points")
    outcomes = res.outcomes or []
    if outcomes and outcomes[0][0] == "missing":
        return grade("missing", f"the notebook does not define {ex.entry} (exercise {ex.id})" + notes)
    msgs = [m for k, m in outcomes if k == "error"]
    if any("MemoryError" in m or "can't allocate memory" in m for m in msgs):
        return grade("crashed", "your code ran out of memory (the sandbox allows "
                     f"{res_memory_gib():g} GiB on top of torch): " + msgs[0][:300] + notes)
    verdict = judge(ex, outcomes)
    if verdict.passed:
        return grade("passed", verdict.feedback, True)
    status = "not attempted" if verdict.feedback.startswith("not attempted") else "failed"
    return grade(status, verdict.feedback + notes)


def res_memory_gib() -> float:
    from .sandbox import MEMORY_LIMIT

    return MEMORY_LIMIT / 2**30


def grade_all(paths: list[str], chapter: int | None = None, jobs: int = 1, timeout: float | None = None,
              progress: bool = True, skip_forbidden: tuple[str, ...] = ()
              ) -> tuple[list[SubmissionGrade], list[Exercise], list[str]]:
    """Grade every submission under ``paths``: ``(grades, exercises graded, error messages)``.

    ``skip_forbidden``: ids of exercises whose forbidden-use check is off (the tests use it for answers that
    can only import the reference).
    """
    found, errors = find_submissions(paths)
    loaded: list[tuple[str, Submission | None, str | None, list[Path]]] = []
    for name, nbs in found:
        try:
            loaded.append((name, _load(name, nbs), None, nbs))
        except SubmissionError as err:
            errors.append(str(err))
            loaded.append((name, None, str(err), nbs))
    good = [s for _, s, _, _ in loaded if s is not None]
    exs = select_exercises(good, chapter) if good else []
    for ex in exs:  # the reference (trusted) runs here, once, before any thread starts
        expected_outputs(ex)
        _mistake_outputs(ex)
    results: dict[tuple[int, str], ExerciseGrade] = {}
    tasks = [(i, s, ex) for i, (_, s, _, _) in enumerate(loaded) if s is not None for ex in exs]

    def work(task):
        i, s, ex = task
        try:
            return i, ex.id, grade_submission(s, ex, timeout, ex.id not in skip_forbidden)
        except Exception as err:  # noqa: BLE001 - never stop the run for one exercise
            return i, ex.id, ExerciseGrade(ex.id, ex.title, 0.0, float(ex.points), False, "crashed",
                                           f"the grader could not run this exercise: {type(err).__name__}: {err}")

    from tqdm.auto import tqdm

    with tqdm(total=len(tasks), desc="grading", unit="exercise", disable=not progress or not tasks) as bar:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for i, ex_id, g in pool.map(work, tasks):
                results[(i, ex_id)] = g
                bar.update(1)
    grades = []
    for i, (name, _s, err, nbs) in enumerate(loaded):
        sg = SubmissionGrade(name, ", ".join(str(n) for n in nbs), error=err)
        sg.exercises = [results[(i, ex.id)] if (i, ex.id) in results else
                        ExerciseGrade(ex.id, ex.title, 0.0, float(ex.points), False, "missing",
                                      err or "not graded") for ex in exs]
        grades.append(sg)
    return grades, exs, errors
