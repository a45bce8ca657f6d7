"""Grading submissions: one sandboxed run per (submission, exercise), comparisons here (book: "Grading").

For each exercise of each submission the grader decides, in this order:

1. the cell defining the entry does not parse -> 0, "syntax error";
2. the entry is not defined -> 0, "missing";
3. a forbidden name is used in code reachable from the entry (static reading) -> 0, "forbidden";
4. the sandboxed run fails (time limit, memory, exit, crash, too much output) -> 0, saying which;
5. a tripwire fired at run time -> 0, "forbidden";
6. otherwise the plain results are judged against the reference, exactly as ``check`` does -> full points or 0
   with the first differing input and the known mistake it matches.

Every step that reads a submission (reading the file, decoding its JSON, parsing, keeping definitions,
unparsing, the static check) runs in the main thread, before any worker thread starts, and is contained: any
exception, ``RecursionError`` and ``MemoryError`` included, costs only that submission (or that exercise) with a
clear message. Worker threads only wait for sandboxes and compare arrays. The exercise set is fixed before
grading starts (:func:`select_exercises`), and output names are computed over the whole set
(:func:`unique_names`).
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from dlcourse import exercises as registry
from dlcourse.exercises.check import Outcome, Status, _mistake_outputs, expected_outputs, judge
from dlcourse.exercises.spec import Exercise

from .copied import copies_reference
from .dispatch import forbidden_ops
from .forbidden import find_forbidden
from .sandbox import MEMORY_LIMIT, Failure, run_exercise, sandbox_mode
from .submission import Submission, SubmissionError, load_submission

__all__ = ["ExerciseGrade", "SubmissionGrade", "GradeStatus", "GradingError", "grade_submission", "grade_all",
           "find_submissions", "select_exercises", "parse_chapters", "unique_names", "static_uses",
           "FEEDBACK_LIMIT"]

FEEDBACK_LIMIT = 4000   # characters of feedback per exercise (and per note)


class GradeStatus(StrEnum):
    """An exercise's status in the gradebook (data: set where the decision is made, never read from words)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"
    MISSING = "missing"
    SYNTAX_ERROR = "syntax error"
    FORBIDDEN = "forbidden"
    TIMEOUT = "timeout"
    CRASHED = "crashed"


class GradingError(ValueError):
    """Grading cannot start (the exercise set is ambiguous, a chapter is unknown); the message says what to do."""


def _cap(text: str, limit: int = FEEDBACK_LIMIT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f" ... [{len(text) - limit} more characters cut]"


@dataclass
class ExerciseGrade:
    """One exercise's grade, as written to the submission's JSON file (``feedback`` is capped)."""

    id: str
    title: str
    points: float
    max_points: float
    passed: bool
    status: GradeStatus
    feedback: str

    def __post_init__(self) -> None:
        self.status = GradeStatus(self.status)
        self.feedback = _cap(self.feedback)


@dataclass
class SubmissionGrade:
    """All of one submission's grades (``error`` set when the file could not be graded at all)."""

    name: str
    path: str
    exercises: list[ExerciseGrade] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)   # e.g. checks of exercises outside the graded set
    mode: str = "process"                            # the sandbox that ran it: "namespaces" or "process"
    copied: list[str] = field(default_factory=list)  # exercises whose entry is the reference's code

    @property
    def total(self) -> float:
        return sum(g.points for g in self.exercises)

    def to_json(self, max_total: float) -> dict:
        return {"submission": self.name, "path": self.path, "total": self.total, "max_total": max_total,
                "error": self.error, "notes": list(self.notes), "mode": self.mode, "copied": list(self.copied),
                "exercises": [asdict(g) for g in self.exercises]}


# ---------------------------------------------------------------- finding submissions and naming them
def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._")[:80] or "submission"


