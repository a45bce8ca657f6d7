"""Language models over characters: a smoothed n-gram counter and a character LSTM (book: Chapter 5,
"Language models", label ``ch5-lm``).

Both give ``p(next character | the characters before)`` and are compared by held-out perplexity,
``exp(mean negative log-likelihood per character)``: the number of equally likely characters the model is, on
average, choosing between.

* :class:`NGramLM` counts every context of up to ``n - 1`` characters. Unseen contexts are the problem of
  counting; Witten-Bell smoothing (Witten & Bell 1991) mixes each order with the next lower one, trusting a
  context more the more often it was seen and the fewer different characters followed it::

      p(c | h) = (C(h c) + T(h) p(c | h')) / (C(h) + T(h))      T(h) = number of distinct characters after h

  where ``h'`` drops the oldest character of ``h``; order 0 is the add-one unigram.
* :class:`CharLSTM` embeds each character, runs an LSTM and reads out logits (Graves 2013; Karpathy 2015's
  char-rnn); its state carries context far beyond any n-gram window.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["NGramLM", "CharLSTM", "perplexity"]


class NGramLM:
    """Witten-Bell smoothed character n-gram model over integer ids ``0..vocab_size-1``."""

    def __init__(self, n: int, vocab_size: int):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n, self.V = n, vocab_size
        self.counts: list[dict[tuple, Counter]] = [defaultdict(Counter) for _ in range(n)]

    def fit(self, ids: torch.Tensor | list[int]) -> NGramLM:
        """Count every (context, next) pair of every order in the training ids."""
        seq = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        for k in range(self.n):                      # k = context length
            table = self.counts[k]
            for i in range(k, len(seq)):
                table[tuple(seq[i - k:i])][seq[i]] += 1
        self._totals = [{h: (sum(c.values()), len(c)) for h, c in table.items()} for table in self.counts]
        return self

    def prob(self, context: tuple[int, ...], c: int) -> float:
        """``p(c | context)`` (the last ``n - 1`` ids of ``context`` are used)."""
        unigram = self.counts[0][()]
        total0 = self._totals[0].get((), (0, 0))[0]
        p = (unigram[c] + 1) / (total0 + self.V)
        context = tuple(context)[-(self.n - 1):] if self.n > 1 else ()
        for k in range(1, len(context) + 1):
            h = context[-k:]
            if h not in self.counts[k]:
                break
            total, types = self._totals[k][h]
            p = (self.counts[k][h][c] + types * p) / (total + types)
        return p

    def nll(self, ids: torch.Tensor | list[int]) -> float:
        """Mean negative log-likelihood (nats per character) of ``ids[1:]``, each given all before it."""
        seq = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        total = 0.0
        for i in range(1, len(seq)):
            total -= math.log(self.prob(tuple(seq[max(0, i - self.n + 1):i]), seq[i]))
        return total / (len(seq) - 1)

    def sample(self, prompt: list[int], length: int, generator: torch.Generator | None = None) -> list[int]:
        """Draw ``length`` ids after ``prompt`` from the model."""
        seq = list(prompt)
        for _ in range(length):
            ctx = tuple(seq[-(self.n - 1):]) if self.n > 1 else ()
            probs = torch.tensor([self.prob(ctx, c) for c in range(self.V)])
            seq.append(int(torch.multinomial(probs, 1, generator=generator)))
        return seq[len(prompt):]


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> linear: ids (N, T) -> logits (N, T, V) and the final state.

    ``lstm`` chooses the recurrent layer class (``torch.nn.LSTM`` by default, or ``dlcourse.nn.LSTM``).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 dropout: float = 0.0, lstm: type[nn.Module] = nn.LSTM):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = lstm(embed_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        y, state = self.lstm(self.embedding(ids), state)
        return self.out(y), state

    @torch.no_grad()
    def sample(self, prompt: list[int], length: int, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> list[int]:
        """Feed ``prompt``, then draw ``length`` ids one at a time (logits divided by ``temperature``)."""
        self.eval()
        device = next(self.parameters()).device
        logits, state = self(torch.tensor([prompt], device=device))
        out = []
        for _ in range(length):
            probs = F.softmax(logits[0, -1].float().cpu() / temperature, dim=-1)
            c = int(torch.multinomial(probs, 1, generator=generator))
            out.append(c)
            logits, state = self(torch.tensor([[c]], device=device), state)
        return out


@torch.no_grad()
def perplexity(model: CharLSTM, ids: torch.Tensor, seq_len: int = 256, batch_size: int = 64) -> float:
    """Held-out perplexity of ``model`` on the 1-D ``ids`` (cut into rows of ``seq_len``, each starting fresh)."""
    from ..data.text import lm_batches

    model.eval()
    device = next(model.parameters()).device
    X, Y = lm_batches(ids, seq_len)
    total, count = 0.0, 0
    for i in range(0, len(X), batch_size):
        logits, _ = model(X[i:i + batch_size].to(device))
        total += F.cross_entropy(logits.flatten(0, 1), Y[i:i + batch_size].flatten().to(device),
                                 reduction="sum").item()
        count += Y[i:i + batch_size].numel()
    return math.exp(total / count)
