"""How fast is our attention next to torch's, and what does a KV cache buy? (book: Chapter 7, "Check it against
PyTorch" and "Key-value caching").

Run ``python -m dlcourse.benchmarks.attention_speed``. Three tables, CPU, float32, median of ``repeats``:

1. ``scaled_dot_product_attention``, forward + backward: ours (matmul, softmax, matmul) against torch's math path
   (the same three steps in C++, selected with ``torch.nn.attention.sdpa_kernel(SDPBackend.MATH)``) and torch's
   default path (a fused, flash-style CPU kernel that never stores the L x S weights).
2. ``MultiheadAttention``, forward + backward: ours against torch's, with torch's weights.
3. Generation with :class:`dlcourse.models.transformer.GPT`: tokens per second with and without the KV cache.

Timings alternate between the contestants so that both see the same machine load. A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from ..models.transformer import GPT, GPTConfig
from ..nn.attention import MultiheadAttention, scaled_dot_product_attention

__all__ = ["SDPA_SHAPES", "MHA_SHAPES", "time_call", "sdpa_benchmark", "mha_benchmark", "generation_benchmark",
           "main"]

# (name, batch, heads, L, S, head_dim, causal)
SDPA_SHAPES = [
    ("small: 8 x 4 heads, 32 x 32", 8, 4, 32, 32, 16, False),
    ("char LM: 16 x 4 heads, 64, causal", 16, 4, 64, 64, 16, True),
    ("medium: 4 x 8 heads, 256 x 256", 4, 8, 256, 256, 32, False),
    ("long: 1 x 8 heads, 1024, causal", 1, 8, 1024, 1024, 64, True),
]
# (name, batch, L, embed_dim, heads)
MHA_SHAPES = [
    ("d=64, 4 heads, L=32", 16, 32, 64, 4),
    ("d=128, 8 heads, L=128", 8, 128, 128, 8),
    ("d=256, 8 heads, L=256", 4, 256, 256, 8),
]


def time_call(fn: Callable[[], torch.Tensor], backward: bool = True) -> float:
    """Seconds of one call of ``fn`` (and the backward pass of the sum of its output)."""
    start = time.perf_counter()
    out = fn()
    if backward:
        out.sum().backward()
    return time.perf_counter() - start


def _race(contestants: dict[str, Callable[[], torch.Tensor]], repeats: int, backward: bool = True) -> dict:
    times = {name: [] for name in contestants}
    for fn in contestants.values():                 # warm-up
        time_call(fn, backward)
    for _ in range(repeats):
        for name, fn in contestants.items():
            times[name].append(time_call(fn, backward))
    return {name: statistics.median(t) for name, t in times.items()}


def _sdpa_times(N: int, H: int, L: int, S: int, E: int, causal: bool, repeats: int, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(N, H, n, E, generator=g).requires_grad_() for n in (L, S, S))

    def math_path():
        with sdpa_kernel(SDPBackend.MATH):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    return _race({"ours": lambda: scaled_dot_product_attention(q, k, v, is_causal=causal),
                  "math": math_path,
                  "fused": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)}, repeats)


def sdpa_benchmark(shapes=SDPA_SHAPES, repeats: int = 10, seed: int = 0) -> list[dict]:
    """Ours vs torch's math path vs torch's default (fused) path, forward + backward, ms."""
    rows = []
    for name, N, H, L, S, E, causal in shapes:
        t = _sdpa_times(N, H, L, S, E, causal, repeats, seed)
        rows.append({"shape": name, "ours_ms": 1e3 * t["ours"], "math_ms": 1e3 * t["math"],
                     "fused_ms": 1e3 * t["fused"], "ours_vs_math": t["ours"] / t["math"],
                     "ours_vs_fused": t["ours"] / t["fused"]})
    return rows


def _mha_times(N: int, L: int, E: int, H: int, repeats: int, seed: int) -> dict:
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True)
    ours = MultiheadAttention(E, H, batch_first=True)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(N, L, E, requires_grad=True)
    return _race({"ours": lambda: ours(x, x, x, need_weights=False)[0],
                  "torch": lambda: ref(x, x, x, need_weights=False)[0]}, repeats)


def mha_benchmark(shapes=MHA_SHAPES, repeats: int = 10, seed: int = 0) -> list[dict]:
    """Our MultiheadAttention vs torch's (self-attention, batch first, need_weights=False), forward + backward."""
    rows = []
    for name, N, L, E, H in shapes:
        t = _mha_times(N, L, E, H, repeats, seed)
        rows.append({"shape": name, "ours_ms": 1e3 * t["ours"], "torch_ms": 1e3 * t["torch"],
                     "ratio": t["ours"] / t["torch"]})
    return rows