def unique_names(entries: list[tuple[str, str]]) -> list[str]:
    """File-system-safe output names for ``(name, identity)`` pairs, unique over the whole set.

    A name that sanitises to a unique string (ignoring case) keeps it; names that collide (``col x`` and
    ``col_x``) each get a suffix from a hash of their identity (the submission's resolved path), so the result
    depends neither on the order of the entries nor on which of them a sharded run sees first: computed over
    the same whole set, it is the same.
    """
    safe = [_safe(n) for n, _ in entries]
    counts = Counter(s.lower() for s in safe)
    for digits in (8, 16, 40):
        out = [s if counts[s.lower()] == 1 else f"{s}-{hashlib.sha1(key.encode()).hexdigest()[:digits]}"
               for s, (_, key) in zip(safe, entries)]
        if len({o.lower() for o in out}) == len(out):
            return out
    raise GradingError("two submissions have the same path; give each only once")


def find_submissions(paths: list[str]) -> tuple[list[tuple[str, list[Path]]], list[str]]:
    """Expand the command-line paths into submissions ``(name, notebooks)``; also return error messages.

    A notebook file is one submission. A folder holds submissions: each ``*.ipynb`` directly in it is one, and
    each sub-folder holding notebooks is one (all its notebooks together, e.g. one learner's chapters).
    """
    subs: list[tuple[str, list[Path], str]] = []
    errors: list[str] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            errors.append(f"{raw}: no such file or folder")
        elif not p.is_dir():
            subs.append((p.stem, [p], str(p.resolve())))
        else:
            found = False
            for child in sorted(p.iterdir()):
                if not child.is_dir() and child.suffix == ".ipynb":  # a FIFO too: refused clearly
                    subs.append((child.stem, [child], str(child.resolve())))
                    found = True
                elif child.is_dir() and not child.name.startswith("."):
                    nbs = sorted(c for c in child.rglob("*.ipynb") if ".ipynb_checkpoints" not in c.parts)
                    if nbs:
                        subs.append((child.name, nbs, str(child.resolve())))
                        found = True
            if not found:
                errors.append(f"{raw}: folder holds no notebooks (*.ipynb)")
    seen: set[str] = set()
    kept = []
    for s in subs:
        if s[2] not in seen:  # the same file named twice is graded once
            seen.add(s[2])
            kept.append(s)
    names = unique_names([(n, key) for n, _, key in kept])
    return [(name, nbs) for name, (_, nbs, _) in zip(names, kept)], errors


# ---------------------------------------------------------------- the exercise set
def parse_chapters(spec: str | int | list[int] | tuple[int, ...] | None) -> list[int] | None:
    """``"1,2,3,4"``, ``3`` or ``[1, 2]`` -> a sorted list of chapters; ``None`` stays ``None``."""
    if spec is None:
        return None
    if isinstance(spec, int):
        items = [spec]
    elif isinstance(spec, str):
        try:
            items = [int(x) for x in spec.replace(" ", "").split(",") if x]
        except ValueError:
            raise GradingError(f"--chapter takes chapter numbers separated by commas (e.g. 1,2,3,4), got {spec!r}"
                               ) from None
    else:
        items = [int(x) for x in spec]
    if not items:
        raise GradingError("--chapter names no chapter")
    known = registry.chapters()
    unknown = sorted(set(items) - set(known))
    if unknown:
        raise GradingError(f"chapter {', '.join(map(str, unknown))} has no exercises "
                           f"(chapters with exercises: {', '.join(map(str, known))})")
    return sorted(set(items))


def _chapters_of(ids: set[str]) -> frozenset[int]:
    return frozenset(int(i.split(".")[0]) for i in ids)


