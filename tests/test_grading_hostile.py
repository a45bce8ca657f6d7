"""Hostile submissions that tried to stop, widen or strain a whole grading run (issue 10), each graded without
harming anyone else; plus the grader's plumbing on its own: the result format, the out dir, names, statuses.

One run of ``dlcourse grade`` (``cli.main``) grades every hostile notebook together, as an instructor would.
"""
from __future__ import annotations

import csv
import json
import os
import struct
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlcourse import cli
from dlcourse import exercises as E
from dlcourse.grading import GradeStatus, GradingError, grade_all
from dlcourse.grading.gradebook import JSON_LIMIT, OutDirError, check_out_dir
from dlcourse.grading.grader import FEEDBACK_LIMIT, select_exercises, unique_names
from dlcourse.grading.submission import SubmissionError, load_submission, read_capped
from dlcourse.grading.wire import MAGIC, ResultError, decode_result, encode_result

E.register_module("fake_exercises")
ROOT = Path(__file__).resolve().parents[1]

GOOD_ACC = "def accuracy(output, target):\n    return (output.max(dim=1).indices == target).float().mean().item()"
GOOD_SQ = ("import torch\ndef clipped_square(x, limit=1.0):\n    y = x * x\n"
           "    return torch.where(y > limit, torch.full_like(y, limit), y)")
SQ_BODY = "    y = x * x\n    return torch.where(y > limit, torch.full_like(y, limit), y)\n"


def write_nb(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path.write_text(nbformat.writes(nb))
    return path


def read_json(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text())


def by_id(doc: dict) -> dict:
    return {e["id"]: e for e in doc["exercises"]}


def _huge_npy() -> bytes:
    """A well-formed result whose one array declares 8 TiB (2**40 float64) and carries 64 bytes."""
    head = b'{"structure": [{"a": 0}], "meta": {}, "arrays": 1}'
    npy = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }"
    npy = npy.ljust(125) + b"\n"
    return (MAGIC + struct.pack("<Q", len(head)) + head + b"\x93NUMPY\x01\x00" + struct.pack("<H", len(npy)) + npy
            + bytes(64))


def _bomb_writer(payload: str) -> str:
    """Source of an entry that writes ``payload`` (an expression for bytes) into every pipe it holds but its
    output, in place of a result, and leaves."""
    return ("import os, stat, torch\ndef clipped_square(x, limit=1.0):\n"
            "    data = " + payload + "\n"
            "    for fd in range(3, 64):\n"
            "        try:\n"
            "            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
            "                os.write(fd, data)\n"
            "        except OSError:\n"
            "            pass\n"
            "    os._exit(0)\n")


