"""How fast is our im2col convolution next to torch's? (book: Chapter 4, "Convolution as a matrix product").

Run ``python -m dlcourse.benchmarks.conv_speed``. For each layer, the same input and weights go through
``dlcourse.nn.Conv2d`` and ``torch.nn.Conv2d`` (forward + backward, CPU, float32), alternating, in one process;
the table reports the median time of each and the ratio ours / torch. This is a benchmark, not a test: timings
depend on the machine and its load. By default it runs on one thread (``--threads 0`` keeps torch's default):
on a busy machine, several threads per small operation fight over the cores and our im2col layer, which runs more
separate operations than torch's fused kernel, suffers most.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from ..nn.conv import Conv2d

__all__ = ["LAYERS", "time_layer", "benchmark", "main"]

# (name, batch, in_channels, out_channels, size, kernel, stride, padding, groups)
LAYERS = [
    ("LeNet conv1 (8x8 digits)", 64, 1, 6, 8, 3, 1, 1, 1),
    ("LeNet conv2 (8x8 digits)", 64, 6, 16, 4, 3, 1, 1, 1),
    ("LeNet-5 C1 (28x28)", 64, 1, 6, 28, 5, 1, 2, 1),
    ("LeNet-5 C3 (14x14)", 64, 6, 16, 14, 5, 1, 0, 1),
    ("CIFAR-size 3x3 (32x32)", 32, 32, 64, 32, 3, 1, 1, 1),
    ("strided 3x3 (32x32)", 32, 64, 64, 32, 3, 2, 1, 1),
    ("AlexNet conv1-like (11x11/4)", 4, 3, 32, 63, 11, 4, 2, 1),
    ("depthwise 3x3 (32x32)", 32, 64, 64, 32, 3, 1, 1, 64),
]


def time_layer(module: torch.nn.Module, x: torch.Tensor, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` forward+backward passes (after one warm-up)."""
    times = []
    for r in range(repeats + 1):
        x.grad = None
        module.zero_grad(set_to_none=True)
        start = time.perf_counter()
        module(x).sum().backward()
        if r:
            times.append(time.perf_counter() - start)
    return times


def benchmark(layers=LAYERS, repeats: int = 10, seed: int = 0) -> list[dict]:
    """Time ours vs torch on each layer, interleaving the two so that both see the same machine load."""
    rows = []
    for name, N, cin, cout, size, k, s, p, g in layers:
        torch.manual_seed(seed)
        ref = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, groups=g)
        ours = Conv2d(cin, cout, k, stride=s, padding=p, groups=g)
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(N, cin, size, size, requires_grad=True)
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-4, atol=1e-4)
        t_ours, t_ref = [], []
        for _ in range(repeats):
            t_ours += time_layer(ours, x, 1)
            t_ref += time_layer(ref, x, 1)
        a, b = statistics.median(t_ours), statistics.median(t_ref)
        rows.append({"layer": name, "ours_ms": 1e3 * a, "torch_ms": 1e3 * b, "ratio": a / b})
    return rows


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads; 0 keeps torch's default (default: 1, the most repeatable "
                             "on a shared machine)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = benchmark(repeats=args.repeats)
    print(f"CPU, {torch.get_num_threads()} threads, forward+backward, median of {args.repeats}")
    print(f"{'layer':<30} {'ours ms':>9} {'torch ms':>9} {'ours/torch':>10}")
    for r in rows:
        print(f"{r['layer']:<30} {r['ours_ms']:9.2f} {r['torch_ms']:9.2f} {r['ratio']:10.2f}")
    print(f"geometric mean ratio: {statistics.geometric_mean([r['ratio'] for r in rows]):.2f}")
    return rows


if __name__ == "__main__":
    main()
