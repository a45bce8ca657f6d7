"""The hardware driver, measured: one matrix product on four backends (book: Chapter 1, "Hardware").

Multiplying two ``n x n`` matrices, :math:`C_{ij} = \\sum_k A_{ik} B_{kj}`, takes :math:`n^3` multiplications
and :math:`n^3` additions, so :math:`2n^3` floating-point operations (flops). Dividing by the time it took gives
the throughput in GFLOP/s (:math:`10^9` flops per second)::

    gflops(n, seconds) = 2 * n**3 / seconds / 1e9

:func:`benchmark_matmul` times the same product as a pure Python triple loop, with NumPy, with torch on the
CPU, and with torch on the accelerator that :func:`dlcourse.get_device` picks (when it is not the CPU).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..device import get_device

__all__ = ["matmul_loops", "gflops", "time_call", "benchmark_matmul", "plot_benchmark"]


def matmul_loops(A: Sequence[Sequence[float]], B: Sequence[Sequence[float]]) -> list[list[float]]:
    """The matrix product :math:`C = AB` as three nested Python loops.

    Args:
        A: (n, k) nested lists (or anything indexable the same way, e.g. a 2-D tensor or array).
        B: (k, p).

    Returns:
        C as (n, p) nested lists of Python floats.

    Raises:
        ValueError: the inner dimensions differ or a row is ragged.
    """
    n, k = len(A), len(A[0]) if len(A) else 0
    if len(B) != k:
        raise ValueError(f"matmul_loops: A is ({n}, {k}) but B has {len(B)} rows; expected {k}")
    p = len(B[0]) if k else 0
    if any(len(row) != k for row in A) or any(len(row) != p for row in B):
        raise ValueError("matmul_loops: A and B must be rectangular (all rows of equal length)")
    A = [[float(v) for v in row] for row in A]
    B = [[float(v) for v in row] for row in B]
    C = [[0.0] * p for _ in range(n)]
    for i in range(n):
        for j in range(p):
            total = 0.0
            for t in range(k):
                total += A[i][t] * B[t][j]
            C[i][j] = total
    return C


def gflops(n: int, seconds: float) -> float:
    """Throughput of an ``n x n`` by ``n x n`` matrix product that took ``seconds``: ``2 n^3 / seconds / 1e9``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not seconds > 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    return 2.0 * n ** 3 / seconds / 1e9


def time_call(fn: Callable[[], object], repeat: int = 3, sync: Callable[[], None] | None = None) -> float:
    """Best wall time in seconds of ``fn()`` over ``repeat`` runs, after one warm-up run.

    ``sync`` (e.g. ``torch.cuda.synchronize``) is called before the clock starts and before it stops, so that
    asynchronous accelerator work is counted.
    """
    sync = sync or (lambda: None)
    fn()
    sync()
    best = float("inf")
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def _synchronizer(device: torch.device) -> Callable[[], None]:
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    if device.type == "mps":
        return torch.mps.synchronize
    return lambda: None


def benchmark_matmul(n_loop: int = 64, n: int = 512, repeat: int = 3, seed: int = 0,
                     device: torch.device | str | None = None) -> list[dict]:
    """Time the ``n x n`` matrix product on each backend and return its GFLOP/s.

    The Python loop is far too slow for large ``n``, so it runs at ``n_loop``; the others at ``n`` (all in
    float32, except the loop, which uses Python floats). GFLOP/s is comparable across sizes.

    Args:
        n_loop: matrix size for the pure Python loop (small: it takes about ``n_loop**3 / 1e7`` seconds).
        n: matrix size for NumPy and torch.
        repeat: timed runs per backend (the best is kept).
        seed: seed of the random matrices.
        device: the accelerator to try (``None``: :func:`dlcourse.get_device`); skipped when it is the CPU.

    Returns:
        A list of rows ``{"backend": str, "n": int, "seconds": float, "gflops": float}`` in the order
        Python loop, NumPy, torch (cpu), and torch (<device>) when an accelerator is present.
    """
    if n_loop < 1 or n < 1:
        raise ValueError(f"sizes must be >= 1, got n_loop={n_loop}, n={n}")
    device = get_device(device) if not isinstance(device, torch.device) else device
    rng = np.random.default_rng(seed)
    rows = []

    small = rng.standard_normal((2, n_loop, n_loop)).tolist()
    seconds = time_call(lambda: matmul_loops(small[0], small[1]), repeat=2)
    rows.append({"backend": "Python loop", "n": n_loop, "seconds": seconds, "gflops": gflops(n_loop, seconds)})

    A, B = rng.standard_normal((2, n, n)).astype(np.float32)
    seconds = time_call(lambda: A @ B, repeat=repeat)
    rows.append({"backend": "NumPy", "n": n, "seconds": seconds, "gflops": gflops(n, seconds)})

    tA, tB = torch.from_numpy(A), torch.from_numpy(B)
    seconds = time_call(lambda: tA @ tB, repeat=repeat)
    rows.append({"backend": "torch (cpu)", "n": n, "seconds": seconds, "gflops": gflops(n, seconds)})

    if device.type != "cpu":
        gA, gB = tA.to(device), tB.to(device)
        seconds = time_call(lambda: gA @ gB, repeat=repeat, sync=_synchronizer(device))
        rows.append({"backend": f"torch ({device.type})", "n": n, "seconds": seconds, "gflops": gflops(n, seconds)})
    return rows


def plot_benchmark(rows: Sequence[dict], ax=None):
    """Bar chart of GFLOP/s per backend on a log axis, each bar labelled with its value."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.4))
    names = [f"{r['backend']}\n(n = {r['n']})" for r in rows]
    values = [r["gflops"] for r in rows]
    bars = ax.bar(names, values, color=["tab:gray", "tab:blue", "tab:orange", "tab:green"][:len(rows)])
    for bar, value in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.3g}", ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("GFLOP/s (log scale)")
    ax.set_title("The same matrix product, four ways")
    return ax
