"""Grading a class in shards (a job array) and merging them: the same gradebook as one run, or a clear refusal."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from dlcourse import cli
from dlcourse import exercises as E
from dlcourse.grading.shards import ShardError, merge_gradebooks, parse_shard, select_shard

E.register_module("fake_exercises")

GOOD = "import torch\ndef clipped_square(x, limit=1.0):\n    return torch.minimum(x * x, torch.full_like(x, limit))"
WRONG = "def clipped_square(x, limit=1.0):\n    return x * x"
ACC = ("def accuracy(output, target):\n    best = output.max(dim=1, keepdim=True).values\n"
       "    return float(((output == best).float().argmax(dim=1) == target).float().mean())")


def _nb(path: Path, *cells: str) -> None:
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    d = tmp_path_factory.mktemp("shards")
    cls = d / "class"
    cls.mkdir()
    for i, cells in enumerate([(GOOD, ACC), (WRONG,), (GOOD,), (), (WRONG, ACC), (GOOD, ACC)]):
        _nb(cls / f"student{i}.ipynb", *(cells or ("x = 1",)))
    _nb(cls / "col x.ipynb", GOOD)        # these two names collide once made file-system safe
    _nb(cls / "col_x.ipynb", WRONG)
    (cls / "broken.ipynb").write_text("{ not json")
    assert cli.main(["grade", str(cls), "--chapter", "99", "--out", str(d / "all"), "-q"]) == 0
    for k in (1, 2, 3):
        assert cli.main(["grade", str(cls), "--chapter", "99", "--shard", f"{k}/3", "--out", str(d / f"s{k}"),
                         "-q"]) == 0
    return d


def _without_timing(doc: dict) -> dict:
    drop = {"seconds", "cpu_seconds", "wall_seconds", "elapsed", "duration"}
    if isinstance(doc, dict):
        return {k: _without_timing(v) for k, v in doc.items() if k not in drop}
    if isinstance(doc, list):
        return [_without_timing(v) for v in doc]
    return doc


def test_shards_are_disjoint_and_cover_the_class(graded):
    manifests = [json.loads((graded / f"s{k}" / "shard.json").read_text()) for k in (1, 2, 3)]
    mine = [set(m["submissions"]) for m in manifests]
    assert not (mine[0] & mine[1] or mine[0] & mine[2] or mine[1] & mine[2])
    assert set().union(*mine) == set(manifests[0]["class"]) and len(manifests[0]["class"]) == 9
    assert all(abs(len(m) - 3) <= 1 for m in mine)


def test_merge_equals_one_run(graded):
    out = graded / "merged"
    assert cli.main(["gradebook", "merge", *(str(graded / f"s{k}") for k in (3, 1, 2)), "--out", str(out)]) == 0
    assert (out / "grades.csv").read_bytes() == (graded / "all" / "grades.csv").read_bytes()
    singles = sorted(p.name for p in (graded / "all").glob("*.json"))
    assert sorted(p.name for p in out.glob("*.json")) == singles and len(singles) == 9
    for name in singles:
        a = json.loads((graded / "all" / name).read_text())
        b = json.loads((out / name).read_text())
        assert _without_timing(a) == _without_timing(b), name


def test_merge_refuses_what_does_not_fit(graded, tmp_path, capsys):
    s = [graded / f"s{k}" for k in (1, 2, 3)]
    with pytest.raises(ShardError, match="missing shard"):
        merge_gradebooks(s[:2], tmp_path / "m1")
    with pytest.raises(ShardError, match=r"shard 2/3 given twice"):
        merge_gradebooks([s[0], s[1], s[1], s[2]], tmp_path / "m2")
    other = tmp_path / "other"
    other.mkdir()
    (other / "shard.json").write_text(json.dumps(json.loads((s[2] / "shard.json").read_text())
                                                 | {"exercises": ["99.1"]}))
    with pytest.raises(ShardError, match="must use the same --chapter"):
        merge_gradebooks([s[0], s[1], other], tmp_path / "m3")
    (other / "shard.json").write_text("[]")
    with pytest.raises(ShardError, match="not a shard manifest"):
        merge_gradebooks([s[0], s[1], other], tmp_path / "m4")
    assert cli.main(["gradebook", "merge", str(s[0]), "--out", str(tmp_path / "m5")]) == 2
    assert "missing shard(s) 2/3, 3/3" in capsys.readouterr().err
    assert not (tmp_path / "m5").exists()


def test_shard_arguments(tmp_path, capsys):
    assert parse_shard("2/8") == (2, 8) and parse_shard(None) is None
    for bad in ("0/3", "4/3", "3", "a/b", "1/0"):
        with pytest.raises(ShardError, match="--shard"):
            parse_shard(bad)
    names = [f"n{i}" for i in range(10)]
    parts = [select_shard(names, (k, 4)) for k in range(1, 5)]
    assert sorted(n for p in parts for n in p) == sorted(names)
    assert select_shard(list(reversed(names)), (2, 4)) == parts[1]     # order of discovery does not matter
    _nb(tmp_path / "a.ipynb", GOOD)
    assert cli.main(["grade", str(tmp_path / "a.ipynb"), "--shard", "1/2", "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "--shard needs an explicit exercise set" in capsys.readouterr().err
