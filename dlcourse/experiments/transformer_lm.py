"""A small Transformer against an LSTM as character language models, at equal parameters and equal time
(book: Chapter 7, "The Transformer as a language model").

Both read the standard library's source (Chapter 5's corpus, :func:`dlcourse.data.text.load_char_corpus`) and
learn to predict the next character. The LSTM's width is chosen so that its parameter count matches the
Transformer's; both then train for the same CPU time (``time.process_time``) with the same optimizer, batch and
context length, and are scored by validation perplexity ``exp(cross-entropy)``. The LSTM is ``torch.nn.LSTM``
(fused C++), the Transformer is ours (Python attention), so the time budget does not favour the Transformer.

The training loop here (:func:`train_lm`) is shared with :mod:`dlcourse.experiments.scaling`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import runtime
from ..data.text import CharCorpus, load_char_corpus
from ..models.transformer import GPT, GPTConfig, lm_loss
from ..optim import AdamW

__all__ = ["Config", "QUICK", "FULL", "config", "CharLSTM", "lstm_hidden_for", "count_parameters", "random_batch",
           "evaluate_lm", "train_lm", "LMRun", "CharLMResult", "run"]


@dataclass(frozen=True)
class Config:
    max_chars: int          # characters of training text (the validation part is a tenth of it)
    seq_len: int
    batch_size: int
    seconds: float          # CPU seconds of training per model
    max_steps: int          # a cap, so a fast machine does not train for ever
    n_layer: int
    n_head: int
    n_embd: int
    lstm_embed: int
    lr: float
    eval_batches: int = 8


QUICK = Config(max_chars=300_000, seq_len=64, batch_size=32, seconds=3.5, max_steps=400, n_layer=2, n_head=4,
               n_embd=64, lstm_embed=32, lr=3e-3)
FULL = Config(max_chars=3_000_000, seq_len=256, batch_size=64, seconds=300.0, max_steps=20_000, n_layer=6,
              n_head=6, n_embd=192, lstm_embed=64, lr=1e-3, eval_batches=50)


def config(size: str | None = None) -> Config:
    """QUICK (CPU, within the notebook budget) or FULL (a GPU), chosen by ``dlcourse.runtime.size()``."""
    return FULL if (size or runtime.size()) == "full" else QUICK


class CharLSTM(nn.Module):
    """Chapter 5's character language model: embedding -> LSTM -> linear read-out. (B, T) ids -> (B, T, V)."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.out(self.lstm(self.embedding(idx))[0])

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample ``max_new_tokens`` more ids after ``idx`` (B, T), carrying the LSTM state."""
        self.eval()
        y, state = self.lstm(self.embedding(idx))
        logits = self.out(y[:, -1])
        for _ in range(max_new_tokens):
            nxt = torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
            y, state = self.lstm(self.embedding(nxt), state)
            logits = self.out(y[:, -1])
        return idx


def count_parameters(model: nn.Module) -> int:
    """Distinct trainable parameters (a tied weight counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def lstm_hidden_for(n_params: int, vocab_size: int, embed_dim: int) -> int:
    """The LSTM width whose :class:`CharLSTM` has the parameter count closest to ``n_params``."""
    def size(h: int) -> int:
        return vocab_size * embed_dim + 4 * h * (embed_dim + h + 2) + h * vocab_size + vocab_size
    return min(range(8, 2048), key=lambda h: abs(size(h) - n_params))


def random_batch(ids: torch.Tensor, seq_len: int, batch_size: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` random windows of the 1-D ``ids``: inputs and next-character targets, each (B, seq_len)."""
    start = torch.randint(0, len(ids) - seq_len - 1, (batch_size,), generator=generator)
    offsets = start[:, None] + torch.arange(seq_len + 1)
    windows = ids[offsets]
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def evaluate_lm(model: nn.Module, ids: torch.Tensor, seq_len: int, batches: int = 8, batch_size: int = 32,
                seed: int = 1234) -> float:
    """Mean next-character cross-entropy (nats) on fixed random windows of ``ids``."""
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    total = 0.0
    for _ in range(batches):
        x, y = random_batch(ids, seq_len, batch_size, g)
        total += lm_loss(model(x.to(device)), y.to(device)).item()
    model.train(was_training)
    return total / batches


@dataclass
class LMRun:
    name: str
    params: int
    steps: int
    cpu_seconds: float
    valid_loss: float
    losses: list[float] = field(default_factory=list)

    @property
    def perplexity(self) -> float:
        return math.exp(self.valid_loss)


def train_lm(model: nn.Module, train: torch.Tensor, valid: torch.Tensor, *, seq_len: int, batch_size: int,
             lr: float, seconds: float | None = None, steps: int | None = None, seed: int = 0, name: str = "model",
             eval_batches: int = 8, progress: bool = True) -> LMRun:
    """AdamW on random windows until ``steps`` steps or ``seconds`` of process CPU time, whichever comes first."""
    if seconds is None and steps is None:
        raise ValueError("give a budget: seconds, steps or both")
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    losses: list[float] = []
    bar = tqdm(total=steps, desc=name, disable=not progress, leave=False)
    start = time.process_time()
    while (steps is None or len(losses) < steps) and (seconds is None or time.process_time() - start < seconds):
        x, y = random_batch(train, seq_len, batch_size, g)
        loss = lm_loss(model(x.to(device)), y.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        bar.update()
        bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
    cpu = time.process_time() - start
    bar.close()
    return LMRun(name, count_parameters(model), len(losses), cpu,
                 evaluate_lm(model, valid, seq_len, eval_batches, batch_size), losses)


@dataclass
class CharLMResult:
    config: Config
    corpus: CharCorpus
    gpt: GPT
    lstm: CharLSTM
    runs: dict[str, LMRun]
    unigram_loss: float

    def sample(self, name: str, prompt: str = "def ", length: int = 160, seed: int = 0) -> str:
        """A temperature-0.8 sample of ``length`` characters from the trained model ``name``."""
        vocab = self.corpus.vocab
        model = self.gpt if name == "transformer" else self.lstm
        device = next(model.parameters()).device
        idx = torch.tensor([vocab.encode(prompt)], device=device)
        g = torch.Generator(device=device).manual_seed(seed)
        out = model.generate(idx, length, temperature=0.8, generator=g)
        return vocab.decode(out[0].cpu(), stop_at_eos=False)


def run(cfg: Config | None = None, seed: int = 0, device: torch.device | str | None = None,
        progress: bool = True) -> CharLMResult:
    """Train the Transformer and the parameter-matched LSTM for the same CPU time; score both."""
    cfg = cfg or config()
    corpus = load_char_corpus("source", max_chars=cfg.max_chars)
    V = len(corpus.vocab)
    counts = torch.bincount(corpus.train, minlength=V).double() + 1
    p = counts / counts.sum()
    freq_valid = torch.bincount(corpus.valid, minlength=V).double()
    unigram = float(-(freq_valid * p.log()).sum() / freq_valid.sum())
    torch.manual_seed(seed)
    gpt = GPT(GPTConfig(vocab_size=V, block_size=cfg.seq_len, n_layer=cfg.n_layer, n_head=cfg.n_head,
                        n_embd=cfg.n_embd))
    torch.manual_seed(seed)
    lstm = CharLSTM(V, cfg.lstm_embed, lstm_hidden_for(count_parameters(gpt), V, cfg.lstm_embed))
    runs = {}
    for name, model in (("transformer", gpt), ("lstm", lstm)):
        if device is not None:
            model.to(device)
        runs[name] = train_lm(model, corpus.train, corpus.valid, seq_len=cfg.seq_len, batch_size=cfg.batch_size,
                              lr=cfg.lr, seconds=cfg.seconds, steps=cfg.max_steps, seed=seed, name=name,
                              eval_batches=cfg.eval_batches, progress=progress)
    return CharLMResult(cfg, corpus, gpt, lstm, runs, unigram)
