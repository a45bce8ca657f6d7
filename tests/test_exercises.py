"""The exercise registry, the comparison rules, the in-notebook check and the learner notebooks (all in-process).

Generic over every registered exercise: the reference passes ``check``, the stub is "not attempted", every
Mistake fails with feedback naming it, and each chapter's committed learner notebook equals its master.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from exercise_solutions import solution_notebook, solution_path

from dlcourse import exercises as E
from dlcourse.exercises.check import judge, run_cases
from dlcourse.exercises.compare import compare, load_plain, save_plain, to_plain
from dlcourse.exercises.notebook import learner_notebook, notebook_text, write_learner_notebooks

ROOT = Path(__file__).resolve().parents[1]
E.register_module("fake_exercises")  # chapter 99, used by the grading tests too
E.register_module("fake_questions")  # chapter 98: graded questions
ALL = E.all_exercises()
IDS = [ex.id for ex in ALL]


def _stub_entry(ex):
    ns: dict = {}
    exec(ex.stub, ns)
    return ns[ex.entry]


# ------------------------------------------------------------------ registry
def test_registry_ids_unique_and_chapters_have_folders():
    assert len(IDS) == len(set(IDS))
    for ex in ALL:
        assert ex.chapter in E.CHAPTER_DIRS or ex.chapter in (98, 99), ex.id
        assert E.get(ex.id) is ex
        assert ex.entry in ex.stub, f"{ex.id}: the stub must define {ex.entry}"
        assert ex.mistakes, f"{ex.id}: at least one Mistake"
    with pytest.raises(KeyError, match="no exercise"):
        E.get("0.0")


def test_duplicate_ids_are_refused(monkeypatch, tmp_path):
    mod = tmp_path / "dup_exercises_mod.py"
    mod.write_text("from dlcourse.exercises.spec import Exercise\nfrom fake_exercises import EXERCISES as E\n"
                   "EXERCISES = [E[0]]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(E, "_EXTRA", ["fake_exercises", "dup_exercises_mod"])
    monkeypatch.setattr(E, "_REGISTRY", None)
    with pytest.raises(ValueError, match="duplicate exercise id '99.1'"):
        E.all_exercises()
    monkeypatch.setattr(E, "_REGISTRY", None)


def test_retired_ids_are_never_reused(monkeypatch, tmp_path):
    # a retired id is registered nowhere, and get() names its replacement
    assert E.RETIRED_IDS and not set(E.RETIRED_IDS) & set(IDS)
    for old, new in E.RETIRED_IDS.items():
        assert new in IDS and new not in E.RETIRED_IDS, (old, new)
        with pytest.raises(KeyError, match=f"exercise '{old}' was retired.*'{new}'"):
            E.get(old)
    # the learner notebook explains the gaps in its numbering
    assert "3.1 (now 3.9)" in learner_notebook(3).cells[0].source
    # a module that gives an exercise a retired id is refused, naming the id and its replacement
    mod = tmp_path / "retired_exercises_mod.py"
    mod.write_text("import dataclasses\nfrom fake_exercises import EXERCISES as E\n"
                   "EXERCISES = [dataclasses.replace(E[0], id='2.1')]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(E, "_EXTRA", ["retired_exercises_mod"])
    monkeypatch.setattr(E, "_REGISTRY", None)
    with pytest.raises(ValueError, match="exercise id '2.1' .* is retired .* replaced by 2.8"):
        E.all_exercises()
    monkeypatch.setattr(E, "_REGISTRY", None)


# ------------------------------------------------------------------ comparison rules
class Rigged:
    def __eq__(self, other):
        return True


def test_to_plain_converts_and_refuses():
    p = to_plain((torch.ones(2, dtype=torch.bfloat16), {"a": 3, "b": [True, np.float32(2.0)]}, None))
    assert p[0].dtype == np.float32 and p[1]["a"].dtype.kind == "i" and p[1]["b"][0].dtype == bool
    for bad in (Rigged(), object(), {1: torch.ones(1)}, np.array([Rigged()], dtype=object), iter([1])):
        with pytest.raises(TypeError):
            to_plain(bad)

    class T(torch.Tensor):
        pass
    with pytest.raises(TypeError):
        to_plain(torch.ones(2).as_subclass(T))


def test_compare_order_structure_dtype_shape_values():
    e = to_plain((torch.ones(2, 3), 1))
    assert compare(e, to_plain((torch.ones(2, 3), 1))).ok
    assert "sequence of 2" in compare(e, to_plain([torch.ones(2, 3)])).message
    assert "dtype kind" in compare(e, to_plain((torch.ones(2, 3, dtype=torch.int64), 1))).message
    assert "shape" in compare(e, to_plain((torch.ones(3, 2), 1))).message
    c = compare(e, to_plain((torch.ones(2, 3) + 1e-3, 1)))
    assert not c.ok and "largest difference 0.001" in c.message and c.max_diff == pytest.approx(1e-3, rel=1e-3)
    assert compare(to_plain(torch.tensor([float("nan")])), to_plain(torch.tensor([float("nan")]))).ok
    assert not compare(to_plain(torch.tensor([1.0])), to_plain(torch.tensor([float("nan")]))).ok


def test_save_load_plain_roundtrip_without_pickle(tmp_path):
    vals = [to_plain({"w": torch.arange(6.0).reshape(2, 3), "n": [1, "s", None]}), None]
    save_plain(str(tmp_path / "r.npz"), vals, {"k": ["ok"]})
    got, meta = load_plain(str(tmp_path / "r.npz"))
    assert meta == {"k": ["ok"]} and got[1] is None and compare(vals[0], got[0]).ok
    np.savez(tmp_path / "evil.npz", __structure__=np.array('{"values": [{"a": 0}]}'),
             a0=np.array([Rigged()], dtype=object))
    with pytest.raises(ValueError):
        load_plain(str(tmp_path / "evil.npz"))


# ------------------------------------------------------------------ check, generic over every exercise
@pytest.mark.parametrize("ex_id", IDS)
def test_reference_passes_stub_not_attempted_mistakes_named(ex_id, capsys):
    ex = E.get(ex_id)
    assert E.check(ex_id, ex.reference).passed
    r = E.check(ex_id, _stub_entry(ex))
    assert r.status == "not attempted" and "not attempted yet" in capsys.readouterr().out
    for m in ex.mistakes:
        res = E.check(ex_id, m.solution)
        out = capsys.readouterr().out
        assert res.status == "failed", f"{ex_id}: mistake {m.name!r} passes the check"
        assert res.mistake is not None and "known mistake" in out, out
        assert "Hint" in out and ex.section in out
        v = judge(ex, run_cases(ex, m.solution))
        assert not v.passed


def test_check_reports_input_shape_and_error_without_raising(capsys):
    ex = E.get("99.1")
    r = E.check(ex.id, lambda *a, **k: 1 / 0)
    out = capsys.readouterr().out
    assert not r and "ZeroDivisionError" in out and "input 1" in out
    r = E.check(ex.id, lambda *a, **k: Rigged())
    assert not r and "expected a tensor" in capsys.readouterr().out
    r = E.check(ex.id, 42)
    assert r.status == "failed"


# ------------------------------------------------------------------ learner notebooks
@pytest.mark.parametrize("chapter", [c for c in E.chapters() if c in E.CHAPTER_DIRS])
def test_learner_notebook_has_no_solutions_and_is_committed(chapter):
    nb = learner_notebook(chapter)
    text = notebook_text(nb)
    assert nb.cells[0].source.splitlines()[1] == f"# Chapter {chapter} exercises"
    assert sum(c.source.lstrip().startswith("# ") or "\n# " in c.source for c in nb.cells
               if c.cell_type == "markdown") == 1
    for ex in E.all_exercises(chapter):
        assert f"## {ex.id} {ex.title}" in text and f'check(\\"{ex.id}\\", {ex.entry})' in text
        if solution_path(ex).exists():
            assert solution_path(ex).read_text().strip() not in "".join(c.source for c in nb.cells)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") for c in nb.cells)
    assert notebook_text(solution_notebook(chapter)) != text
    # the committed notebook equals its master (`dlcourse exercises --check`)
    [(path, state)] = write_learner_notebooks(ROOT, [chapter], check=True)
    assert state == "unchanged", f"{path} is {state}: run `dlcourse exercises`"
    json.loads(path.read_text())


# ------------------------------------------------------------------ graded questions
def test_question_checks_values_without_revealing_the_answer(capsys):
    assert E.check("98.1", 0.25).passed and E.check("98.1", 0.2504).passed      # within atol 1e-3
    r = E.check("98.1", 0.3)
    out = capsys.readouterr().out
    assert r.status == "failed" and "0.3 is not right" in out and "0.25" not in out
    r = E.check("98.1", "a quarter")
    assert r.status == "failed" and "finite number" in capsys.readouterr().out
    assert E.check("98.1", ...).status == "not attempted"
    assert E.check("98.2", "a").passed and E.check("98.2", " (A) ").passed
    r = E.check("98.2", "b")
    out = capsys.readouterr().out
    assert r.mistake == "Perceptrons, the book" and "1958" not in out.split("\n", 1)[1]
    assert E.check("98.2", "d").status == "failed"
    assert "not one of the choices ['a', 'b', 'c']" in capsys.readouterr().out


def test_question_in_the_learner_notebook_and_the_grader(tmp_path):
    from dlcourse.exercises.notebook import _notebook
    from dlcourse.grading import grade_all

    ex = E.get("98.2")
    nb = _notebook(98, [ex])
    src = "".join(c.source for c in nb.cells)
    assert "- **(b)** 1969" in src and 'answer_98_2 = ...  # your answer: one of' in src
    assert 'check("98.2", answer_98_2)' in src
    for answer, points in (('"a"', 1.0), ('"c"', 0.0)):
        for c in nb.cells:
            if c.source.startswith("answer_98_2"):
                c.source = f"answer_98_2 = {answer}"
        path = tmp_path / f"learner_{points:g}.ipynb"
        path.write_text(notebook_text(nb))
        grades, exs, errors = grade_all([str(path)], chapter=98, progress=False)
        assert not errors and "98.2" in [ex.id for ex in exs]
        g = {g.id: g for g in grades[0].exercises}["98.2"]
        assert g.points == points and g.status == ("passed" if points else "failed"), g
