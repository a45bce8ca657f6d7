"""The small decoder-only Transformer on Chapter 5's dates task (book: Chapter 7, "The same model on translation").

No encoder: the source and the target are one sequence, ``<pad>... source <eos> YYYY-MM-DD <eos>``, and the
language model learns to continue it; the loss counts only the target characters. Every source is padded on the
left to the longest of all, so that every answer starts at the same position; a batch skips the padding that all
its rows share (``start_pos``), and is translated with one :meth:`~dlcourse.models.transformer.GPT.generate` call
(greedy, with the key-value cache). This is how GPT-style models translate: the task is written into the prompt.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .. import runtime
from ..data.dates import DatePairs, make_dates
from ..models.transformer import GPT, GPTConfig
from ..optim import AdamW
from .attention_dates import BINS

__all__ = ["Config", "QUICK", "FULL", "config", "as_sequences", "length_batches", "translate", "DatesLMResult",
           "run"]

TARGET_LEN = 11          # YYYY-MM-DD and <eos>


@dataclass(frozen=True)
class Config:
    n_train: int
    n_valid: int
    n_layer: int
    n_head: int
    n_embd: int
    epochs: int
    batch_size: int
    lr: float


QUICK = Config(n_train=1600, n_valid=600, n_layer=2, n_head=4, n_embd=64, epochs=3, batch_size=32, lr=3e-3)
FULL = Config(n_train=20000, n_valid=2000, n_layer=4, n_head=4, n_embd=128, epochs=10, batch_size=64, lr=1e-3)


def config(size: str | None = None) -> Config:
    """QUICK (CPU, within the notebook budget) or FULL (a GPU), chosen by ``dlcourse.runtime.size()``."""
    return FULL if (size or runtime.size()) == "full" else QUICK


def as_sequences(data: DatePairs, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For the examples ``index``: prompts (n, S) = ``source <eos>`` left-padded to their longest, S, and the
    full sequences (n, S + 11) with the answer and its ``<eos>``. Their first position is ``max_len - S``, where
    ``max_len`` is the longest source of the data set."""
    lengths = data.src_lengths[index]
    S = int(lengths.max())
    prompts = torch.zeros(len(index), S, dtype=torch.int64)           # <pad> = 0
    for row, (i, n) in enumerate(zip(index.tolist(), lengths.tolist())):
        prompts[row, S - n:] = data.src[i, :n]                         # source characters and its <eos>
    return prompts, torch.cat([prompts, data.tgt[index, 1:1 + TARGET_LEN]], dim=1)


def length_batches(data: DatePairs, batch_size: int) -> list[torch.Tensor]:
    """Indices sorted by source length, cut into batches of similar length."""
    return list(torch.argsort(data.src_lengths, stable=True).split(batch_size))


@torch.no_grad()
def translate(model: GPT, data: DatePairs, max_len: int, batch_size: int = 200) -> torch.Tensor:
    """Greedy answers (N, 10) for every source of ``data`` (answers start at position ``max_len``)."""
    device = next(model.parameters()).device
    answers = torch.zeros(len(data), 10, dtype=torch.int64)
    for index in length_batches(data, batch_size):
        prompts, _ = as_sequences(data, index)
        answers[index] = model.generate(prompts.to(device), TARGET_LEN - 1, temperature=0,
                                        start_pos=max_len - prompts.shape[1])[:, -10:].cpu()
    return answers


@dataclass
class DatesLMResult:
    config: Config
    model: GPT
    rows: list[dict]
    losses: list[float]
    params: int


def run(cfg: Config | None = None, seed: int = 0, device: torch.device | str | None = None,
        progress: bool = True) -> DatesLMResult:
    """Train the decoder-only Transformer on the dates (loss on the answer only); accuracy by source length."""
    cfg = cfg or config()
    train, valid = make_dates(cfg.n_train, seed=seed + 1), make_dates(cfg.n_valid, seed=seed + 1000)
    max_len = int(max(train.src_lengths.max(), valid.src_lengths.max()))
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=len(train.vocab), block_size=max_len + TARGET_LEN, n_layer=cfg.n_layer,
                          n_head=cfg.n_head, n_embd=cfg.n_embd))
    if device is not None:
        model.to(device)
    device = next(model.parameters()).device
    optimizer = AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    n_batches = -(-len(train) // cfg.batch_size)
    losses: list[float] = []
    bar = tqdm(total=cfg.epochs * n_batches, desc="transformer on dates", disable=not progress, leave=False)
    model.train()
    for _ in range(cfg.epochs):
        for index in torch.randperm(len(train), generator=g).split(cfg.batch_size):   # mixed formats per batch
            prompts, seqs = as_sequences(train, index)
            S, seqs = prompts.shape[1], seqs.to(device)
            logits = model(seqs[:, :-1], start_pos=max_len - S)[:, S - 1:]  # predictions of the 11 answer tokens
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seqs[:, S:].reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.update()
            bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    bar.close()
    pred = translate(model, valid, max_len)
    char = (pred == valid.tgt[:, 1:11]).float().mean(dim=1)
    rows = []
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        sel = (valid.src_lengths >= lo) & (valid.src_lengths < hi)
        if sel.any():
            rows.append({"low": lo, "high": hi, "count": int(sel.sum()), "char_accuracy": char[sel].mean().item(),
                         "exact": (char[sel] == 1).float().mean().item()})
    return DatesLMResult(cfg, model, rows, losses, model.num_params())