def select_exercises(subs: list[Submission], chapters: list[int] | int | str | None = None) -> list[Exercise]:
    """The exercises to grade, decided before grading starts.

    With ``chapters`` (the instructor's ``--chapter 1,2``), those chapters' exercises. Without, the chapters
    the submissions check (``check("N.M", ...)`` cells), but only if every submission that checks any
    exercise checks the same chapters; otherwise :class:`GradingError` names the groups, so that no single
    submission can widen (or narrow) what everyone is graded on.
    """
    chosen = parse_chapters(chapters)
    if chosen is None:
        groups: dict[frozenset[int], list[str]] = {}
        for s in subs:
            if s.checked:
                groups.setdefault(_chapters_of(s.checked), []).append(s.name)
        if not groups:
            raise GradingError("the submissions check no exercise, so the chapters to grade cannot be inferred; "
                               "pass --chapter (e.g. --chapter 2 or --chapter 1,2,3,4)")
        if len(groups) > 1:
            lines = [f"  chapter(s) {', '.join(map(str, sorted(ch)))}: {len(names)} submission(s), e.g. "
                     f"{', '.join(names[:3])}" for ch, names in sorted(groups.items(), key=lambda kv: -len(kv[1]))]
            raise GradingError("the submissions do not agree on the chapters they check, so the exercise set "
                               "cannot be inferred:\n" + "\n".join(lines)
                               + "\npass the chapters to grade, e.g. --chapter "
                               + ",".join(map(str, sorted(max(groups, key=lambda k: len(groups[k]))))))
        (agreed,) = groups
        known = set(registry.chapters())
        if not agreed <= known:
            raise GradingError(f"the submissions check chapter(s) {', '.join(map(str, sorted(agreed - known)))}, "
                               "which have no exercises; pass --chapter")
        chosen = sorted(agreed)
    return [ex for ex in registry.all_exercises() if ex.chapter in chosen]


def _out_of_set_note(sub: Submission, ids: set[str]) -> str | None:
    extra = sorted(sub.checked - ids, key=lambda i: [int(p) for p in i.split(".")])
    if not extra:
        return None
    shown = ", ".join(extra[:10]) + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
    return (f"the notebook checks exercise(s) {shown}, which are not in this grading's exercise set; "
            "they were not graded")


def _load(name: str, nbs: list[Path]) -> Submission:
    parts = [load_submission(nb, name) for nb in nbs]
    sub = parts[0]
    for other in parts[1:]:
        sub.source += "\n\n" + other.source
        sub.defined |= other.defined
        sub.syntax_errors += other.syntax_errors
        sub.raw_text += other.raw_text
        sub.checked |= other.checked
    return sub


# ---------------------------------------------------------------- grading
def static_uses(sub: Submission, ex: Exercise) -> list[str]:
    """The forbidden uses the syntax tree shows (``SyntaxError`` if the kept code does not parse).

    Call it in the main thread only: CPython 3.11 builds syntax trees unsafely across threads.
    """
    return find_forbidden(sub.source, ex.entry, tuple(ex.forbidden))


