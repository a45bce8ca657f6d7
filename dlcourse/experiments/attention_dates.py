"""Chapter 5's encoder-decoder with and without attention on the dates task, by source length (book: Chapter 7,
"Attention in the encoder-decoder").

Both models share the encoder, the embedding sizes and the training recipe (``train_seq2seq``: Adam, teacher
forcing, clipping); the only difference is the attention read-out of
:class:`~dlcourse.models.attention_seq2seq.AttentionDecoder`. Accuracy is measured per character of the
``YYYY-MM-DD`` answer and per whole date (exact match), in bins of source length.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import runtime
from ..data.dates import DatePairs, make_dates
from ..models.attention_seq2seq import make_attention_seq2seq, translate_with_attention
from ..models.seq2seq import Seq2Seq, make_seq2seq, train_seq2seq

__all__ = ["Config", "QUICK", "FULL", "config", "BINS", "accuracy_by_length", "DatesResult", "run"]

#: Source-length bins (characters, ``<eos>`` included): the formats run from about 11 to about 63.
BINS = (0, 15, 25, 40, 70)


@dataclass(frozen=True)
class Config:
    n_train: int
    n_valid: int
    embed_dim: int
    hidden_size: int
    epochs: int
    batch_size: int
    lr: float


QUICK = Config(n_train=1600, n_valid=600, embed_dim=16, hidden_size=64, epochs=3, batch_size=32, lr=1e-2)
FULL = Config(n_train=20000, n_valid=2000, embed_dim=32, hidden_size=128, epochs=10, batch_size=64, lr=3e-3)


def config(size: str | None = None) -> Config:
    """QUICK (CPU, within the notebook budget) or FULL (a GPU), chosen by ``dlcourse.runtime.size()``."""
    return FULL if (size or runtime.size()) == "full" else QUICK


@torch.no_grad()
def accuracy_by_length(model: Seq2Seq, data: DatePairs, bins=BINS) -> list[dict]:
    """Per-bin character accuracy and exact-match accuracy of greedy translations."""
    model.eval()
    device = next(model.parameters()).device
    target = data.tgt[:, 1:11]                                        # the 10 characters of YYYY-MM-DD
    pred = model.greedy_decode(data.src.to(device), data.src_lengths.to(device), 11)[:, :10].cpu()
    char = (pred == target).float().mean(dim=1)
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        sel = (data.src_lengths >= lo) & (data.src_lengths < hi)
        if sel.any():
            rows.append({"low": lo, "high": hi, "count": int(sel.sum()), "char_accuracy": char[sel].mean().item(),
                         "exact": (char[sel] == 1).float().mean().item()})
    return rows


@dataclass
class DatesResult:
    config: Config
    plain: Seq2Seq
    attention: Seq2Seq
    plain_rows: list[dict]
    attention_rows: list[dict]
    plain_losses: list[float]
    attention_losses: list[float]
    valid: DatePairs

    def attention_map(self, index: int) -> tuple[str, str, torch.Tensor]:
        """Source, predicted date and the (10, S) attention weights of validation example ``index``."""
        d = self.valid
        n = int(d.src_lengths[index])
        device = next(self.attention.parameters()).device
        ids, maps = translate_with_attention(self.attention, d.src[index:index + 1].to(device),
                                             d.src_lengths[index:index + 1].to(device), 10)
        return d.sources[index], d.vocab.decode(ids[0].cpu()), maps[0, :, :n].cpu()


def run(cfg: Config | None = None, seed: int = 0, device: torch.device | str | None = None,
        progress: bool = True) -> DatesResult:
    """Train the plain and the attention encoder-decoder on the same generated dates; score both by length."""
    cfg = cfg or config()
    train, valid = make_dates(cfg.n_train, seed=seed + 1), make_dates(cfg.n_valid, seed=seed + 1000)
    vocab_size = len(train.vocab)
    models, rows, losses = {}, {}, {}
    for name, make in (("plain", make_seq2seq), ("attention", make_attention_seq2seq)):
        torch.manual_seed(seed)
        model = make(vocab_size, embed_dim=cfg.embed_dim, hidden_size=cfg.hidden_size)
        if device is not None:
            model.to(device)
        history = train_seq2seq(model, train, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=seed,
                                progress=progress)
        models[name], losses[name] = model, history.step_losses
        rows[name] = accuracy_by_length(model, valid)
    return DatesResult(cfg, models["plain"], models["attention"], rows["plain"], rows["attention"],
                       losses["plain"], losses["attention"], valid)
