"""Word vectors from the standard library's docstrings (book: Chapter 5, "Word vectors", label ``ch5-word-vectors``).

A skip-gram model with negative sampling (Mikolov et al. 2013): each word ``w`` has an input vector ``v_w`` and an
output vector ``u_w`` (two :class:`dlcourse.nn.Embedding` tables). For a word and a neighbour ``c`` within
``window`` positions, and ``k`` words ``n_i`` drawn from the unigram distribution to the power 3/4, the loss is::

    -log sigmoid(v_w . u_c) - sum_i log sigmoid(-v_w . u_{n_i})

Words used in similar contexts end up with similar ``v``. :func:`neighbours` and :func:`analogy` use cosine
similarity. The corpus (about 70 thousand words at the quick size) is tiny next to the billions of words the
papers used, so some neighbours make sense and most analogies fail; the notebook shows both.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data.text import Vocab, stdlib_docstrings, words
from ..nn.embedding import Embedding
from ..runtime import size as _size

__all__ = ["Config", "QUICK", "FULL", "config", "SkipGram", "train_word_vectors", "neighbours", "analogy"]


@dataclass(frozen=True)
class Config:
    vocab_size: int = 1500
    dim: int = 48
    window: int = 3
    negatives: int = 5
    batch_size: int = 1024
    steps: int = 600
    lr: float = 0.02


QUICK = Config()
FULL = Config(vocab_size=5000, dim=100, window=5, steps=30_000)


def config(size: str | None = None) -> Config:
    """:data:`FULL` if ``size`` (default: ``dlcourse.runtime.size()``) is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


class SkipGram(nn.Module):
    """Input and output embeddings; ``forward(word, context, negatives)`` returns the mean loss."""

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.inp = Embedding(vocab_size, dim)
        self.out = Embedding(vocab_size, dim)
        with torch.no_grad():
            self.inp.weight.uniform_(-0.5 / dim, 0.5 / dim)
            self.out.weight.zero_()

    def forward(self, word: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        v = self.inp(word)                                               # (B, D)
        pos = (v * self.out(context)).sum(-1)                            # (B,)
        neg = torch.einsum("bd,bkd->bk", v, self.out(negatives))         # (B, k)
        return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(-1)).mean()


def _pairs(ids: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    words_, contexts = [], []
    for offset in range(1, window + 1):
        words_ += [ids[:-offset], ids[offset:]]
        contexts += [ids[offset:], ids[:-offset]]
    w, c = torch.cat(words_), torch.cat(contexts)
    keep = (w >= 4) & (c >= 4)                                           # drop <unk> (rare words) pairs
    return w[keep], c[keep]


def train_word_vectors(cfg: Config | None = None, seed: int = 0, progress: bool = True):
    """Train on the docstrings of :data:`dlcourse.data.text.STDLIB_MODULES`; returns (model, vocab, losses)."""
    from tqdm.auto import tqdm

    cfg = cfg or config()
    tokens = [w for text in stdlib_docstrings().values() for w in words(text)]
    common = [w for w, _ in Counter(tokens).most_common(cfg.vocab_size - 4)]
    vocab = Vocab(common)
    ids = torch.tensor(vocab.encode(tokens))
    w, c = _pairs(ids, cfg.window)
    counts = torch.bincount(ids, minlength=len(vocab)).float()
    counts[:4] = 0
    noise = counts ** 0.75
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGram(len(vocab), cfg.dim)
    opt = torch.optim.Adam(model.parameters(), cfg.lr)
    losses = []
    for _ in tqdm(range(cfg.steps), desc="skip-gram", disable=not progress):
        idx = torch.randint(len(w), (cfg.batch_size,), generator=g)
        neg = torch.multinomial(noise, cfg.batch_size * cfg.negatives, replacement=True, generator=g)
        loss = model(w[idx], c[idx], neg.view(cfg.batch_size, cfg.negatives))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, vocab, losses


def _unit(model: SkipGram) -> torch.Tensor:
    return F.normalize(model.inp.weight.detach(), dim=1)


def neighbours(model: SkipGram, vocab: Vocab, word: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words with the most similar input vectors (cosine), excluding ``word`` itself."""
    if word not in vocab:
        raise KeyError(f"{word!r} is not among the {len(vocab)} most frequent words")
    E = _unit(model)
    sims = E @ E[vocab.stoi[word]]
    sims[:4] = -2
    sims[vocab.stoi[word]] = -2
    top = sims.topk(k)
    return [(vocab.itos[i], round(s, 3)) for s, i in zip(top.values.tolist(), top.indices.tolist())]


def analogy(model: SkipGram, vocab: Vocab, a: str, b: str, c: str, k: int = 3) -> list[str]:
    """``a`` is to ``b`` as ``c`` is to ...? The words nearest ``v_b - v_a + v_c`` (excluding a, b, c)."""
    E = _unit(model)
    q = E[vocab.stoi[b]] - E[vocab.stoi[a]] + E[vocab.stoi[c]]
    sims = E @ F.normalize(q, dim=0)
    for word in (a, b, c):
        sims[vocab.stoi[word]] = -2
    sims[:4] = -2
    return [vocab.itos[i] for i in sims.topk(k).indices.tolist()]