def grade_submission(sub: Submission, ex: Exercise, timeout: float | None = None,
                     check_forbidden: bool = True, uses: list[str] | None = None,
                     wall_timeout: float | None = None, isolate: bool = False) -> ExerciseGrade:
    """Grade one exercise of one submission (see the module docstring for the order of decisions).

    ``uses``: the result of :func:`static_uses`, computed beforehand in the main thread (computed here if None).
    ``timeout``: CPU seconds (default: the exercise's); ``wall_timeout``: the wall-clock limit behind it.
    """
    def grade(status: GradeStatus, feedback: str, passed: bool = False) -> ExerciseGrade:
        return ExerciseGrade(ex.id, ex.title, float(ex.points) if passed else 0.0, float(ex.points), passed,
                             status, feedback)

    syntax = sub.syntax_error_for(ex.entry)
    if syntax:
        return grade(GradeStatus.SYNTAX_ERROR, syntax)
    if ex.entry not in sub.defined:
        return grade(GradeStatus.MISSING, f"the notebook does not define {ex.entry} (exercise {ex.id})")
    if check_forbidden:
        try:
            uses = static_uses(sub, ex) if uses is None else uses
        except SyntaxError as err:
            return grade(GradeStatus.SYNTAX_ERROR, f"the code does not parse: {err}")
        if uses:
            return grade(GradeStatus.FORBIDDEN, "uses what this exercise asks you to build yourself, so it earns "
                         "no points: " + "; ".join(uses[:10]))
    forbidden = tuple(ex.forbidden) if check_forbidden else ()
    ops = forbidden_ops(forbidden, tuple(getattr(ex, "forbidden_ops", ()))) if check_forbidden else ()
    res = run_exercise(ex.id, sub.source, timeout or ex.timeout, forbidden=forbidden, wall_timeout=wall_timeout,
                       isolate=isolate, ops=ops)
    notes = ""
    if res.def_errors:
        notes = "\nWhile defining your code: " + "; ".join(res.def_errors[:3])
    if res.kind is not None:
        if res.kind is Failure.TIMEOUT:
            return grade(GradeStatus.TIMEOUT, f"your code {res.failure}" + notes)
        if res.kind is Failure.MEMORY:
            return grade(GradeStatus.CRASHED, f"your code {res.failure} (the sandbox allows "
                         f"{MEMORY_LIMIT / 2**30:g} GiB of memory on top of torch)" + notes)
        return grade(GradeStatus.CRASHED, f"your code {res.failure}" + notes)
    if res.forbidden:
        return grade(GradeStatus.FORBIDDEN, f"calls {', '.join(res.forbidden)} while running, which this exercise "
                     "forbids; no points")
    outcomes = res.outcomes or []
    if outcomes and outcomes[0][0] == Outcome.MISSING:
        return grade(GradeStatus.MISSING, f"the notebook does not define {ex.entry} (exercise {ex.id})" + notes)
    memory = [m for k, m in outcomes if k == Outcome.MEMORY]
    if memory:
        return grade(GradeStatus.CRASHED, "your code ran out of memory (the sandbox allows "
                     f"{MEMORY_LIMIT / 2**30:g} GiB on top of torch): " + memory[0][:300] + notes)
    verdict = judge(ex, outcomes)
    if verdict.status is Status.PASSED:
        return grade(GradeStatus.PASSED, verdict.feedback, True)
    status = GradeStatus.NOT_ATTEMPTED if verdict.status is Status.NOT_ATTEMPTED else GradeStatus.FAILED
    return grade(status, verdict.feedback + notes)


