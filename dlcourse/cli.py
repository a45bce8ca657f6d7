"""The ``dlcourse`` command line (also ``python -m dlcourse``); book: "Grading".

``dlcourse grade SUBMISSION... --out DIR [-j N] [--chapter N[,N...]] [--shard K/N] [--timeout S] [--force]``
    grade notebooks (or folders of notebooks) into ``DIR/<submission>.json`` and ``DIR/grades.csv`` (Linux only);
    with ``--shard K/N`` only the K-th of N disjoint shards of the class, plus ``DIR/shard.json``.
``dlcourse gradebook merge DIR... --out DIR [--force]``
    merge the out dirs of all shards into one gradebook, identical to grading everything in one run.
``dlcourse exercises [--chapter N] [--check] [--root PATH]``
    (re)generate the learner notebooks ``book/<chapter>/exercises.ipynb`` from the masters; with ``--check``,
    exit non-zero if a committed notebook differs from its master.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

__all__ = ["main"]


def _grade(args: argparse.Namespace) -> int:
    if not sys.platform.startswith("linux"):
        print("dlcourse grade: the grader's sandbox needs Linux (resource limits, /proc); run it on a Linux "
              "machine or in a Linux container. check() in the notebooks works everywhere.", file=sys.stderr)
        return 2
    from .grading import GradingError, check_out_dir, grade_all, write_gradebook
    from .grading.gradebook import OutDirError
    from .grading.grader import parse_chapters
    from .grading.sandbox import sandbox_mode
    from .grading.shards import MANIFEST, ShardError, manifest, parse_shard

    if args.jobs < 1:
        print("dlcourse grade: -j must be at least 1", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:  # everything that can refuse the run does so before grading starts
        chapters = parse_chapters(args.chapter)
        shard = parse_shard(args.shard)
        check_out_dir(args.out, force=args.force, inputs=args.submissions)
        grades, exs, errors = grade_all(args.submissions, chapter=chapters, jobs=args.jobs,
                                        timeout=args.timeout, progress=not args.quiet,
                                        wall_timeout=args.wall_timeout, sandbox=args.sandbox, shard=shard)
    except (GradingError, OutDirError, ShardError) as err:
        print(f"dlcourse grade: {err}", file=sys.stderr)
        return 2
    for e in errors:
        print(f"dlcourse grade: {e}", file=sys.stderr)
    graded = [g for g in grades if g.error is None]
    if not graded or not exs:
        print("dlcourse grade: nothing could be graded" + ("" if exs or not graded else " (no exercises)"),
              file=sys.stderr)
        return 1
    try:
        files = {}
        if shard is not None:
            from .grading.grader import find_submissions

            everyone = [name for name, _ in find_submissions(args.submissions)[0]]
            doc = manifest(shard, everyone, [g.name for g in grades], [ex.id for ex in exs])
            files[MANIFEST] = json.dumps(doc, indent=1) + "\n"
        csv_path = write_gradebook(grades, [ex.id for ex in exs], {ex.id: float(ex.points) for ex in exs}, args.out,
                                   columns={"copied": {g.name: ";".join(g.copied) for g in grades}}, files=files)
    except OSError as err:
        print(f"dlcourse grade: cannot write to {args.out}: {err}", file=sys.stderr)
        return 2
    max_total = sum(ex.points for ex in exs)
    if not args.quiet:
        for g in sorted(grades, key=lambda g: g.name):
            print(f"{g.name}: {g.total:g}/{max_total:g}" + (f"  ({g.error[:200]})" if g.error else ""))
    mode, why = sandbox_mode(args.sandbox)
    print(f"graded {len(graded)} submission(s) x {len(exs)} exercise(s) in {time.monotonic() - start:.1f} s "
          f"(chapters {','.join(str(c) for c in sorted({ex.chapter for ex in exs}))}; sandbox mode: {mode}"
          + ("" if mode == "namespaces" else f", {why}") + f"); gradebook: {csv_path}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from .grading.gradebook import OutDirError
    from .grading.shards import ShardError, merge_gradebooks

    try:
        csv_path = merge_gradebooks(args.shards, args.out, force=args.force)
    except (ShardError, OutDirError) as err:
        print(f"dlcourse gradebook merge: {err}", file=sys.stderr)
        return 2
    print(f"merged {len(args.shards)} shard(s) into {csv_path}")
    return 0


def _exercises(args: argparse.Namespace) -> int:
    from .exercises.notebook import write_learner_notebooks

    try:
        results = write_learner_notebooks(args.root, [args.chapter] if args.chapter else None, check=args.check)
    except ValueError as err:
        print(f"dlcourse exercises: {err}", file=sys.stderr)
        return 2
    bad = [(p, s) for p, s in results if s in ("drifted", "missing")]
    for p, s in results:
        print(f"{p}: {s}")
    if bad:
        print("dlcourse exercises: learner notebooks differ from their masters; run `dlcourse exercises`",
              file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlcourse", description="Companion tools of the deep-learning course.")
    sub = parser.add_subparsers(dest="command")
    g = sub.add_parser("grade", help="grade submitted notebooks into JSON files and a CSV gradebook")
    g.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="a notebook, or a folder of notebooks")
    g.add_argument("--out", required=True, metavar="DIR", help="where to write <submission>.json and grades.csv")
    g.add_argument("-j", "--jobs", type=int, default=1, help="exercises graded in parallel (default 1)")
    g.add_argument("--chapter", default=None, metavar="N[,N...]", help="grade these chapters' exercises, e.g. "
                   "--chapter 1,2,3,4 (default: the chapters the notebooks check, only if they all agree)")
    g.add_argument("--timeout", type=float, default=None, help="CPU seconds per exercise (default: each "
                   "exercise's)")
    g.add_argument("--wall-timeout", type=float, default=None, metavar="S", help="wall-clock seconds per exercise "
                   "behind the CPU limit (default: 3 x the CPU limit + 10)")
    g.add_argument("--force", action="store_true", help="replace the gradebook already in --out as a whole")
    g.add_argument("--sandbox", choices=("auto", "namespaces", "process"), default="auto", help="namespaces: "
                   "each exercise in its own Linux user, mount, PID and network namespaces; process: the process "
                   "sandbox only; auto (default): namespaces where this machine allows them")
    g.add_argument("--shard", default=None, metavar="K/N", help="grade only the K-th of N disjoint shards of the "
                   "submissions (a job array; needs --chapter); merge them with `dlcourse gradebook merge`")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no per-submission lines")
    g.set_defaults(func=_grade)
    book = sub.add_parser("gradebook", help="work with gradebooks: merge the shards of a class")
    book_sub = book.add_subparsers(dest="action", required=True)
    m = book_sub.add_parser("merge", help="merge the out dirs of `dlcourse grade --shard K/N` into one gradebook")
    m.add_argument("shards", nargs="+", metavar="DIR", help="the out dir of every shard")
    m.add_argument("--out", required=True, metavar="DIR", help="where to write the merged JSON files and grades.csv")
    m.add_argument("--force", action="store_true", help="replace the gradebook already in --out as a whole")
    m.set_defaults(func=_merge)
    e = sub.add_parser("exercises", help="(re)generate the learner notebooks from the exercise masters")
    e.add_argument("--chapter", type=int, default=None, help="only this chapter")
    e.add_argument("--check", action="store_true", help="only compare; exit 1 if a notebook drifted")
    e.add_argument("--root", default=".", help="the repository root (default: the current folder)")
    e.set_defaults(func=_exercises)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)
