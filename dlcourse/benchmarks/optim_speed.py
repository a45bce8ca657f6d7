"""How fast is one step of our optimizers next to torch.optim's? (book: Chapter 6, "What went wrong and what came
next").

Run ``python -m dlcourse.benchmarks.optim_speed``. A model with ``n_tensors`` parameter tensors (default 200:
100 Linear layers' weights and biases, as a deep network has) gets random gradients; for each optimizer we time
``step()`` of ours with ``foreach=False`` (one update per tensor, torch's CPU default), ours with ``foreach=True``
(torch's multi-tensor ``_foreach`` kernels), and torch's with its default and with ``foreach=True``, interleaved
so all see the same machine load, on one thread. The table reports the median milliseconds per step and
ours(foreach) / torch(foreach). Target: within 2x. Timings depend on the machine; this is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from .. import optim as ours

__all__ = ["OPTIMIZERS", "make_params", "time_step", "benchmark", "format_table", "main"]

OPTIMIZERS = {
    "SGD (momentum 0.9)": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "RMSprop": ("RMSprop", {"lr": 0.01}),
    "Adam": ("Adam", {"lr": 1e-3}),
    "AdamW": ("AdamW", {"lr": 1e-3}),
}


def make_params(n_tensors: int = 200, width: int = 64, seed: int = 0) -> list[torch.Tensor]:
    """``n_tensors`` parameters: alternating (width, width) weights and (width,) biases, with gradients."""
    g = torch.Generator().manual_seed(seed)
    params = []
    for i in range(n_tensors):
        shape = (width, width) if i % 2 == 0 else (width,)
        p = torch.randn(shape, generator=g).requires_grad_()
        p.grad = torch.randn(shape, generator=g)
        params.append(p)
    return params


def time_step(opt) -> float:
    """Seconds of one call to ``opt.step()``."""
    start = time.perf_counter()
    opt.step()
    return time.perf_counter() - start


def benchmark(n_tensors: int = 200, width: int = 64, repeats: int = 20) -> list[dict]:
    """One row per optimizer: median ms per step of ours and torch's, default and foreach."""
    rows = []
    for label, (name, kw) in OPTIMIZERS.items():
        variants = {
            "ours": getattr(ours, name)(make_params(n_tensors, width), **kw),
            "ours foreach": getattr(ours, name)(make_params(n_tensors, width), foreach=True, **kw),
            "torch default": getattr(torch.optim, name)(make_params(n_tensors, width), **kw),
            "torch foreach": getattr(torch.optim, name)(make_params(n_tensors, width), foreach=True, **kw),
        }
        for opt in variants.values():     # warm-up: the first step creates the state
            opt.step()
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(repeats):          # interleave: every variant sees the same load
            for k, opt in variants.items():
                times[k].append(time_step(opt))
        row = {"optimizer": label, **{k: 1e3 * statistics.median(v) for k, v in times.items()}}
        row["ratio"] = row["ours foreach"] / row["torch foreach"]
        rows.append(row)
    return rows


def format_table(rows: list[dict]) -> str:
    head = (f"{'optimizer':<20}{'ours':>10}{'ours foreach':>14}{'torch default':>15}{'torch foreach':>15}"
            f"{'ours/torch (foreach)':>22}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['optimizer']:<20}{r['ours']:>10.2f}{r['ours foreach']:>14.2f}{r['torch default']:>15.2f}"
                     f"{r['torch foreach']:>15.2f}{r['ratio']:>21.2f}x")
    return "\n".join(lines) + "\n(milliseconds per step, median)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tensors", type=int, default=200)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{args.tensors} parameter tensors, {torch.get_num_threads()} thread(s)")
    print(format_table(benchmark(args.tensors, args.width, args.repeats)))


if __name__ == "__main__":
    main()