def _contained(what: str, err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return f"{what}: it nests too deeply for the grader (RecursionError)"
    if isinstance(err, MemoryError):
        return f"{what}: it is too large for the grader (MemoryError)"
    return f"{what}: {type(err).__name__}: {_cap(err, 300)}"


def grade_all(paths: list[str], chapter: list[int] | int | str | None = None, jobs: int = 1,
              timeout: float | None = None, progress: bool = True, skip_forbidden: tuple[str, ...] = (),
              wall_timeout: float | None = None, sandbox: str = "auto", shard: tuple[int, int] | None = None
              ) -> tuple[list[SubmissionGrade], list[Exercise], list[str]]:
    """Grade every submission under ``paths``: ``(grades, exercises graded, error messages)``.

    ``chapter``: the chapters to grade (``"1,2"``, ``[1, 2]``, ``2``); None infers them (see
    :func:`select_exercises`, which raises :class:`GradingError` before anything runs when it cannot).
    ``skip_forbidden``: ids of exercises whose forbidden-use check is off (the tests use it for answers that
    can only import the reference). ``sandbox``: ``"auto"``, ``"namespaces"`` or ``"process"`` (see
    :func:`~dlcourse.grading.sandbox.sandbox_mode`); the mode that ran is in every ``SubmissionGrade.mode``.
    ``shard``: ``(K, N)`` grades only the K-th of N disjoint shards (:mod:`dlcourse.grading.shards`); it needs
    an explicit ``chapter``, so that every shard grades the same exercise set.
    """
    found, errors = find_submissions(paths)
    if shard is not None:
        if chapter is None:
            raise GradingError("--shard needs an explicit exercise set (--chapter N[,N...]), so that every shard "
                               "grades the same exercises")
        from .shards import select_shard

        mine = select_shard([name for name, _ in found], shard)
        found = [(name, nbs) for name, nbs in found if name in mine]
    loaded: list[tuple[str, Submission | None, str | None, list[Path]]] = []
    for name, nbs in found:  # main thread: reading, JSON, parsing, unparsing; each contained
        try:
            loaded.append((name, _load(name, nbs), None, nbs))
        except SubmissionError as err:
            errors.append(str(err))
            loaded.append((name, None, str(err), nbs))
        except Exception as err:  # noqa: BLE001 - RecursionError, MemoryError included: only this submission
            msg = _contained(", ".join(str(n) for n in nbs), err)
            errors.append(msg)
            loaded.append((name, None, msg, nbs))
    good = [s for _, s, _, _ in loaded if s is not None]
    exs = select_exercises(good, chapter) if good else []
    ids = {ex.id for ex in exs}
    try:  # after the checks that need no sandbox, before anything runs
        mode, _why = sandbox_mode(sandbox)
    except (RuntimeError, ValueError) as err:
        raise GradingError(str(err)) from None
    for ex in exs:  # the reference (trusted) runs here, once, before any thread starts
        expected_outputs(ex)
        _mistake_outputs(ex)
    results: dict[tuple[int, str], ExerciseGrade] = {}
    copied: set[tuple[int, str]] = set()
    tasks = []
    for i, (_, s, _, _) in enumerate(loaded):
        for ex in exs if s is not None else []:
            if ex.entry in s.defined:
                try:
                    if copies_reference(s.source, ex):
                        copied.add((i, ex.id))
                except Exception:  # noqa: BLE001, S110 - a flag, never a reason to stop
                    pass
            # every syntax tree is built here, in the main thread, before any worker thread starts
            try:
                uses = static_uses(s, ex) if ex.id not in skip_forbidden else []
            except SyntaxError as err:
                results[(i, ex.id)] = ExerciseGrade(ex.id, ex.title, 0.0, float(ex.points), False,
                                                    GradeStatus.SYNTAX_ERROR, f"the code does not parse: {err}")
                continue
            except Exception as err:  # noqa: BLE001
                results[(i, ex.id)] = ExerciseGrade(ex.id, ex.title, 0.0, float(ex.points), False,
                                                    GradeStatus.CRASHED, _contained("the grader cannot read the "
                                                                                    "code", err))
                continue
            tasks.append((i, s, ex, uses))

    def work(task):
        i, s, ex, uses = task
        try:
            return i, ex.id, grade_submission(s, ex, timeout, ex.id not in skip_forbidden, uses, wall_timeout,
                                              mode == "namespaces")
        except Exception as err:  # noqa: BLE001 - never stop the run for one exercise
            return i, ex.id, ExerciseGrade(ex.id, ex.title, 0.0, float(ex.points), False, GradeStatus.CRASHED,
                                           _contained("the grader could not grade this exercise", err))

    from tqdm.auto import tqdm

    with tqdm(total=len(tasks), desc="grading", unit="exercise", disable=not progress or not tasks) as bar:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for i, ex_id, g in pool.map(work, tasks):
                results[(i, ex_id)] = g
                bar.update(1)
    grades = []
    for i, (name, s, err, nbs) in enumerate(loaded):
        sg = SubmissionGrade(name, ", ".join(str(n) for n in nbs), error=err, mode=mode)
        sg.exercises = [results[(i, ex.id)] if (i, ex.id) in results else
                        ExerciseGrade(ex.id, ex.title, 0.0, float(ex.points), False, GradeStatus.MISSING,
                                      err or "not graded") for ex in exs]
        note = _out_of_set_note(s, ids) if s is not None else None
        if note:
            sg.notes.append(note)
        for g in sg.exercises:
            if (i, g.id) in copied:
                sg.copied.append(g.id)
                g.feedback = _cap(g.feedback + "\nNote: this answer's code is the reference's (the same syntax tree "
                                  "once names, docstrings and formatting are normalised); your instructor will look "
                                  "at it.")
        grades.append(sg)
    return grades, exs, errors
