"""Chapter 7 exercises: attention and Transformers (book: ``book/ch7_attention``)."""
from __future__ import annotations

import math

import torch

from dlcourse.nn.attention import causal_mask, merge_heads, scaled_dot_product_attention, split_heads
from dlcourse.nn.positional import sinusoidal_positional_encoding

from .spec import Case, Exercise, Mistake

__all__ = ["EXERCISES"]

D = torch.float64
# torch's dispatcher sees only matmul and softmax, so the built-ins are guarded by name.
_ATTENTION_FORBIDDEN = ("dlcourse.nn", "dlcourse.models", "torch.nn.functional.scaled_dot_product_attention",
                        "torch._C._nn.scaled_dot_product_attention", "torch.nn.MultiheadAttention",
                        "torch.nn.modules.activation.MultiheadAttention",
                        "torch.nn.functional.multi_head_attention_forward", "torch.nn.Transformer",
                        "torch.nn.TransformerEncoderLayer", "torch.nn.TransformerDecoderLayer")


def _randn(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, dtype=D, generator=g)


def _keep_mask(g: torch.Generator, *shape: int) -> torch.Tensor:
    m = torch.rand(*shape, generator=g) > 0.4
    m[..., 0] = True                                   # every query may attend to at least one key
    return m


# ------------------------------------------------------------------------------------------------- 7.1 attention


def _attention_cases() -> list[Case]:
    g = torch.Generator().manual_seed(71)
    return [
        Case(args=(_randn(g, 3, 4), _randn(g, 5, 4), _randn(g, 5, 2)), note="3 queries, 5 keys, d = 4, d_v = 2"),
        Case(args=(_randn(g, 2, 6, 16), _randn(g, 2, 6, 16), _randn(g, 2, 6, 16)),
             note="a batch of 2, self-attention shapes, d = 16"),
        Case(args=(_randn(g, 2, 4, 8), _randn(g, 2, 7, 8), _randn(g, 2, 7, 3)),
             kwargs=dict(mask=_keep_mask(g, 4, 7)), note="a boolean (4, 7) mask shared by the batch"),
        Case(args=(_randn(g, 1, 5, 9), _randn(g, 1, 5, 9), _randn(g, 1, 5, 9)),
             kwargs=dict(mask=torch.ones(5, 5, dtype=torch.bool).tril()), note="a causal mask"),
    ]


def _attention_ref(q, k, v, mask=None):
    return scaled_dot_product_attention(q, k, v, attn_mask=mask)


def _attention_scaled_by_d(q, k, v, mask=None):
    return scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / q.shape[-1])


def _attention_unscaled(q, k, v, mask=None):
    return scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)


def _attention_mask_inverted(q, k, v, mask=None):
    return scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else ~mask)


def _attention_softmax_over_queries(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-2).nan_to_num(0.0) @ v



# ------------------------------------------------------------------------------------------------- 7.2 causal mask


def _mask_cases() -> list[Case]:
    return [Case(args=(1,), note="L = 1"), Case(args=(4,), note="L = 4"),
            Case(args=(3, 5), note="3 queries, 5 keys"), Case(args=(6, 2), note="6 queries, 2 keys")]


def _mask_ref(L, S=None):
    return causal_mask(L, S)


def _mask_strict(L, S=None):
    return torch.ones(L, L if S is None else S, dtype=torch.bool).tril(-1)


def _mask_transposed(L, S=None):
    return torch.ones(L, L if S is None else S, dtype=torch.bool).triu()


def _mask_bottom_right(L, S=None):
    S = L if S is None else S
    return torch.ones(L, S, dtype=torch.bool).tril(S - L)


def _run_mask(entry, case: Case) -> torch.Tensor:
    return torch.as_tensor(entry(*case.args, **dict(case.kwargs))).to(torch.bool)


# ------------------------------------------------------------------------------------------------- 7.3 heads


def _heads_cases() -> list[Case]:
    g = torch.Generator().manual_seed(73)
    return [
        Case(args=(_randn(g, 1, 3, 4), _randn(g, 1, 3, 4), _randn(g, 1, 3, 4), 2), note="E = 4, 2 heads"),
        Case(args=(_randn(g, 2, 5, 12), _randn(g, 2, 7, 12), _randn(g, 2, 7, 12), 3),
             note="E = 12, 3 heads, 5 queries, 7 keys"),
        Case(args=(_randn(g, 2, 4, 10), _randn(g, 2, 4, 10), _randn(g, 2, 4, 10), 5), note="E = 10, 5 heads"),
        Case(args=(_randn(g, 3, 6, 8), _randn(g, 3, 6, 8), _randn(g, 3, 6, 8), 1), note="one head"),
    ]


def _heads_ref(q, k, v, num_heads):
    q, k, v = (split_heads(t, num_heads) for t in (q, k, v))
    return merge_heads(scaled_dot_product_attention(q, k, v))