def generation_benchmark(config: GPTConfig | None = None, prompt_len: int = 8, new_tokens: int = 120,
                         batch: int = 1, repeats: int = 3, seed: int = 0) -> dict:
    """Tokens per second of greedy generation with and without the KV cache (an untrained model: speed only)."""
    config = config or GPTConfig(vocab_size=96, block_size=128, n_layer=4, n_head=4, n_embd=128)
    if prompt_len + new_tokens > config.block_size:
        raise ValueError(f"prompt_len + new_tokens = {prompt_len + new_tokens} exceeds block_size "
                         f"{config.block_size}: the comparison would include cache restarts")
    torch.manual_seed(seed)
    model = GPT(config).eval()
    prompt = torch.randint(0, config.vocab_size, (batch, prompt_len))
    t = _race({"cache": lambda: model.generate(prompt, new_tokens, temperature=0, use_cache=True).float(),
               "no_cache": lambda: model.generate(prompt, new_tokens, temperature=0, use_cache=False).float()},
              repeats, backward=False)
    same = torch.equal(model.generate(prompt, new_tokens, temperature=0, use_cache=True),
                       model.generate(prompt, new_tokens, temperature=0, use_cache=False))
    tokens = batch * new_tokens
    return {"tokens": tokens, "cache_tok_s": tokens / t["cache"], "no_cache_tok_s": tokens / t["no_cache"],
            "speedup": t["no_cache"] / t["cache"], "same_tokens": same}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads; 0 keeps torch's default (default: 1, repeatable on a shared "
                             "machine)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"CPU, {torch.get_num_threads()} threads, float32, median of {args.repeats}")
    sdpa = sdpa_benchmark(repeats=args.repeats)
    print(f"\nscaled_dot_product_attention, forward+backward (ms)\n{'shape':<36} {'ours':>8} {'math':>8} "
          f"{'fused':>8} {'ours/math':>10} {'ours/fused':>10}")
    for r in sdpa:
        print(f"{r['shape']:<36} {r['ours_ms']:8.2f} {r['math_ms']:8.2f} {r['fused_ms']:8.2f} "
              f"{r['ours_vs_math']:10.2f} {r['ours_vs_fused']:10.2f}")
    mha = mha_benchmark(repeats=args.repeats)
    print(f"\nMultiheadAttention, forward+backward (ms)\n{'shape':<36} {'ours':>8} {'torch':>8} {'ours/torch':>10}")
    for r in mha:
        print(f"{r['shape']:<36} {r['ours_ms']:8.2f} {r['torch_ms']:8.2f} {r['ratio']:10.2f}")
    gen = generation_benchmark(repeats=max(1, args.repeats // 3))
    print(f"\ngeneration, {gen['tokens']} tokens: {gen['cache_tok_s']:.0f} tok/s with the KV cache, "
          f"{gen['no_cache_tok_s']:.0f} tok/s without ({gen['speedup']:.1f}x), same tokens: {gen['same_tokens']}")
    return {"sdpa": sdpa, "mha": mha, "generation": gen}


if __name__ == "__main__":
    main()
