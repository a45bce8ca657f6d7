"""Attention from scratch, mirroring ``torch.nn.functional.scaled_dot_product_attention`` and
``torch.nn.MultiheadAttention`` (book: Chapter 7, "Attention").

Attention is a soft look-up. Each query row asks "which keys look like me?", turns the answers into weights
that sum to one, and returns the weighted sum of the values:

.. math::

    \\operatorname{Attention}(Q, K, V) = \\operatorname{softmax}\\!\\left(\\frac{Q K^\\top}{\\sqrt{d}} + M\\right) V

with ``Q`` (..., L, d), ``K`` (..., S, d), ``V`` (..., S, d_v) and a mask ``M`` (..., L, S) that is 0 where a
query may look and ``-inf`` where it may not. Three forms live here:

* :func:`scaled_dot_product_attention`: the formula above, with torch's masks (boolean: True = *may* attend;
  float: added), ``is_causal`` (a lower-triangular mask aligned to the top-left corner, also when L != S),
  ``scale`` and grouped-query attention (``enable_gqa``).
* :class:`MultiheadAttention`: h attention heads side by side on learned projections of the inputs, exactly
  torch's module (same parameters, so torch's weights load). Beware: *its* boolean masks mean the opposite,
  True = *may not* attend (padding), as in torch.
* :class:`AdditiveAttention`: Bahdanau's 2014 score ``v^T tanh(W_q q + W_k k)``, the first attention of an
  encoder-decoder.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["causal_mask", "attention_weights", "split_heads", "merge_heads", "scaled_dot_product_attention",
           "MultiheadAttention", "AdditiveAttention"]


def causal_mask(L: int, S: int | None = None, *, device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean (L, S) mask, True where query ``i`` may attend to key ``j``: ``j <= i`` (top-left aligned).

    This is torch's ``is_causal``: with L != S the diagonal starts in the top-left corner, so query ``i``
    sees keys ``0..i`` whatever S is. (A decoder that appends L new queries after S - L cached keys needs the
    bottom-right alignment instead: ``torch.ones(L, S).tril(S - L)``.)
    """
    S = L if S is None else S
    return torch.ones(L, S, dtype=torch.bool, device=device).tril()


def _float_mask(mask: torch.Tensor | None, dtype: torch.dtype, *, true_means_keep: bool) -> torch.Tensor | None:
    """A boolean mask as 0 / -inf (which entries are kept depends on the convention); a float mask unchanged."""
    if mask is None:
        return None
    if mask.dtype == torch.bool:
        blocked = ~mask if true_means_keep else mask
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(blocked, float("-inf"))
    if not mask.is_floating_point():
        raise TypeError(f"attention masks must be bool or floating point, got dtype {mask.dtype}")
    return mask.to(dtype)


