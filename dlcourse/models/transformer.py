"""A small decoder-only Transformer (GPT) with a key-value cache for generation (book: Chapter 7,
"A small Transformer").

Read top-down, small to big, in the spirit of nanoGPT: :class:`CausalSelfAttention` -> :class:`MLP` ->
:class:`Block` -> :class:`GPT`. Every block is pre-norm (GPT-2): ``x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))``.
Tokens get a learned embedding plus a learned position embedding; the output layer shares the token embedding
matrix ("weight tying").

Generation feeds the model its own output one token at a time. Without a cache every step recomputes the keys and
values of the whole prefix, although they never change (the mask stops old positions from seeing new ones). The
:class:`KVCache` keeps them, so a step only computes the newest position: ``O(T)`` work instead of ``O(T^2)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..nn.functional import scaled_dot_product_attention
from ..nn.normalization import LayerNorm

__all__ = ["GPTConfig", "KVCache", "CausalSelfAttention", "MLP", "Block", "GPT", "lm_loss"]


@dataclass(frozen=True)
class GPTConfig:
    """Sizes of a :class:`GPT`: vocabulary, context length (block_size), layers, heads, width."""

    vocab_size: int
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64
    dropout: float = 0.0
    bias: bool = True


class KVCache:
    """The keys and values of every layer for the positions generated so far, each (B, n_head, T, head_dim)."""

    def __init__(self, n_layer: int) -> None:
        self.keys: list[torch.Tensor | None] = [None] * n_layer
        self.values: list[torch.Tensor | None] = [None] * n_layer

    def __len__(self) -> int:
        """How many positions are cached (in layer 0, i.e. before the current forward pass updates it)."""
        return self.length(0)

    def length(self, layer: int) -> int:
        """How many positions layer ``layer`` holds."""
        return 0 if self.keys[layer] is None else self.keys[layer].shape[2]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append this step's k, v (B, nh, T_new, hs) to layer ``layer`` and return all of them."""
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=2)
            v = torch.cat([self.values[layer], v], dim=2)
        self.keys[layer], self.values[layer] = k, v
        return k, v


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position ``t`` sees only positions ``<= t``."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"n_embd ({config.n_embd}) must be divisible by n_head ({config.n_head})")
        self.n_head, self.n_embd = config.n_head, config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)   # q, k, v for all heads
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))   # (B, nh, T, hs)
        past = 0
        if cache is not None:
            past = cache.length(layer)
            k, v = cache.update(layer, k, v)                                           # (B, nh, past + T, hs)
        if past == 0:      # a fresh sequence: torch's top-left causal mask is the right one
            y = scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0,
                                             is_causal=T > 1)
        else:              # T new queries after `past` cached keys: query i sees keys 0 .. past + i
            mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(past)
            y = scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).reshape(B, T, C)                                          # merge heads: (B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Position-wise feed-forward network: C -> 4C -> GELU -> C."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One pre-norm Transformer block: attention then MLP, each added to a residual stream."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Token and position embeddings -> ``n_layer`` blocks -> final LayerNorm -> logits over the vocabulary.

    ``forward(idx)`` takes token ids (B, T) with T <= block_size and returns logits (B, T, vocab_size): the
    prediction, at every position, of the token that comes next.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight                    # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():                  # GPT-2: scale the residual projections
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_params(self, non_embedding: bool = True) -> int:
        """Parameters, by default without the position embeddings (the scaling laws' convention)."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.wpe.weight.numel() if non_embedding else n

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None, *, start_pos: int = 0) -> torch.Tensor:
        """idx (B, T) -> logits (B, T, V). The first token sits at position ``start_pos`` plus the cached length
        (a batch of left-padded sequences can skip the padding that all its rows share)."""
        if idx.ndim != 2 or idx.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"idx must be integer token ids of shape (B, T), got {idx.dtype} {tuple(idx.shape)}")
        B, T = idx.shape
        start = start_pos + (len(cache) if cache is not None else 0)
        if start + T > self.config.block_size:
            raise ValueError(f"sequence of {start + T} tokens exceeds block_size={self.config.block_size}")
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))             # (B, T, C)
        for i, block in enumerate(self.h):
            x = block(x, cache, i)
        return self.lm_head(self.ln_f(x))                         # (B, T, vocab_size)

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 *, use_cache: bool = True, generator: torch.Generator | None = None,
                 start_pos: int = 0) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T); ``temperature=0`` takes the arg-max.
        ``start_pos``: the position of ``idx``'s first token (see :meth:`forward`).

        With ``use_cache`` the prompt is run once and each new token costs one position. When the context
        reaches ``block_size``, the cache restarts from the last ``block_size // 2`` tokens (without the cache,
        the context is cropped to the last ``block_size`` tokens every step, so long samples then differ).
        """
        was_training = self.training
        self.eval()
        cache = KVCache(len(self.h)) if use_cache else None
        step_input = idx
        for _ in range(max_new_tokens):
            if cache is None:
                fits = start_pos + idx.shape[1] <= self.config.block_size
                logits = self(idx, start_pos=start_pos) if fits else self(idx[:, -self.config.block_size:])
            else:
                if start_pos + len(cache) + step_input.shape[1] > self.config.block_size:
                    cache, start_pos = KVCache(len(self.h)), 0
                    step_input = idx[:, -(self.config.block_size // 2):]
                logits = self(step_input, cache, start_pos=start_pos)
            logits = logits[:, -1, :]
            if temperature == 0:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, [-1]]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
            step_input = nxt
        self.train(was_training)
        return idx


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of next-token logits (B, T, V) against targets (B, T); its exp is the perplexity."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
