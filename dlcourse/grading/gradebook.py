"""Writing grades: one JSON file per submission and one CSV gradebook, each written atomically (book: "Grading").

``DIR/<submission>.json``::

    {"submission": "alice", "path": "...", "total": 2.0, "max_total": 3.0, "error": null,
     "exercises": [{"id": "1.1", "title": "...", "points": 1.0, "max_points": 1.0, "passed": true,
                    "status": "passed", "feedback": "..."}, ...]}

``DIR/grades.csv``: a header ``submission,<id>,...,total,max_total`` and one row per submission.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from .grader import SubmissionGrade

__all__ = ["write_gradebook", "atomic_write"]


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename: never half-written."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _num(x: float) -> str:
    return f"{x:g}"


def write_gradebook(grades: list[SubmissionGrade], ex_ids: list[str], max_points: dict[str, float],
                    out_dir: str | Path) -> Path:
    """Write every submission's JSON and ``grades.csv`` under ``out_dir``; return the CSV's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    max_total = sum(max_points.values())
    for g in grades:
        atomic_write(out / f"{g.name}.json", json.dumps(g.to_json(max_total), indent=2, ensure_ascii=False) + "\n")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["submission", *ex_ids, "total", "max_total"])
    for g in sorted(grades, key=lambda g: g.name):
        pts = {e.id: e.points for e in g.exercises}
        w.writerow([g.name, *(_num(pts.get(i, 0.0)) for i in ex_ids), _num(g.total), _num(max_total)])
    atomic_write(out / "grades.csv", buf.getvalue())
    return out / "grades.csv"