def _heads_wrong_axis(q, k, v, num_heads):
    N, L, E = q.shape
    q, k, v = (t.reshape(N, num_heads, t.shape[1], E // num_heads) for t in (q, k, v))
    return scaled_dot_product_attention(q, k, v).reshape(N, L, E)


def _heads_scaled_by_E(q, k, v, num_heads):
    q, k, v = (split_heads(t, num_heads) for t in (q, k, v))
    return merge_heads(scaled_dot_product_attention(q, k, v, scale=1.0 / math.sqrt(q.shape[-1] * num_heads)))


def _heads_merge_without_transpose(q, k, v, num_heads):
    q, k, v = (split_heads(t, num_heads) for t in (q, k, v))
    out = scaled_dot_product_attention(q, k, v)                        # (N, h, L, d)
    return out.reshape(out.shape[0], out.shape[2], -1)


def _heads_interleaved(q, k, v, num_heads):
    N, L, E = q.shape
    q, k, v = (t.reshape(N, t.shape[1], E // num_heads, num_heads).permute(0, 3, 1, 2) for t in (q, k, v))
    return scaled_dot_product_attention(q, k, v).permute(0, 2, 3, 1).reshape(N, L, E)



# ------------------------------------------------------------------------------------------------- 7.4 positions


def _pe_cases() -> list[Case]:
    return [Case(args=(4, 2), note="4 positions, d_model = 2"), Case(args=(10, 8), note="10 positions, d_model = 8"),
            Case(args=(50, 16), note="50 positions, d_model = 16")]


def _pe_ref(length, d_model):
    return sinusoidal_positional_encoding(length, d_model, dtype=D)


def _run_pe(entry, case: Case) -> torch.Tensor:
    return torch.as_tensor(entry(*case.args, **dict(case.kwargs))).to(D)


def _pe_swapped(length, d_model):
    return _pe_ref(length, d_model).view(length, -1, 2).flip(-1).reshape(length, d_model)


def _pe_exponent_i(length, d_model):
    pos = torch.arange(length, dtype=D)[:, None]
    freq = 10000.0 ** (-torch.arange(d_model // 2, dtype=D) / d_model)
    return torch.stack([torch.sin(pos * freq), torch.cos(pos * freq)], dim=-1).reshape(length, d_model)


def _pe_concatenated(length, d_model):
    pe = _pe_ref(length, d_model)
    return torch.cat([pe[:, 0::2], pe[:, 1::2]], dim=1)


def _pe_from_one(length, d_model):
    return _pe_ref(length + 1, d_model)[1:]


EXERCISES = [
    Exercise(
        id="7.1",
        title="Scaled dot-product attention",
        entry="attention",
        reference=_attention_ref,
        cases=_attention_cases,
        statement=(
            "Write `attention(q, k, v, mask=None)` for queries `q` $(\\dots, L, d)$, keys `k` $(\\dots, S, d)$ and "
            "values `v` $(\\dots, S, d_v)$ that returns $\\operatorname{softmax}(Q K^\\top / \\sqrt{d}) V$, "
            "shape $(\\dots, L, d_v)$. The softmax runs over the keys. `mask` is `None` or a boolean tensor "
            "broadcastable to $(\\dots, L, S)$, **True where a query may attend** (the convention of "
            "`torch.nn.functional.scaled_dot_product_attention`); a blocked score becomes $-\\infty$ before the "
            "softmax. Every query keeps at least one key. Use matrix products and `torch.softmax`; "
            "`scaled_dot_product_attention`, `MultiheadAttention` and `dlcourse.nn` are not allowed."),
        stub=("import math\nimport torch\n\n"
              "def attention(q, k, v, mask=None):\n"
              "    raise NotImplementedError\n"),
        section="ch7-sdpa",
        forbidden=_ATTENTION_FORBIDDEN,
        mistakes=(
            Mistake("scaled by d", _attention_scaled_by_d,
                    "You divided the scores by d. Divide by sqrt(d): a dot product of d unit-variance terms has "
                    "variance d, so sqrt(d) brings its standard deviation back to 1."),
            Mistake("no scaling", _attention_unscaled,
                    "You forgot to divide the scores by sqrt(d); with large d the softmax saturates."),
            Mistake("mask inverted", _attention_mask_inverted,
                    "Your mask blocks exactly the pairs it should keep: here True means *may attend*."),
            Mistake("softmax over queries", _attention_softmax_over_queries,
                    "Your softmax runs over the queries (dim=-2). Each query's weights over the keys must sum "
                    "to 1: softmax over the last axis."),
        ),
    ),
    Exercise(
        id="7.2",
        title="A causal mask",
        entry="causal_mask",
        reference=_mask_ref,
        cases=_mask_cases,
        run=_run_mask,
        statement=(
            "Write `causal_mask(L, S=None)` that returns a boolean tensor of shape `(L, S)` (`S` defaults to `L`), "
            "True where query `i` may attend to key `j`, that is where $j \\le i$. When $L \\ne S$ use the "
            "alignment of `torch.nn.functional.scaled_dot_product_attention(..., is_causal=True)`: the diagonal "
            "starts in the top-left corner, so query 0 sees key 0 only, whatever `S` is."),
        stub=("import torch\n\n"
              "def causal_mask(L, S=None):\n"
              "    raise NotImplementedError\n"),
        section="ch7-masks",
        forbidden=("dlcourse.nn", "dlcourse.models"),
        mistakes=(
            Mistake("off by one: no diagonal", _mask_strict,
                    "Your mask hides each position from itself. Position i may attend to keys 0..i, "
                    "including i (tril with diagonal 0)."),
            Mistake("transposed", _mask_transposed,
                    "Your mask lets each query see the future and not the past (upper instead of lower "
                    "triangle)."),
            Mistake("bottom-right aligned", _mask_bottom_right,
                    "Your diagonal ends in the bottom-right corner (what a decoder continuing after cached keys "
                    "needs). is_causal aligns it to the top-left: query 0 sees key 0 only."),
        ),
    ),
    Exercise(
        id="7.3",
        title="Splitting and merging heads",
        entry="multi_head_attention",
        reference=_heads_ref,
        cases=_heads_cases,
        statement=(
            "Write `multi_head_attention(q, k, v, num_heads)` for `q` $(N, L, E)$ and `k`, `v` $(N, S, E)$, "
            "without projections: split the features of each into `num_heads` heads of $d = E / h$ features, "
            "head $i$ taking features $i d$ to $(i+1) d - 1$ (the layout of `torch.nn.MultiheadAttention`), so "
            "that each is $(N, h, \\cdot, d)$; run scaled dot-product attention in every head (scale "
            "$1/\\sqrt{d}$); merge the heads back to $(N, L, E)$ with head $i$'s output in features $i d$ to "
            "$(i+1) d - 1$. `reshape`, `view`, `transpose`, `permute` and `torch.softmax` are allowed; "
            "`scaled_dot_product_attention`, `MultiheadAttention` and `dlcourse.nn` are not."),
        stub=("import math\nimport torch\n\n"
              "def multi_head_attention(q, k, v, num_heads):\n"
              "    raise NotImplementedError\n"),
        section="ch7-multihead",
        forbidden=_ATTENTION_FORBIDDEN,
        mistakes=(
            Mistake("heads split along the wrong axis", _heads_wrong_axis,
                    "You reshaped (N, L, E) straight to (N, h, L, d): that cuts the *sequence* into heads. "
                    "Reshape to (N, L, h, d) first, then swap the L and h axes."),
            Mistake("scaled by the full width", _heads_scaled_by_E,
                    "Each head's dot products have d = E / h terms: scale by 1/sqrt(d), not 1/sqrt(E)."),
            Mistake("merged without the transpose", _heads_merge_without_transpose,
                    "To merge, bring the heads next to their features first: (N, h, L, d) -> (N, L, h, d) -> "
                    "(N, L, E). Reshaping (N, h, L, d) directly mixes positions."),
            Mistake("interleaved heads", _heads_interleaved,
                    "Your head i takes every h-th feature. torch's layout gives head i a contiguous block of d "
                    "features: reshape to (N, L, h, d), not (N, L, d, h)."),
        ),
    ),
    Exercise(
        id="7.4",
        title="Sinusoidal positional encoding",
        entry="positional_encoding",
        reference=_pe_ref,
        cases=_pe_cases,
        run=_run_pe,
        atol=1e-5,
        rtol=1e-5,
        statement=(
            "Write `positional_encoding(length, d_model)` that returns the `(length, d_model)` table of the "
            "Transformer's positional encoding ($d$ = `d_model`, even), positions counted from 0: "
            "$PE[pos, 2i] = \\sin(pos / 10000^{2i/d})$ and $PE[pos, 2i+1] = \\cos(pos / 10000^{2i/d})$. "
            "Sines fill the even features and cosines the odd ones, interleaved. float32 or float64 is fine."),
        stub=("import torch\n\n"
              "def positional_encoding(length, d_model):\n"
              "    raise NotImplementedError\n"),
        section="ch7-positional",
        forbidden=("dlcourse.nn", "dlcourse.models"),
        mistakes=(
            Mistake("sin and cos swapped", _pe_swapped,
                    "Your even features hold cosines. Even features (2i) are sines, odd ones (2i + 1) cosines."),
            Mistake("exponent i/d", _pe_exponent_i,
                    "The exponent of pair i is 2i/d, not i/d: the wavelengths run from 2 pi to 10000 * 2 pi "
                    "across the whole width."),
            Mistake("halves instead of interleaved", _pe_concatenated,
                    "You put all sines first and all cosines after. Interleave them: sine in feature 2i, its "
                    "cosine in feature 2i + 1."),
            Mistake("positions from 1", _pe_from_one,
                    "Count positions from 0: the first row is sin(0) = 0, cos(0) = 1 alternating."),
        ),
    ),
]
