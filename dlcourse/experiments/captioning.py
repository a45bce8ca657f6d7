"""Image captioning at laptop scale: generated shapes, a ConvNet encoder and an LSTM decoder (book: Chapter 5,
"Image captioning", label ``ch5-captioning``).

Scores on held-out images: exact match (the whole caption right) and corpus BLEU-4 (Papineni et al. 2002): the
geometric mean of the 1- to 4-gram precisions of the generated captions against the reference, times a brevity
penalty. Sizes: :data:`QUICK` and :data:`FULL`, chosen by :func:`config`.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import torch
from torch import nn

from ..data.shapes import make_shapes
from ..models.captioning import Captioner
from ..runtime import size as _size
from ..training import fit

__all__ = ["Config", "QUICK", "FULL", "config", "bleu", "train_captioner", "score"]


@dataclass(frozen=True)
class Config:
    train_size: int = 3000
    test_size: int = 300
    hidden_size: int = 96
    embed_dim: int = 24
    epochs: int = 4
    batch_size: int = 50
    lr: float = 5e-3


QUICK = Config()
FULL = Config(train_size=20_000, test_size=2000, hidden_size=256, embed_dim=64, epochs=30, lr=2e-3)


def config(size: str | None = None) -> Config:
    """:data:`FULL` if ``size`` (default: ``dlcourse.runtime.size()``) is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


def bleu(candidates: list[list[str]], references: list[list[str]], max_n: int = 4) -> float:
    """Corpus BLEU with one reference per candidate (Papineni et al. 2002), in [0, 1]."""
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} references")
    matches, totals = [0] * max_n, [0] * max_n
    cand_len = ref_len = 0
    for cand, ref in zip(candidates, references):
        cand_len, ref_len = cand_len + len(cand), ref_len + len(ref)
        for n in range(1, max_n + 1):
            c = Counter(tuple(cand[i:i + n]) for i in range(len(cand) - n + 1))
            r = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum(min(k, r[g]) for g, k in c.items())    # clipped counts
            totals[n - 1] += max(len(cand) - n + 1, 0)
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if cand_len > ref_len else math.exp(1 - ref_len / max(cand_len, 1))
    return brevity * math.exp(log_precision)


def train_captioner(cfg: Config | None = None, seed: int = 0, device=None, progress: bool = True):
    """Train on generated images; returns (model, history, test set)."""
    cfg = cfg or config()
    train, test = make_shapes(cfg.train_size, seed=seed), make_shapes(cfg.test_size, seed=10_000 + seed)
    torch.manual_seed(seed)
    model = Captioner(len(train.vocab), cfg.embed_dim, cfg.hidden_size)

    def batch_fn(model, batch):
        images, tokens = batch
        logits = model(images, tokens[:, :-1])
        return logits.flatten(0, 1), tokens[:, 1:].flatten()

    history = fit(model, (train.images, train.tokens), loss_fn=nn.CrossEntropyLoss(ignore_index=0),
                  optimizer=torch.optim.Adam(model.parameters(), cfg.lr), epochs=cfg.epochs,
                  batch_size=cfg.batch_size, batch_fn=batch_fn, clip_grad_norm=1.0, device=device,
                  progress=progress, desc="captioning", generator=torch.Generator().manual_seed(seed))
    return model, history, test


def score(model: Captioner, data) -> dict:
    """Greedy captions of ``data.images``: ``{"captions", "exact_match", "bleu"}``."""
    device = next(model.parameters()).device
    ids = model.caption(data.images.to(device), max_len=data.tokens.shape[1]).cpu()
    captions = [data.vocab.decode(row, sep=" ") for row in ids]
    exact = sum(c == r for c, r in zip(captions, data.captions)) / len(captions)
    return {"captions": captions, "exact_match": exact,
            "bleu": bleu([c.split() for c in captions], [r.split() for r in data.captions])}
