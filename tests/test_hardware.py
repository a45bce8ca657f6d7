"""The hardware driver of Chapter 1: loop matmul, GFLOP/s arithmetic, the benchmark table
(dlcourse.experiments.hardware)."""
import math

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

from dlcourse.experiments.hardware import benchmark_matmul, gflops, matmul_loops, plot_benchmark, time_call  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_loop_matmul_equals_torch(n, k, p, seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, k, generator=g, dtype=torch.float64)
    B = torch.randn(k, p, generator=g, dtype=torch.float64)
    C = torch.tensor(matmul_loops(A.tolist(), B.tolist()), dtype=torch.float64)
    torch.testing.assert_close(C, A @ B)


def test_loop_matmul_accepts_tensors():
    A = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    B = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    torch.testing.assert_close(torch.tensor(matmul_loops(A, B), dtype=torch.float64), A @ B)


def test_loop_matmul_bad_shapes():
    with pytest.raises(ValueError, match="rows"):
        matmul_loops([[1.0, 2.0]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="rectangular"):
        matmul_loops([[1.0, 2.0], [3.0]], [[1.0], [2.0]])


def test_gflops_arithmetic():
    assert gflops(1000, 2.0) == pytest.approx(1.0)            # 2e9 flops in 2 s
    assert gflops(10, 1e-6) == pytest.approx(2.0)             # 2000 flops in a microsecond
    assert gflops(2048, 1.0) == pytest.approx(2 * 2048 ** 3 / 1e9)
    with pytest.raises(ValueError, match="seconds"):
        gflops(10, 0.0)
    with pytest.raises(ValueError, match="n"):
        gflops(0, 1.0)


def test_time_call_counts_and_syncs():
    calls = []
    seconds = time_call(lambda: calls.append(1), repeat=3, sync=lambda: calls.append(0))
    assert calls.count(1) == 4                                # one warm-up + three timed runs
    assert seconds >= 0 and math.isfinite(seconds)


def test_benchmark_rows_and_ordering():
    rows = benchmark_matmul(n_loop=32, n=256, repeat=5, device="cpu")
    assert [r["backend"] for r in rows] == ["Python loop", "NumPy", "torch (cpu)"]
    for r in rows:
        assert r["gflops"] == pytest.approx(gflops(r["n"], r["seconds"]))
    loop, numpy_, torch_ = (r["gflops"] for r in rows)
    assert numpy_ > 5 * loop and torch_ > 5 * loop  # typically 1,000x; wide margin for a busy machine
    ax = plot_benchmark(rows)
    assert len(ax.patches) == 3
    matplotlib.pyplot.close(ax.figure)
