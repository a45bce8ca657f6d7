"""Writing grades: one JSON file per submission and one CSV gradebook, the whole out dir at once (book: "Grading").

``DIR/<submission>.json``::

    {"submission": "alice", "path": "...", "total": 2.0, "max_total": 3.0, "error": null, "notes": [],
     "mode": "process", "exercises": [{"id": "1.1", "title": "...", "points": 1.0, "max_points": 1.0,
     "passed": true, "status": "passed", "feedback": "..."}, ...]}

``DIR/grades.csv``: a header ``submission,<id>,...,total,max_total`` and one row per submission.

Only the grader process writes the out dir. :func:`check_out_dir` runs before grading starts and refuses a
file in the way, a folder that already holds something (unless ``force`` and it holds a previous gradebook), or
an out dir inside a submission folder. :func:`write_gradebook` runs after every sandbox has ended: it writes
every file, with ``O_EXCL | O_NOFOLLOW``, into a fresh private folder beside ``DIR``, then moves whatever is at
``DIR`` aside and renames the new folder into place, so the previous gradebook is replaced as a whole and
anything planted in ``DIR`` during the run is discarded with it.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from .grader import SubmissionGrade

__all__ = ["write_gradebook", "check_out_dir", "atomic_write", "OutDirError", "JSON_LIMIT"]

JSON_LIMIT = 1 << 20   # bytes of one submission's JSON file


class OutDirError(ValueError):
    """The out dir cannot be used; the message says why and what to do."""


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


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def check_out_dir(out_dir: str | Path, force: bool = False, inputs: list[str] = ()) -> Path:
    """Check, before grading starts, that ``out_dir`` can take the gradebook; return its absolute path.

    Raises :class:`OutDirError` when something is in the way.
    """
    out = Path(os.path.abspath(out_dir))
    if out.is_symlink():
        raise OutDirError(f"{out_dir} is a symbolic link; give a real folder")
    if out.exists():
        if not out.is_dir():
            raise OutDirError(f"{out_dir} exists and is not a folder")
        entries = sorted(p.name for p in out.iterdir())
        if entries:
            csv_path = out / "grades.csv"
            if not force:
                raise OutDirError(f"{out_dir} already holds {len(entries)} file(s) (e.g. {entries[0]}); pass "
                                  "--force to replace the previous gradebook as a whole, or choose a new folder")
            if csv_path.is_symlink() or not csv_path.is_file():
                raise OutDirError(f"{out_dir} holds files but no previous gradebook (grades.csv is missing or not "
                                  "a file); not replacing it even with --force: choose an empty or new folder")
    elif not out.parent.is_dir():
        raise OutDirError(f"the folder {out.parent} (where {out_dir} would go) does not exist")
    for raw in inputs:
        p = Path(os.path.abspath(raw))
        if _inside(p, out) or _inside(out, p):
            raise OutDirError(f"{out_dir} and the submission path {raw} overlap; write the gradebook elsewhere")
    return out


def _num(x: float) -> str:
    return f"{x:g}"


def _write_new(folder: Path, name: str, text: str) -> None:
    """Create ``folder/name``, which must not exist, without following links; write and sync it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(folder / name, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _json_text(g: SubmissionGrade, max_total: float, extra: dict) -> str:
    doc = g.to_json(max_total) | extra
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    limit = 2000
    while len(text.encode()) > JSON_LIMIT and limit >= 100:  # cap the file: shorten the feedback, then more
        for e in doc["exercises"]:
            e["feedback"] = e["feedback"][:limit]
        doc["notes"] = [n[:limit] for n in doc["notes"][:20]]
        doc["path"] = doc["path"][:limit]
        doc["error"] = doc["error"][:limit] if doc["error"] else doc["error"]
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        limit //= 4
    return text


def write_gradebook(grades: list[SubmissionGrade], ex_ids: list[str], max_points: dict[str, float],
                    out_dir: str | Path, *, extra: dict | None = None,
                    columns: dict[str, dict[str, str]] | None = None, files: dict[str, str] | None = None) -> Path:
    """Write every submission's JSON and ``grades.csv`` as a new ``out_dir``; return the CSV's path.

    ``extra``: keys added to every JSON (e.g. the sandbox mode). ``columns``: extra CSV columns after the
    totals, ``{column: {submission name: value}}``. ``files``: more files of the out dir, ``{name: text}`` (a
    shard's manifest).
    """
    out = Path(os.path.abspath(out_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    aside: Path | None = None
    try:
        max_total = sum(max_points.values())
        for g in grades:
            _write_new(new, f"{g.name}.json", _json_text(g, max_total, extra or {}))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        cols = columns or {}
        w.writerow(["submission", *ex_ids, "total", "max_total", *cols])
        for g in sorted(grades, key=lambda g: g.name):
            pts = {e.id: e.points for e in g.exercises}
            w.writerow([g.name, *(_num(pts.get(i, 0.0)) for i in ex_ids), _num(g.total), _num(max_total),
                        *(cols[c].get(g.name, "") for c in cols)])
        _write_new(new, "grades.csv", buf.getvalue())
        for name, text in (files or {}).items():
            _write_new(new, name, text)
        os.chmod(new, 0o755)
        if os.path.lexists(out):
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent)) / "old"
            os.rename(out, aside)
        os.rename(new, out)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        if aside is not None and os.path.lexists(aside) and not os.path.lexists(out):
            os.rename(aside, out)  # put the previous gradebook back
        raise
    if aside is not None:
        shutil.rmtree(aside.parent, ignore_errors=True)
    return out / "grades.csv"
