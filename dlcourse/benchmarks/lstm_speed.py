"""How fast is our LSTM next to torch's? (book: Chapter 5, "Recurrent layers").

Run ``python -m dlcourse.benchmarks.lstm_speed``. The same input and weights go through ``dlcourse.nn.LSTM`` and
``torch.nn.LSTM`` (forward + backward, CPU, float32, one thread by default), alternating, in one process; the table
reports the median time of each and the ratio ours / torch. A benchmark, not a test: timings depend on the machine
and its load.

Our layer multiplies the inputs of all T steps by ``W_ih`` in one matrix product before the loop, so only the
small ``h W_hh^T`` product and the gate arithmetic run step by step. A naive loop (:func:`naive_lstm`, one
``LSTMCell``-style step with both products per time step) is timed alongside to show what that buys.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from ..nn.rnn import LSTM

__all__ = ["SHAPES", "naive_lstm", "time_call", "benchmark", "main"]

# (name, T, N, input_size, hidden_size, num_layers)
SHAPES = [
    ("issue size T=100 N=32 64->128", 100, 32, 64, 128, 1),
    ("char-LM T=64 N=32 32->128", 64, 32, 32, 128, 1),
    ("2 layers T=50 N=32 64->128", 50, 32, 64, 128, 2),
]


def naive_lstm(layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A plain time loop, both products inside it (single layer, one direction): output (T, N, H)."""
    H = layer.hidden_size
    h = c = torch.zeros(x.shape[1], H, dtype=x.dtype)
    out = []
    for t in range(x.shape[0]):
        gates = F.linear(x[t], layer.weight_ih_l0, layer.bias_ih_l0) + F.linear(h, layer.weight_hh_l0,
                                                                                   layer.bias_hh_l0)
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return torch.stack(out)


def time_call(fn, x: torch.Tensor, module: torch.nn.Module) -> float:
    """Seconds of one forward+backward pass of ``fn(x)``."""
    x.grad = None
    module.zero_grad(set_to_none=True)
    start = time.perf_counter()
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    return time.perf_counter() - start


def benchmark(shapes=SHAPES, repeats: int = 7, seed: int = 0) -> list[dict]:
    """Median forward+backward time of ours, torch's and the naive loop, interleaved per repeat."""
    rows = []
    for name, T, N, I, H, L in shapes:
        torch.manual_seed(seed)
        ref = torch.nn.LSTM(I, H, num_layers=L)
        ours = LSTM(I, H, num_layers=L)
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(T, N, I, requires_grad=True)
        torch.testing.assert_close(ours(x)[0], ref(x)[0], rtol=1e-4, atol=1e-5)
        times: dict[str, list[float]] = {"ours": [], "torch": [], "naive": []}
        for r in range(repeats + 1):
            t_ours, t_ref = time_call(ours, x, ours), time_call(ref, x, ref)
            t_naive = time_call(lambda x, m=ours: naive_lstm(m, x), x, ours) if L == 1 else float("nan")
            if r:  # the first round warms up
                times["ours"].append(t_ours)
                times["torch"].append(t_ref)
                times["naive"].append(t_naive)
        a, b, c = (statistics.median(times[k]) for k in ("ours", "torch", "naive"))
        rows.append({"shape": name, "ours_ms": 1e3 * a, "torch_ms": 1e3 * b, "naive_ms": 1e3 * c,
                     "ratio": a / b, "naive_ratio": c / b})
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads; 0 keeps torch's default")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = benchmark(repeats=args.repeats)
    print(f"CPU, {torch.get_num_threads()} thread(s), LSTM forward+backward, float32, median of {args.repeats}")
    print(f"{'shape':<32} {'ours ms':>8} {'torch ms':>9} {'naive ms':>9} {'ours/torch':>10} {'naive/torch':>11}")
    for r in rows:
        print(f"{r['shape']:<32} {r['ours_ms']:8.1f} {r['torch_ms']:9.1f} {r['naive_ms']:9.1f} {r['ratio']:10.2f} "
              f"{r['naive_ratio']:11.2f}")
    return rows


if __name__ == "__main__":
    main()