def hostile(out: Path) -> dict:
    """name: (cells, expected status of 99.1, words its feedback must contain)."""
    deep = "X = " + "-" * 2000 + "1"
    return {
        "deep_constant": ([deep, GOOD_SQ, GOOD_ACC], "passed", "passed"),
        "deep_in_entry_cell": ([deep + "\n" + GOOD_SQ, GOOD_ACC], "syntax error", "nests too deeply"),
        "deep_parse": (["Y = " + "1+" * 3000 + "1", GOOD_SQ, GOOD_ACC], "passed", "passed"),
        "plants_gradebook": (["import os, torch\ndef clipped_square(x, limit=1.0):\n"
                              f"    os.makedirs({str(out / 'grades.csv' / 'x')!r}, exist_ok=True)\n"
                              f"    os.makedirs({str(out / 'good.json')!r}, exist_ok=True)\n" + SQ_BODY, GOOD_ACC],
                             "passed", "passed"),
        "daemon_holds_pipes": (["import os, time, torch\nFORKED = []\ndef clipped_square(x, limit=1.0):\n"
                                "    if not FORKED:\n        FORKED.append(1)\n"
                                "        if os.fork() == 0:\n            os.setsid()\n"
                                "            if os.fork() == 0:\n                time.sleep(15)\n"
                                "            os._exit(0)\n" + SQ_BODY, GOOD_ACC], "passed", "passed"),
        "npz_bomb": ([_bomb_writer("__import__('zlib').compress(bytes(1 << 24), 9)"), GOOD_ACC], "crashed",
                     "unreadable result"),
        "npy_declares_huge": ([_bomb_writer(repr(_huge_npy())), GOOD_ACC], "crashed", "declares 8796093022208 bytes"),
        "result_flood": ([_bomb_writer("bytes(20 << 20)"), GOOD_ACC], "crashed", "MB of results"),
        "huge_message": (["def clipped_square(x, limit=1.0):\n    raise ValueError('x' * 10**7)", GOOD_ACC],
                         "failed", "more characters cut"),
        "print_then_truncate": (["import os, sys\ndef clipped_square(x, limit=1.0):\n"
                                 "    sys.stdout.write('y' * (5 << 20))\n    sys.stdout.flush()\n"
                                 "    try:\n        os.ftruncate(1, 0)\n    except OSError:\n        pass\n"
                                 "    return x * x", GOOD_ACC], "crashed", "printed more than"),
        "message_says_memory": (["def clipped_square(x, limit=1.0):\n"
                                 "    raise ValueError(\"MemoryError: can't allocate memory; time limit\")",
                                 GOOD_ACC], "failed", "ValueError"),
        "sleeps": (["import time\ndef clipped_square(x, limit=1.0):\n    time.sleep(60)", GOOD_ACC], "timeout",
                   "wall-clock time limit"),
        "spins": (["def clipped_square(x, limit=1.0):\n    while True:\n        pass", GOOD_ACC], "timeout",
                  "limit ("),  # the CPU limit, or on a very busy machine the wall-clock limit behind it
        "widens": ([GOOD_SQ, GOOD_ACC, "check('99.1', clipped_square)", "check('4.1', x)", "check('1.3', y)"],
                   "passed", "passed"),
        "col x": ([GOOD_SQ, GOOD_ACC], "passed", "passed"),
        "col_x": (["def clipped_square(x, limit=1.0):\n    return x * x", GOOD_ACC], "failed", "no clipping"),
        "col_x-2": (["def clipped_square(x, limit=1.0):\n    raise NotImplementedError", GOOD_ACC],
                    "not attempted", "not attempted"),
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile10")
    subs, out = d / "subs", d / "out"
    subs.mkdir()
    cases = hostile(out)
    for name, (cells, _, _) in cases.items():
        write_nb(subs / f"{name}.ipynb", *cells)
    (subs / "deep_json.ipynb").write_text("[" * 50_000 + "]" * 50_000)
    os.mkfifo(subs / "fifo.ipynb")  # a FIFO handed in as a notebook: read without blocking, refused
    t = time.monotonic()
    rc = cli.main(["grade", str(subs), "--out", str(out), "-j", "2", "--chapter", "99", "--timeout", "3",
                   "--wall-timeout", "8", "-q"])
    return rc, out, cases, time.monotonic() - t


def test_each_hostile_submission_costs_only_itself(run):
    rc, out, cases, seconds = run
    assert rc == 0
    for name, (_, status, words) in cases.items():
        g = by_id(read_json(out, _name_of(out, name)))
        assert g["99.1"]["status"] == status, (name, g["99.1"])
        assert words in g["99.1"]["feedback"], (name, g["99.1"]["feedback"][:500])
        assert g["99.2"]["passed"], (name, g["99.2"]["feedback"][:500])  # the other exercise is unharmed
    # the daemon holding the pipes for 15 s did not hold up the run (17 exercises at -j 2, limits 3 s CPU / 8 s)
    assert seconds < 200


def _name_of(out: Path, raw: str) -> str:
    rows = list(csv.DictReader((out / "grades.csv").open()))
    docs = {r["submission"]: read_json(out, r["submission"]) for r in rows}
    (name,) = [n for n, doc in docs.items() if doc["path"].endswith(f"/{raw}.ipynb")]
    return name


def test_gradebook_written_whole_despite_planting(run):
    rc, out, cases, _ = run
    assert (out / "grades.csv").is_file() and (out / "good.json").exists() is False
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert list(rows[0]) == ["submission", "99.1", "99.2", "total", "max_total", "copied"]  # never 4.1 or 1.3
    assert len(rows) == len(cases) + 2  # + deep_json, fifo
    assert len({r["submission"] for r in rows}) == len(rows)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]  # no temporary folders left


def test_unreadable_files_are_contained(run):
    _, out, _, _ = run
    assert "nests too deeply" in read_json(out, "deep_json")["error"]
    assert "not a regular file" in read_json(out, "fifo")["error"]


def test_out_of_set_checks_are_noted_for_that_submission_only(run):
    _, out, _, _ = run
    notes = read_json(out, "widens")["notes"]
    assert len(notes) == 1 and "1.3, 4.1" in notes[0] and "not graded" in notes[0]
    assert read_json(out, "deep_constant")["notes"] == []


