"""Does a notebook keep its speed when the machine is busy? (book: "Execution status", the thread policy).

Run ``python -m dlcourse.benchmarks.side_by_side book/ch1_history/history.ipynb``. It executes the notebook with
nbclient alone, then as two copies at the same time, ``--repeats`` times each, and reports the median wall time of
each and their ratio. ``dlcourse.setup()`` gives every numeric library one thread, so two copies on a 2-core machine
should each take about as long as one alone; the course's target is a ratio of at most 2.5. With the libraries'
default threads (one per core each), the same experiment ran 13-26x slower side by side.

This is a benchmark, not a test: it takes minutes and its numbers depend on what else the machine is doing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

__all__ = ["execute_once", "measure", "main"]

TARGET_RATIO = 2.5


def execute_once(path: str, timeout: int = 900) -> float:
    """Execute the notebook at ``path`` in a fresh kernel (its folder as the working directory); wall seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return time.perf_counter() - start


def measure(path: str, repeats: int = 3) -> dict[str, float]:
    """Median wall time alone, median of the slower of two simultaneous copies, and their ratio."""
    alone = [execute_once(path) for _ in range(repeats)]
    paired = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        for _ in range(repeats):
            futures = [pool.submit(execute_once, path) for _ in range(2)]
            paired.append(max(f.result() for f in futures))
    result = {"alone_s": statistics.median(alone), "side_by_side_s": statistics.median(paired)}
    result["ratio"] = result["side_by_side_s"] / result["alone_s"]
    result["alone_runs"], result["paired_runs"] = alone, paired
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    r = measure(args.notebook, args.repeats)
    print(f"{args.notebook}: alone {r['alone_s']:.1f} s (runs {', '.join(f'{t:.1f}' for t in r['alone_runs'])}); "
          f"two side by side {r['side_by_side_s']:.1f} s (runs {', '.join(f'{t:.1f}' for t in r['paired_runs'])})")
    verdict = "within" if r["ratio"] <= TARGET_RATIO else "OVER"
    print(f"ratio {r['ratio']:.2f} ({verdict} the {TARGET_RATIO} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
