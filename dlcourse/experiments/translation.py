"""Encoder-decoder translation of spelled-out dates, and where the single thought vector breaks down
(book: Chapter 5, "Encoder-decoder", label ``ch5-seq2seq``; Chapter 7 adds attention to the same task).

The model is :func:`dlcourse.models.seq2seq.make_seq2seq` (GRU encoder and decoder, torch's layers), trained by
:func:`dlcourse.models.seq2seq.train_seq2seq` on :func:`dlcourse.data.dates.make_dates`. The held-out set is
scored by exact match (all ten characters of ``YYYY-MM-DD`` right) per source-length bin.

Sizes: :data:`QUICK` and :data:`FULL`, chosen by :func:`config`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data.dates import make_dates
from ..models.seq2seq import accuracy_by_length, make_seq2seq, train_seq2seq
from ..runtime import size as _size

__all__ = ["Config", "QUICK", "FULL", "config", "LENGTH_BINS", "run"]

#: Source-length bins (characters, including the end token) for the accuracy-by-length plot.
LENGTH_BINS = [0, 15, 25, 40, 70]


@dataclass(frozen=True)
class Config:
    train_size: int = 1600
    test_size: int = 600
    embed_dim: int = 16
    hidden_size: int = 64
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-2


QUICK = Config()
FULL = Config(train_size=50_000, test_size=5000, embed_dim=64, hidden_size=256, epochs=20, lr=2e-3)


def config(size: str | None = None) -> Config:
    """:data:`FULL` if ``size`` (default: ``dlcourse.runtime.size()``) is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


def run(cfg: Config | None = None, seed: int = 0, device=None, progress: bool = True):
    """Train on generated dates and score by length; returns (model, history, test set, rows by length)."""
    cfg = cfg or config()
    train, test = make_dates(cfg.train_size, seed=seed), make_dates(cfg.test_size, seed=10_000 + seed)
    torch.manual_seed(seed)
    model = make_seq2seq(len(train.vocab), cfg.embed_dim, cfg.hidden_size)
    if device is not None:
        model.to(device)
    history = train_seq2seq(model, train, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, valid=test,
                            seed=seed, progress=progress)
    return model, history, test, accuracy_by_length(model, test, LENGTH_BINS)