def attention_weights(scores: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis; a row whose every score is ``-inf`` (nothing to attend to) gets weights 0.

    A plain softmax would return NaN there; torch's math path returns zeros, and so do we.
    """
    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)
    if not bool(empty.any()):
        return torch.softmax(scores, dim=-1)
    # softmax of a row of -inf is 0/0; give such rows finite scores, then zero them (no NaN in the gradient either)
    return torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(N, L, E) -> (N, num_heads, L, E / num_heads): head ``i`` gets features ``i*d : (i+1)*d``."""
    N, L, E = x.shape
    if E % num_heads:
        raise ValueError(f"the feature size {E} must be divisible by num_heads ({num_heads})")
    return x.view(N, L, num_heads, E // num_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(N, h, L, d) -> (N, L, h * d), the inverse of :func:`split_heads`."""
    N, h, L, d = x.shape
    return x.transpose(1, 2).reshape(N, L, h * d)


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 attn_mask: torch.Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> torch.Tensor:
    """``softmax(Q K^T * scale + mask) V``, like ``torch.nn.functional.scaled_dot_product_attention``.

    Args:
        query: (N, ..., Hq, L, E).
        key: (N, ..., H, S, E).
        value: (N, ..., H, S, Ev).
        attn_mask: broadcastable to (N, ..., Hq, L, S); boolean (True = may attend) or float (added to the
            scores).
        dropout_p: dropout on the attention weights (always applied when > 0, as torch's function does).
        is_causal: attend only to keys ``j <= i`` (see :func:`causal_mask`); not together with ``attn_mask``.
        scale: multiplies the scores; default ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: ``Hq`` query heads share ``H`` key/value heads (``Hq % H == 0``),
            head ``h`` using key/value head ``h // (Hq / H)``.

    Returns:
        (N, ..., Hq, L, Ev).
    """
    out, _ = _sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    return out


def _sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got {getattr(t, 'dtype', type(t).__name__)}")
        if t.ndim < 2:
            raise ValueError(f"{name} must have shape (..., sequence, features), got {tuple(t.shape)}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query (..., L, E={query.shape[-1]}) and key (..., S, E={key.shape[-1]}) must share E")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key {tuple(key.shape)} and value {tuple(value.shape)} must have the same length S")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError("attn_mask should not be set when is_causal=True (torch's rule): combine them yourself, "
                         "e.g. attn_mask & causal_mask(L, S)")
    if enable_gqa:
        if query.ndim < 3 or key.ndim < 3:
            raise ValueError("enable_gqa needs a heads axis: query (..., Hq, L, E), key (..., H, S, E)")
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise ValueError(f"enable_gqa: query heads ({hq}) must be a multiple of key heads ({hk}) "
                             f"and key and value must have as many heads ({hk} vs {hv})")
        key = key.repeat_interleave(hq // hk, dim=-3)        # (N, Hq, S, E): each k/v head serves a group
        value = value.repeat_interleave(hq // hk, dim=-3)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) * scale                   # (N, ..., L, S)
    if is_causal:
        attn_mask = causal_mask(L, S, device=query.device)
    mask = _float_mask(attn_mask, query.dtype, true_means_keep=True)
    if mask is not None:
        if mask.shape[-2:] not in ((L, S), (1, S), (L, 1), (1, 1)) or mask.ndim > scores.ndim:
            raise ValueError(f"attn_mask of shape {tuple(mask.shape)} does not broadcast to the scores "
                             f"{tuple(scores.shape)} (..., L={L}, S={S})")
        scores = scores + mask
    weights = attention_weights(scores)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p)
    return weights @ value, weights


class MultiheadAttention(nn.Module):
    """Multi-head attention with torch's parameters, arguments and masks (``torch.nn.MultiheadAttention``).

    ``head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)``; ``out = concat(head_1..head_h) W^O``. The h projections
    of each kind are one matrix: ``in_proj_weight`` (3E, E) stacks W^Q, W^K, W^V, or, when ``kdim``/``vdim``
    differ from E, three matrices ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight``
    (E, vdim). Head i owns rows ``i*E/h : (i+1)*E/h`` of each.

    Args:
        embed_dim: E; num_heads: h (E % h == 0); dropout: on the attention weights in training mode;
        bias: biases of the input and output projections; add_bias_kv: learned key and value appended to
        the sequence; add_zero_attn: a zero key and value appended; kdim, vdim: key and value features;
        batch_first: (N, L, E) instead of (L, N, E).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be positive, got {embed_dim} and {num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        kw = {"device": device, "dtype": dtype}
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = nn.Parameter(torch.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = nn.Parameter(torch.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = nn.Parameter(torch.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = nn.Parameter(torch.empty(1, 1, embed_dim, **kw))
            self.bias_v = nn.Parameter(torch.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """torch's initialisation: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v."""
        if self._qkv_same_embed_dim:
            nn.init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                nn.init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            nn.init.xavier_normal_(self.bias_k)
            nn.init.xavier_normal_(self.bias_v)

    def _projections(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._qkv_same_embed_dim:
            return self.in_proj_weight.chunk(3)
        return self.q_proj_weight, self.k_proj_weight, self.v_proj_weight

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
                attn_mask: torch.Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query: (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E).
            key: (S, N, kdim) (same layout rules); value: (S, N, vdim).
            key_padding_mask: (N, S) or unbatched (S,): True (or a float added) marks keys to ignore.
            need_weights: also return the attention weights.
            attn_mask: (L, S) or (N * num_heads, L, S): True (or ``-inf`` added) marks pairs that may not attend.
            average_attn_weights: average the returned weights over heads.
            is_causal: a hint that ``attn_mask`` is the causal mask; torch requires the mask itself too.

        Returns:
            ``(output, weights)``: output like ``query`` with E features; weights (N, L, S'), or
            (N, num_heads, L, S') without averaging (S' = S plus any bias/zero keys), or None.
        """
        if is_causal and attn_mask is None:
            raise ValueError("is_causal=True is only a hint: pass the causal attn_mask too "
                             "(e.g. ~causal_mask(L) in this module's convention, True = blocked)")
        batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"query, key and value must all be (L, E) unbatched or 3-D batched, got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        L, N, E = query.shape                                              # sequence first from here on
        S = key.shape[0]
        if E != self.embed_dim or key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise ValueError(f"expected query/key/value features ({self.embed_dim}, {self.kdim}, {self.vdim}), "
                             f"got ({E}, {key.shape[-1]}, {value.shape[-1]})")
        if key.shape[:2] != value.shape[:2] or key.shape[1] != N:
            raise ValueError(f"key {tuple(key.shape)} and value {tuple(value.shape)} must match each other in "
                             f"length and the query in batch size {N}")
        h, d = self.num_heads, self.head_dim
        w_q, w_k, w_v = self._projections()
        b_q, b_k, b_v = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None, None, None)
        q, k, v = F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)

        mask = _float_mask(attn_mask, q.dtype, true_means_keep=False)
        if mask is not None:
            expected = ((L, S), (N * h, L, S))
            if tuple(mask.shape) not in expected:
                raise ValueError(f"attn_mask must have shape {expected[0]} or {expected[1]}, got {tuple(mask.shape)}")
            mask = mask.view(1, 1, L, S) if mask.ndim == 2 else mask.view(N, h, L, S)
        pad = _float_mask(key_padding_mask, q.dtype, true_means_keep=False)
        if pad is not None and tuple(pad.shape) != (N, S):
            raise ValueError(f"key_padding_mask must have shape (N, S) = {(N, S)}, got {tuple(pad.shape)}")

        extra = []                                                        # keys appended to every sequence
        if self.bias_k is not None:
            k, v = torch.cat([k, self.bias_k.expand(1, N, E)]), torch.cat([v, self.bias_v.expand(1, N, E)])
            extra.append(1)
        if self.add_zero_attn:
            k, v = torch.cat([k, k.new_zeros(1, N, E)]), torch.cat([v, v.new_zeros(1, N, E)])
            extra.append(1)
        if extra:
            if mask is not None:
                mask = F.pad(mask, (0, len(extra)))
            if pad is not None:
                pad = F.pad(pad, (0, len(extra)))
        if pad is not None:
            pad = pad.view(N, 1, 1, -1)
            mask = pad if mask is None else mask + pad

        # split the heads: (length, N, E) -> (N, h, length, d); head i owns features i*d:(i+1)*d
        q, k, v = (t.reshape(t.shape[0], N, h, d).permute(1, 2, 0, 3) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)                    # (N, h, L, S')
        if mask is not None:
            scores = scores + mask
        weights = torch.softmax(scores, dim=-1)                           # a fully masked row gives NaN, as torch's
        if self.training and self.dropout > 0.0:
            weights = F.dropout(weights, self.dropout)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(L, N, E)          # merge the heads: (L, N, E)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, (weights if batched else weights.squeeze(0))


class AdditiveAttention(nn.Module):
    """Bahdanau attention (2014): ``score(q, k) = v^T tanh(W_q q + W_k k)``, softmax over keys, weighted values.

    Not in torch; our own signature, batch first.

    Args:
        query_size: features of a query (the decoder state), key_size: of a key (an encoder state),
        hidden_size: width of the tanh layer, bias: a bias in the tanh layer.

    Inputs: query (N, L, query_size), key (N, S, key_size), value (N, S, Dv), key_padding_mask (N, S) bool,
    True = ignore (padding). Returns ``(context (N, L, Dv), weights (N, L, S))``.
    """

    def __init__(self, query_size: int, key_size: int, hidden_size: int, bias: bool = False, *,
                 device=None, dtype=None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.W_q = nn.Linear(query_size, hidden_size, bias=bias, **kw)
        self.W_k = nn.Linear(key_size, hidden_size, bias=False, **kw)
        self.v = nn.Linear(hidden_size, 1, bias=False, **kw)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
            raise ValueError(f"expected query (N, L, Dq), key (N, S, Dk), value (N, S, Dv), got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(f"batch sizes and key/value lengths must agree: query {tuple(query.shape)}, "
                             f"key {tuple(key.shape)}, value {tuple(value.shape)}")
        # (N, L, 1, H) + (N, 1, S, H) -> (N, L, S, H) -> scores (N, L, S)
        scores = self.v(torch.tanh(self.W_q(query).unsqueeze(2) + self.W_k(key).unsqueeze(1))).squeeze(-1)
        if key_padding_mask is not None:
            if key_padding_mask.shape != key.shape[:2]:
                raise ValueError(f"key_padding_mask must have shape (N, S) = {tuple(key.shape[:2])}, "
                                 f"got {tuple(key_padding_mask.shape)}")
            scores = scores.masked_fill(key_padding_mask.unsqueeze(1), float("-inf"))
        weights = attention_weights(scores)
        return weights @ value, weights
