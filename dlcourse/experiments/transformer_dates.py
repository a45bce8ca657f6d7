"""The small decoder-only Transformer on Chapter 5's dates task (book: Chapter 7, "The same model on translation").

No encoder: the source and the target are one sequence, ``<pad>... source <eos> YYYY-MM-DD <eos>``, and the
language model learns to continue it; the loss counts only the target characters. Sources are padded on the
left, so that every answer starts at the same position and a whole batch is translated with one
:meth:`~dlcourse.models.transformer.GPT.generate` call (greedy, with the key-value cache). This is how GPT-style
models translate: the task is written into the prompt.
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

__all__ = ["Config", "QUICK", "FULL", "config", "as_sequences", "translate", "DatesLMResult", "run"]

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


QUICK = Config(n_train=1600, n_valid=600, n_layer=2, n_head=4, n_embd=48, epochs=3, batch_size=32, lr=3e-3)
FULL = Config(n_train=20000, n_valid=2000, n_layer=4, n_head=4, n_embd=128, epochs=10, batch_size=64, lr=1e-3)


def config(size: str | None = None) -> Config:
    """QUICK (CPU, within the notebook budget) or FULL (a GPU), chosen by ``dlcourse.runtime.size()``."""
    return FULL if (size or runtime.size()) == "full" else QUICK


def as_sequences(data: DatePairs, src_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Prompts (N, src_len) = left-padded ``source <eos>``, and full sequences (N, src_len + 11)."""
    N = len(data)
    prompts = torch.zeros(N, src_len, dtype=torch.int64)              # <pad> = 0
    for i, n in enumerate(data.src_lengths.tolist()):
        if n > src_len:
            raise ValueError(f"source {i} has {n} tokens, more than src_len={src_len}")
        prompts[i, src_len - n:] = data.src[i, :n]                     # source chars and its <eos>
    return prompts, torch.cat([prompts, data.tgt[:, 1:1 + TARGET_LEN]], dim=1)


@torch.no_grad()
def translate(model: GPT, prompts: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Greedy answers (N, 10) for left-padded prompts, with the key-value cache."""
    device = next(model.parameters()).device
    out = [model.generate(prompts[i:i + batch_size].to(device), TARGET_LEN - 1, temperature=0)[:, -10:].cpu()
           for i in range(0, len(prompts), batch_size)]
    return torch.cat(out)


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
    src_len = int(max(train.src_lengths.max(), valid.src_lengths.max()))
    _, seqs = as_sequences(train, src_len)
    prompts, _ = as_sequences(valid, src_len)
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=len(train.vocab), block_size=seqs.shape[1], n_layer=cfg.n_layer,
                          n_head=cfg.n_head, n_embd=cfg.n_embd))
    if device is not None:
        model.to(device)
    device = next(model.parameters()).device
    optimizer = AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    steps = cfg.epochs * -(-len(seqs) // cfg.batch_size)
    bar = tqdm(total=steps, desc="transformer on dates", disable=not progress, leave=False)
    model.train()
    for _ in range(cfg.epochs):
        for idx in torch.randperm(len(seqs), generator=g).split(cfg.batch_size):
            batch = seqs[idx].to(device)
            logits = model(batch[:, :-1])[:, src_len - 1:]             # the predictions of the 11 answer tokens
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, src_len:].reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.update()
            bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    bar.close()
    pred = translate(model, prompts)
    char = (pred == valid.tgt[:, 1:11]).float().mean(dim=1)
    rows = []
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        sel = (valid.src_lengths >= lo) & (valid.src_lengths < hi)
        if sel.any():
            rows.append({"low": lo, "high": hi, "count": int(sel.sum()), "char_accuracy": char[sel].mean().item(),
                         "exact": (char[sel] == 1).float().mean().item()})
    return DatesLMResult(cfg, model, rows, losses, model.num_params())
