"""The grader end to end: full marks for the references, zero for the untouched notebook and for every known
mistake (with feedback naming it), and each hostile submission graded without stopping the run.

Subprocesses are expensive on a 2-core machine, so the hostile cases are graded together in one run, through
the same ``dlcourse grade`` entry point instructors use (``cli.main``); the fork server is shared by all tests.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from exercise_solutions import module_copy_source, solution_source

from dlcourse import cli
from dlcourse import exercises as E
from dlcourse.exercises.check import _mistake_outputs
from dlcourse.exercises.compare import compare
from dlcourse.exercises.notebook import _notebook, learner_notebook, notebook_text
from dlcourse.grading import grade_all, load_submission
from dlcourse.grading.forbidden import find_forbidden
from dlcourse.grading.submission import keep_definitions

ROOT = Path(__file__).resolve().parents[1]
E.register_module("fake_exercises")
E.register_module("fake_questions")  # chapter 98: graded questions go through the same grader
CHAPTERS = E.chapters()


def write_nb(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path.write_text(nbformat.writes(nb))
    return path


def read_json(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text())


def by_id(doc: dict) -> dict:
    return {e["id"]: e for e in doc["exercises"]}


# ------------------------------------------------------------------ static parts (fast)
def test_only_definitions_are_kept():
    kept, names = keep_definitions(
        "import torch\nN = 3\nF = torch.nn.functional\nx = torch.ones(3)\nfor i in range(10**9):\n    pass\n"
        "print('hi')\ncheck('1.1', f)\n%time f()\ndef f(x):\n    return x\nclass M:\n    pass\n")
    assert names == {"torch", "N", "F", "f", "M"}
    assert len(kept) == 5


def test_forbidden_static_detection():
    fb = ("torch.nn.functional.conv2d", "dlcourse.nn.perceptron", "torch.relu")
    cases = {
        "import torch.nn.functional as F\ndef f(x):\n    return F.conv2d(x, x)": "torch.nn.functional.conv2d",
        "from torch.nn import functional\nG = functional\ndef f(x):\n    return G.conv2d(x, x)": "conv2d",
        "import torch\ndef f(x):\n    return getattr(torch.nn.functional, 'conv2d')(x)": "conv2d",
        "from dlcourse.nn.perceptron import perceptron_update as p\ndef f(x):\n    return p(x)": "perceptron",
        "import dlcourse\ndef f(x):\n    return dlcourse.nn.perceptron.perceptron_update(x)": "perceptron",
        "def f(x):\n    return x.relu()": ".relu()",
        "def h(x):\n    import torch\n    return torch.relu(x)\ndef f(x):\n    return h(x)": "torch.relu",
        "from dlcourse.exercises import get\ndef f(x):\n    return get('2.1').reference(x)": "dlcourse.exercises",
    }
    for src, what in cases.items():
        found = find_forbidden(src, "f", fb)
        assert found and what in " ".join(found), (src, found)
    ok = "import torch\nimport torch.nn.functional as F\ndef g(x):\n    return F.conv2d(x, x)\n" \
         "def f(x):\n    return torch.clamp(x, min=0)"
    assert find_forbidden(ok, "f", fb) == []  # g is not reachable from f


# ------------------------------------------------------------------ generic: every registered exercise
def same_outputs(ex, name: str) -> list:
    """The mistakes whose outputs equal those of mistake ``name`` on every case (the feedback names the first;
    two such mistakes cannot be told apart by the cases, which the master's author should know)."""
    outs = dict(zip([m.name for m in ex.mistakes], _mistake_outputs(ex)))
    mine = outs[name]
    return [m for m in ex.mistakes if all((a is None) == (b is None) and (a is None or compare(a, b).ok)
                                          for a, b in zip(outs[m.name], mine))]


def _single(ex, source: str) -> str:
    """A notebook answering only ``ex`` with ``source`` (module copies would clash if several shared one)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source),
                                         nbformat.v4.new_code_cell(f'check("{ex.id}", {ex.entry})')])
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def generic_run(tmp_path_factory):
    """Grade, per exercise, its solution, the untouched learner notebook, and each mistake given as source."""
    d = tmp_path_factory.mktemp("generic")
    for sub in ("solutions", "learners", "mistakes"):
        (d / sub).mkdir()
    plan, skip = {}, []
    for ex in E.all_exercises():
        tag = ex.id.replace(".", "_")
        src, honest = solution_source(ex)
        if not honest:
            skip.append(ex.id)
        (d / "solutions" / f"{tag}.ipynb").write_text(_single(ex, src))
        for k, m in enumerate(ex.mistakes):
            msrc = module_copy_source(m.solution, ex.entry)
            if msrc is not None:  # lambdas are judged in-process only (tests/test_exercises.py)
                (d / "mistakes" / f"{tag}-{k}.ipynb").write_text(_single(ex, msrc))
                plan[f"{tag}-{k}"] = (ex.id, m.name)
    for ch in CHAPTERS:
        nb = learner_notebook(ch) if ch in E.CHAPTER_DIRS else _notebook(ch, E.all_exercises(ch))
        (d / "learners" / f"ch{ch}.ipynb").write_text(notebook_text(nb))
    results = {}
    everything = tuple(ex.id for ex in E.all_exercises())
    for sub, skipped in (("solutions", tuple(skip)), ("learners", ()), ("mistakes", everything)):
        # mistakes may use what the learner may not: their forbidden-use check is off; the verdict must name them
        grades, exs, errors = grade_all([str(d / sub)], chapter=CHAPTERS, jobs=2, progress=False,
                                        skip_forbidden=skipped)
        assert not errors and (sub == "mistakes" or {ex.id for ex in exs} == set(everything))
        results[sub] = {g.name: {e.id: e for e in g.exercises} for g in grades}
    return results, plan


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reference_full_marks_stub_zero_mistakes_named(generic_run, chapter):
    results, plan = generic_run
    for ex in E.all_exercises(chapter):
        g = results["solutions"][ex.id.replace(".", "_")][ex.id]
        assert g.passed and g.points == g.max_points, (ex.id, g.feedback)
        g = results["learners"][f"ch{chapter}"][ex.id]
        assert g.points == 0 and g.status == "not attempted", (ex.id, g.feedback)
    for name, (ex_id, mistake) in plan.items():
        if E.get(ex_id).chapter != chapter:
            continue
        g = results["mistakes"][name][ex_id]
        assert g.points == 0 and not g.passed, (ex_id, mistake)
        named = [m.name for m in same_outputs(E.get(ex_id), mistake)]
        assert any(f"known mistake, {n!r}" in g.feedback for n in named), (ex_id, mistake, g.feedback)


# ------------------------------------------------------------------ hostile submissions, graded in one run
GOOD_ACC = "def accuracy(output, target):\n    return (output.max(dim=1).indices == target).float().mean().item()"
GOOD_SQ = ("import torch\ndef clipped_square(x, limit=1.0):\n    y = x * x\n"
           "    return torch.where(y > limit, torch.full_like(y, limit), y)")
HOSTILE = {  # name: (cells, expected status of 99.1, words the feedback must contain)
    "good": ([GOOD_SQ, GOOD_ACC, "for i in range(10**10):\n    pass", "import time\ntime.sleep(1000)",
              "print('x' * 10**8)", "import os\nos._exit(1)"], "passed", "passed"),
    "hang": (["def clipped_square(x, limit=1.0):\n    while True:\n        pass", GOOD_ACC], "timeout", "time limit"),
    "memory": (["def clipped_square(x, limit=1.0):\n    return bytearray(64 << 30)", GOOD_ACC], "crashed", "memory"),
    "torch_memory": (["import torch\ndef clipped_square(x, limit=1.0):\n    return torch.ones(2**40)", GOOD_ACC],
                     "crashed", "memory"),
    "sys_exit": (["import sys\ndef clipped_square(x, limit=1.0):\n    sys.exit(0)", GOOD_ACC], "crashed", "sys.exit"),
    "os_exit": (["import os\ndef clipped_square(x, limit=1.0):\n    os._exit(0)", GOOD_ACC], "crashed",
                "exited the interpreter"),
    "raises": (["def clipped_square(x, limit=1.0):\n    raise ValueError('boom')", GOOD_ACC], "failed",
               "ValueError: boom"),
    "prints": (["def clipped_square(x, limit=1.0):\n    print('x' * 10**7)\n    return x * x", GOOD_ACC],
               "crashed", "printed"),
    "syntax": (["def clipped_square(x, limit=1.0)\n    return x", GOOD_ACC], "syntax error", "does not parse"),
    "rigged_eq": (["class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n"
                   "def clipped_square(x, limit=1.0):\n    return Anything()", GOOD_ACC],
                  "failed", "expected a tensor"),
    "monkeypatch": (["import torch, numpy\ndef clipped_square(x, limit=1.0, _=[setattr(torch, 'allclose', "
                     "lambda *a, **k: True), setattr(numpy, 'allclose', lambda *a, **k: True), "
                     "setattr(torch.testing, 'assert_close', lambda *a, **k: None)]):\n    return x", GOOD_ACC],
                    "failed", "values differ"),
    "own_check": (["def check(*args, **kwargs):\n    print('passed!')\n    return True",
                   "def clipped_square(x, limit=1.0):\n    return x * x", GOOD_ACC, "check('99.1', clipped_square)"],
                  "failed", "no clipping"),
    "torch_builtin": (["import torch\ndef clipped_square(x, limit=1.0):\n    return torch.clamp(x * x, max=limit)",
                       GOOD_ACC], "forbidden", "torch.clamp"),
    "builtin_hidden": (["import torch\ndef clipped_square(x, limit=1.0):\n"
                        "    f = getattr(torch, ''.join(['cl', 'amp']))\n    return f(x * x, max=limit)", GOOD_ACC],
                       "forbidden", "torch.clamp"),
    "missing": ([GOOD_ACC], "missing", "does not define clipped_square"),
}
REF_CALLS = {  # 99.2 forbids dlcourse.training.accuracy (the reference) and torch.argmax
    "reference": ("from dlcourse.training import accuracy as ref\n"
                  "def accuracy(output, target):\n    return ref(output, target)"),
    "reference_hidden": ("import importlib\ndef accuracy(output, target):\n"
                         "    m = importlib.import_module('dlcourse.' + 'training')\n"
                         "    return m.accuracy(output, target)"),
    "registry": ("import importlib\ndef accuracy(output, target):\n"
                 "    return getattr(importlib.import_module('dlcourse.exercises'), 'g' + 'et')('99.2')"
                 ".reference(output, target)"),
    "argmax_method": "def accuracy(output, target):\n    return (output.argmax(1) == target).float().mean().item()",
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    subs = d / "subs"
    subs.mkdir()
    for name, (cells, _, _) in HOSTILE.items():
        write_nb(subs / f"{name}.ipynb", *cells)
    for name, cell in REF_CALLS.items():
        write_nb(subs / f"{name}.ipynb", GOOD_SQ, cell)
    (subs / "not_json.ipynb").write_text("this is not { json")
    (subs / "not_notebook.ipynb").write_text('{"hello": "world"}')
    out = d / "out"
    # the process sandbox here (tests/test_grading_hostile.py grades its set in namespaces where available)
    rc = cli.main(["grade", str(subs), "--out", str(out), "-j", "2", "--chapter", "99", "--timeout", "4", "-q",
                   "--sandbox", "process"])
    return rc, out


def test_hostile_submissions_each_lose_only_their_exercise(hostile_run):
    rc, out = hostile_run
    assert rc == 0
    for name, (_, status, words) in HOSTILE.items():
        g = by_id(read_json(out, name))
        assert g["99.1"]["status"] == status, (name, g["99.1"])
        assert words in g["99.1"]["feedback"], (name, g["99.1"]["feedback"])
        assert g["99.1"]["points"] == (1 if status == "passed" else 0)
        assert g["99.2"]["passed"], (name, g["99.2"]["feedback"])  # the other exercise is unharmed
    for name in REF_CALLS:
        g = by_id(read_json(out, name))
        assert g["99.1"]["passed"] and g["99.2"]["status"] == "forbidden" and g["99.2"]["points"] == 0, (name, g)
        assert "forbid" in g["99.2"]["feedback"]


def test_gradebook_content(hostile_run):
    rc, out = hostile_run
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert list(rows[0]) == ["submission", "99.1", "99.2", "total", "max_total", "copied"]
    names = [r["submission"] for r in rows]
    assert names == sorted(names) and len(names) == len(HOSTILE) + len(REF_CALLS) + 2
    byname = {r["submission"]: r for r in rows}
    assert byname["good"] == {"submission": "good", "99.1": "1", "99.2": "1", "total": "2", "max_total": "2",
                              "copied": ""}
    assert byname["hang"]["total"] == "1" and byname["not_json"]["total"] == "0"
    doc = read_json(out, "good")
    assert doc["total"] == 2 and doc["max_total"] == 2 and doc["error"] is None
    assert set(doc["exercises"][0]) == {"id", "title", "points", "max_points", "passed", "status", "feedback"}
    assert doc["mode"] == "process" and doc["notes"] == []
    assert "not valid JSON" in read_json(out, "not_json")["error"]
    assert "not a Jupyter notebook" in read_json(out, "not_notebook")["error"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left behind


def test_nothing_gradable_exits_nonzero(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    (tmp_path / "x.json").write_text("[1, 2]")
    for args in ([str(tmp_path / "empty")], [str(tmp_path / "nope.ipynb")], [str(bad)], [str(tmp_path / "x.json")]):
        assert cli.main(["grade", *args, "--out", str(tmp_path / "out"), "-q"]) == 1
        err = capsys.readouterr().err
        assert "nothing could be graded" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_python_m_dlcourse_cli(tmp_path):
    """The real command, in a fresh process: a malformed submission exits 1 with a clear message."""
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    p = subprocess.run([sys.executable, "-m", "dlcourse", "grade", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 1 and "not valid JSON" in p.stderr and "nothing could be graded" in p.stderr
    # `dlcourse exercises --check`, in a process without `resource` (as on Windows): the grading package still
    # imports and check() still works for learners (one process for both, to save an import of torch)
    code = ("import runpy, sys; sys.modules['resource'] = None\n"
            "import dlcourse.grading\nfrom dlcourse.exercises import check, register_module\n"
            "sys.argv = ['dlcourse', 'exercises', '--check']\n"
            "try:\n    runpy.run_module('dlcourse', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "register_module('fake_exercises')\nimport torch\n"
            "r = check('99.1', lambda x, limit=1.0: torch.where(x * x > limit, limit, x * x).double(), quiet=True)\n"
            "print('check:', r.status)\n")
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert p.returncode == 0 and "check: passed" in p.stdout, p.stdout + p.stderr


def test_submission_loader_keeps_cells_apart(tmp_path):
    nb = write_nb(tmp_path / "a.ipynb", "def f(:\n  pass", "def g(x):\n    return x")
    sub = load_submission(nb)
    assert sub.defined == {"g"} and sub.syntax_errors and sub.syntax_error_for("f")