def test_colliding_names_stay_apart(run):
    _, out, _, _ = run
    raw = {"col x": "passed", "col_x": "failed", "col_x-2": "not attempted"}
    names = {r: _name_of(out, r) for r in raw}
    assert len(set(names.values())) == 3 and names["col_x-2"] == "col_x-2"
    for r, status in raw.items():
        assert by_id(read_json(out, names[r]))["99.1"]["status"] == status
    # stable: the same set in another order gives the same names; computed over the whole set
    entries = [("col x", "/a/col x.ipynb"), ("col_x", "/a/col_x.ipynb"), ("col_x-2", "/a/col_x-2.ipynb")]
    assert unique_names(entries) == unique_names(entries[::-1])[::-1]
    assert unique_names(entries)[2] == "col_x-2" and unique_names(entries)[0].startswith("col_x-")


def test_feedback_and_json_are_capped(run):
    _, out, _, _ = run
    path = out / "huge_message.json"
    assert path.stat().st_size < 3 * FEEDBACK_LIMIT + 4000 < JSON_LIMIT
    assert len(by_id(read_json(out, "huge_message"))["99.1"]["feedback"]) <= FEEDBACK_LIMIT + 100


def test_statuses_are_data_not_words(run):
    _, out, _, _ = run
    g = by_id(read_json(out, "message_says_memory"))["99.1"]
    assert g["status"] == "failed" and "MemoryError" in g["feedback"]  # not "crashed", not "timeout"
    assert set(GradeStatus) >= {GradeStatus(by_id(read_json(out, n))["99.1"]["status"]) for n in ("spins", "sleeps")}


def test_cpu_time_is_the_primary_limit():
    from dlcourse.grading.sandbox import Failure, run_exercise

    spin = "def clipped_square(x, limit=1.0):\n    while True:\n        pass\n"
    res = run_exercise("99.1", spin, timeout=1, wall_timeout=120)
    assert res.kind is Failure.TIMEOUT and "CPU time limit (1 s)" in res.failure and res.seconds < 120


