"""Grading a class of thousands as a job array: disjoint shards, and a merge equal to one run (book: "Grading").

``dlcourse grade SUBMISSIONS --chapter 1,2 --shard K/N --out shard-K`` grades only the K-th of N shards. The
shards are cut from the class's stable output names (:func:`~dlcourse.grading.grader.unique_names`, computed over
the whole class), sorted: shard K takes every N-th name starting at the K-th. So every job of an array computes the
same split from the same folder without talking to the others, and a job that is re-run grades the same
submissions again.

Each shard's out dir holds, beside its JSON files and ``grades.csv``, a ``shard.json`` manifest: which shard it is,
the whole class's names, its own, and the exercise set. ``dlcourse gradebook merge shard-* --out all`` checks the
manifests (the same N, class and exercises; every shard exactly once; no submission twice) and writes one
``grades.csv`` identical, byte for byte, to a single run's, with every submission's JSON.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .gradebook import check_out_dir

__all__ = ["ShardError", "parse_shard", "select_shard", "manifest", "merge_gradebooks", "MANIFEST"]

MANIFEST = "shard.json"


class ShardError(ValueError):
    """Shards that cannot be combined (or a malformed ``--shard``): the message names what is wrong."""


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    """``"2/8"`` -> ``(2, 8)``: shard 2 of 8 (1-based); ``None`` stays ``None``."""
    if spec is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(spec))
    if not match:
        raise ShardError(f"--shard must look like K/N (e.g. 3/10), got {spec!r}")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ShardError(f"--shard {spec}: K must be between 1 and N (N >= 1)")
    return k, n


def select_shard(names: list[str], shard: tuple[int, int]) -> set[str]:
    """The names of shard ``(K, N)``: of the sorted names, every N-th starting at the K-th."""
    k, n = shard
    return {name for i, name in enumerate(sorted(names)) if i % n == k - 1}


def manifest(shard: tuple[int, int], class_names: list[str], mine: list[str], exercises: list[str]) -> dict:
    """What ``shard.json`` holds."""
    return {"shard": shard[0], "of": shard[1], "class": sorted(class_names), "submissions": sorted(mine),
            "exercises": list(exercises)}


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise ShardError(f"{folder}: no {MANIFEST}; is it the out dir of `dlcourse grade --shard K/N`?")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        keys = ("shard", "of", "class", "submissions", "exercises")
        if not isinstance(doc, dict) or any(k not in doc for k in keys):
            raise ValueError(f"expected the keys {', '.join(keys)}")
    except (ValueError, UnicodeDecodeError) as err:
        raise ShardError(f"{path}: not a shard manifest ({err})") from None
    return doc


def merge_gradebooks(folders: list[str | Path], out_dir: str | Path, force: bool = False) -> Path:
    """Merge the out dirs of all N shards into ``out_dir``; return the merged ``grades.csv``.

    Raises:
        ShardError: mixed exercise sets or classes, a shard missing or given twice, a submission in two shards.
        OutDirError: ``out_dir`` is in the way (see :func:`~dlcourse.grading.gradebook.check_out_dir`).
    """
    if not folders:
        raise ShardError("give the out dirs of the shards to merge")
    dirs = [Path(f) for f in folders]
    docs = [_read_manifest(d) for d in dirs]
    first = docs[0]
    for d, doc in zip(dirs, docs):
        if doc["exercises"] != first["exercises"]:
            raise ShardError(f"{d} graded exercises {','.join(doc['exercises'])} but {dirs[0]} graded "
                             f"{','.join(first['exercises'])}: shards of one class must use the same --chapter")
        if doc["of"] != first["of"] or doc["class"] != first["class"]:
            raise ShardError(f"{d} is shard {doc['shard']}/{doc['of']} of a class of {len(doc['class'])}, but "
                             f"{dirs[0]} is shard {first['shard']}/{first['of']} of a class of {len(first['class'])}: "
                             "these are not shards of the same run")
    seen: dict[int, Path] = {}
    for d, doc in zip(dirs, docs):
        if doc["shard"] in seen:
            raise ShardError(f"shard {doc['shard']}/{doc['of']} given twice: {seen[doc['shard']]} and {d}")
        seen[doc["shard"]] = d
    missing = sorted(set(range(1, first["of"] + 1)) - set(seen))
    if missing:
        total = first["of"]
        raise ShardError(f"missing shard(s) {', '.join(f'{k}/{total}' for k in missing)}; grade them first")
    owner: dict[str, Path] = {}
    for d, doc in zip(dirs, docs):
        for name in doc["submissions"]:
            if name in owner:
                raise ShardError(f"submission {name!r} is in two shards: {owner[name]} and {d}")
            owner[name] = d
    if sorted(owner) != first["class"]:
        lost = sorted(set(first["class"]) - set(owner))
        raise ShardError(f"the shards do not cover the class: {len(lost)} submission(s) missing, e.g. {lost[:3]}")

    header, rows = None, []
    for d in dirs:
        with open(d / "grades.csv", encoding="utf-8", newline="") as f:
            table = list(csv.reader(f))
        if not table:
            raise ShardError(f"{d / 'grades.csv'} is empty")
        if header is not None and table[0] != header:
            raise ShardError(f"{d / 'grades.csv'} has columns {table[0]}, not {header}")
        header = table[0]
        rows += table[1:]
    rows.sort(key=lambda row: row[0])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)

    out = check_out_dir(out_dir, force=force, inputs=[str(d) for d in dirs])
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for name, d in owner.items():
            shutil.copyfile(d / f"{name}.json", new / f"{name}.json", follow_symlinks=False)
        (new / "grades.csv").write_text(buf.getvalue(), encoding="utf-8", newline="")
        os.chmod(new, 0o755)
        if os.path.lexists(out):
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent)) / "old"
            os.rename(out, aside)
            os.rename(new, out)
            shutil.rmtree(aside.parent, ignore_errors=True)
        else:
            os.rename(new, out)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return out / "grades.csv"
