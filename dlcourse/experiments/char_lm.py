"""n-gram against a character LSTM on the standard library's source (book: Chapter 5, "Language models",
label ``ch5-lm``).

Both models see the same training characters (the first 90% of each module in :data:`dlcourse.data.text.
STDLIB_MODULES`, cut to ``max_chars`` at the quick size) and are scored on the same held-out characters by
perplexity. The n-gram model is counted in a second or two; the LSTM trains with Adam through
:func:`dlcourse.training.fit`. Python 3.11 and 3.12 ship slightly different modules, so the numbers move a little
between versions; the notebook asserts them with margins.

Sizes: :data:`QUICK` (a CPU) and :data:`FULL` (a GPU), chosen by :func:`config`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.text import CharCorpus, lm_batches, load_char_corpus
from ..models.language_model import CharLSTM, NGramLM, perplexity
from ..runtime import size as _size
from ..training import fit

__all__ = ["Config", "QUICK", "FULL", "config", "corpus", "ngram_perplexities", "train_char_lstm"]


@dataclass(frozen=True)
class Config:
    max_chars: int | None = 120_000
    orders: tuple[int, ...] = (1, 2, 3, 4, 5)
    embed_dim: int = 32
    hidden_size: int = 128
    seq_len: int = 64
    batch_size: int = 32
    epochs: int = 3
    max_steps: int | None = 150
    lr: float = 1e-2


QUICK = Config()
FULL = Config(max_chars=None, orders=(1, 2, 3, 4, 5, 6, 7), hidden_size=512, seq_len=128, batch_size=64,
              epochs=5, max_steps=None, lr=2e-3)


def config(size: str | None = None) -> Config:
    """:data:`FULL` if ``size`` (default: ``dlcourse.runtime.size()``) is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


def corpus(cfg: Config) -> CharCorpus:
    return load_char_corpus("source", max_chars=cfg.max_chars)


def ngram_perplexities(data: CharCorpus, orders=(1, 2, 3, 4, 5)) -> dict[int, float]:
    """Held-out perplexity of the Witten-Bell n-gram model of each order."""
    import math

    out = {}
    for n in orders:
        lm = NGramLM(n, len(data.vocab)).fit(data.train)
        out[n] = math.exp(lm.nll(data.valid))
    return out


def train_char_lstm(data: CharCorpus, cfg: Config, seed: int = 0, device=None, progress: bool = True,
                    lstm: type[nn.Module] = nn.LSTM):
    """Train a :class:`CharLSTM` on ``data.train``; returns (model, history, held-out perplexity)."""
    torch.manual_seed(seed)
    model = CharLSTM(len(data.vocab), cfg.embed_dim, cfg.hidden_size, lstm=lstm)
    X, Y = lm_batches(data.train, cfg.seq_len)

    def batch_fn(model, batch):
        x, y = batch
        logits, _ = model(x)
        return logits.flatten(0, 1), y.flatten()

    history = fit(model, (X, Y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters(),
                  cfg.lr), epochs=cfg.epochs, batch_size=cfg.batch_size, batch_fn=batch_fn, clip_grad_norm=1.0,
                  max_steps=cfg.max_steps, device=device, progress=progress, desc="char LSTM",
                  generator=torch.Generator().manual_seed(seed))
    return model, history, perplexity(model, data.valid)