# ------------------------------------------------------------------ the exercise set
def test_exercise_set_inferred_only_when_all_agree(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(3):
        write_nb(subs / f"s{i}.ipynb", GOOD_SQ, "check('99.1', clipped_square)")
    write_nb(subs / "wider.ipynb", GOOD_SQ, "check('99.1', clipped_square)", "check('4.1', x)")
    rc = cli.main(["grade", str(subs), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and not (tmp_path / "out").exists()
    assert "do not agree" in err and "chapter(s) 99: 3 submission(s)" in err and "chapter(s) 4, 99: 1" in err
    assert "--chapter 99" in err
    rc = cli.main(["grade", str(subs / "s0.ipynb"), "--out", str(tmp_path / "out"), "--chapter", "99,x", "-q"])
    assert rc == 2 and "separated by commas" in capsys.readouterr().err
    rc = cli.main(["grade", str(subs / "s0.ipynb"), "--out", str(tmp_path / "out"), "--chapter", "1,77", "-q"])
    assert rc == 2 and "chapter 77 has no exercises" in capsys.readouterr().err


def test_select_exercises_rules():
    def sub(*ids):
        return type("S", (), {"checked": set(ids), "name": "s"})()
    assert {ex.id for ex in select_exercises([sub("99.1"), sub("99.2", "99.1")])} == {"99.1", "99.2"}
    assert [ex.chapter for ex in select_exercises([sub("1.1")], "1,99")] == [1] * len(E.all_exercises(1)) + [99, 99]
    with pytest.raises(GradingError, match="check no exercise"):
        select_exercises([sub(), sub()])
    with pytest.raises(GradingError, match="do not agree"):
        select_exercises([sub("99.1"), sub("2.1")])


# ------------------------------------------------------------------ the out dir
def test_out_dir_rules(tmp_path):
    sub = write_nb(tmp_path / "a.ipynb", GOOD_SQ)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutDirError, match="not a folder"):
        check_out_dir(f)
    busy = tmp_path / "busy"
    (busy / "grades.csv").mkdir(parents=True)  # a directory in the way
    with pytest.raises(OutDirError, match="--force"):
        check_out_dir(busy)
    with pytest.raises(OutDirError, match="no previous gradebook"):
        check_out_dir(busy, force=True)
    with pytest.raises(OutDirError, match="overlap"):
        check_out_dir(tmp_path / "o", inputs=[str(tmp_path)])
    (tmp_path / "link").symlink_to(busy)
    with pytest.raises(OutDirError, match="symbolic link"):
        check_out_dir(tmp_path / "link")
    with pytest.raises(OutDirError, match="does not exist"):
        check_out_dir(tmp_path / "no" / "such")
    assert check_out_dir(tmp_path / "new", inputs=[str(sub)]) == tmp_path / "new"


def test_force_replaces_the_previous_gradebook_whole(tmp_path, capsys):
    sub = write_nb(tmp_path / "a.ipynb", GOOD_SQ, GOOD_ACC)
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("old\n")
    (out / "old_student.json").write_text("{}")
    args = ["grade", str(sub), "--out", str(out), "--chapter", "99", "-q"]
    assert cli.main(args) == 2 and "--force" in capsys.readouterr().err
    assert (out / "old_student.json").exists()  # refused before grading: nothing touched
    assert cli.main([*args, "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "grades.csv"]
    doc = read_json(out, "a")
    assert doc["total"] == 2 and doc["mode"] in ("namespaces", "process")
    assert f"sandbox mode: {doc['mode']}" in capsys.readouterr().out


# ------------------------------------------------------------------ containment in the grader's own process
def test_memory_and_recursion_errors_in_the_grader_cost_one_submission(tmp_path, monkeypatch):
    from dlcourse.grading import grader

    subs = tmp_path / "subs"
    subs.mkdir()
    for n in ("a", "b", "c"):
        write_nb(subs / f"{n}.ipynb", GOOD_SQ, GOOD_ACC)
    real_load, real_uses = grader._load, grader.static_uses

    def load(name, nbs):
        if name == "a":
            raise MemoryError
        return real_load(name, nbs)

    def uses(sub, ex):
        if sub.name == "b" and ex.id == "99.2":
            raise RecursionError("deep")
        return real_uses(sub, ex)

    monkeypatch.setattr(grader, "_load", load)
    monkeypatch.setattr(grader, "static_uses", uses)
    grades, exs, errors = grade_all([str(subs)], chapter=99, jobs=2, progress=False)
    g = {s.name: {e.id: e for e in s.exercises} for s in grades}
    assert "too large for the grader" in {s.name: s for s in grades}["a"].error and len(errors) == 1
    assert g["b"]["99.1"].passed and g["b"]["99.2"].status is GradeStatus.CRASHED
    assert "nests too deeply" in g["b"]["99.2"].feedback
    assert all(e.passed for e in g["c"].values())


def test_read_capped(tmp_path):
    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 2000)
    with pytest.raises(SubmissionError, match="more than"):
        read_capped(big, limit=1000)
    assert read_capped(big, limit=4000) == b" " * 2000
    with pytest.raises(SubmissionError, match="not a regular file"):
        load_submission(tmp_path)


# ------------------------------------------------------------------ the result format
def test_result_round_trip_and_refusals():
    values = [np.arange(6.0).reshape(2, 3), [np.array(True), {"k": np.asfortranarray(np.ones((3, 2)))}], None,
              "text", np.array(3, dtype=np.int64), np.zeros((0, 4), dtype=np.complex128)]
    data = encode_result(values, {"m": 1})
    got, meta = decode_result(data)
    assert meta == {"m": 1}
    assert got[0].tolist() == values[0].tolist() and got[1][1]["k"].shape == (3, 2) and got[2] is None
    assert got[3] == "text" and got[4].shape == () and got[4].dtype == np.int64 and got[5].shape == (0, 4)
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a0.npy", bytes(1 << 24))
    assert len(buf.getvalue()) < 40_000
    huge = data.replace(b"'shape': (2, 3)", b"'shape': (9999999999, 3)".ljust(len(b"'shape': (2, 3)")))
    obj = data.replace(b"'descr': '<f8'", b"'descr': '|O8'")
    deep = MAGIC + struct.pack("<Q", 100_000) + b"[" * 50_000 + b"]" * 50_000
    for bad in (buf.getvalue(), data[:-1], data + b"x", huge, obj, deep, MAGIC + struct.pack("<Q", 1 << 40), b""):
        with pytest.raises(ResultError):
            decode_result(bad)


# ------------------------------------------------------------------ Linux only (check() everywhere: see
# tests/test_grading.py::test_python_m_dlcourse_cli, which imports the package without `resource`)
def test_grade_stops_clearly_off_linux(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "needs Linux" in capsys.readouterr().err
