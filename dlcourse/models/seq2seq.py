"""An encoder-decoder with a single "thought vector" (book: Chapter 5, "Encoder-decoder").

Sutskever, Vinyals & Le (2014) and Cho et al. (2014): an encoder RNN reads the source; its final hidden state,
one fixed-size vector, is the decoder RNN's initial state; the decoder then writes the target one token at a time,
each step fed the previous token (teacher forcing during training, its own guess at test time)::

    h_S = Encoder(x_1 .. x_S)        s_0 = h_S        s_t = RNN(embed(y_{t-1}), s_{t-1})        p(y_t) = softmax(W s_t)

Everything the decoder knows about the source has to pass through ``h_S``; as sources grow longer it breaks down,
which is where Chapter 7's attention comes in. To make that extension small, the decoder's one-step interface
already receives the encoder's outputs and the source mask::

    logits, state = decoder.step(token, state, encoder_outputs, src_mask)

:class:`Decoder` ignores them; an attention decoder overrides :meth:`Decoder.step` (and its ``forward`` can call
:meth:`Decoder.unroll`, the step-by-step loop). Shapes: N batch, S source length, T target length, H hidden size,
V vocabulary size.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

__all__ = ["Encoder", "Decoder", "Seq2Seq", "make_seq2seq", "sequence_loss", "train_seq2seq",
           "accuracy_by_length", "Seq2SeqHistory"]

RNNFactory = Callable[..., nn.Module]


def _rnn_class(rnn: str | RNNFactory) -> RNNFactory:
    if callable(rnn):
        return rnn
    table = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}
    if rnn not in table:
        raise ValueError(f"rnn must be one of {sorted(table)} or a class like torch.nn.GRU, got {rnn!r}")
    return table[rnn]


class Encoder(nn.Module):
    """Embedding + a (multi-layer) RNN read over the padded source; padding is skipped by packing.

    Args:
        vocab_size, embed_dim, hidden_size, num_layers: sizes.
        rnn: ``"gru"`` (default), ``"lstm"``, ``"rnn"`` or a class with ``torch.nn.GRU``'s signature
            (e.g. ``dlcourse.nn.GRU``).
        padding_idx: id of ``<pad>``.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 rnn: str | RNNFactory = "gru", padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = _rnn_class(rnn)(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.hidden_size, self.num_layers = hidden_size, num_layers

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, object]:
        """src (N, S) ids, lengths (N,) -> outputs (N, S, H) (zeros past each length), final state.

        The final state ((num_layers, N, H), or an ``(h, c)`` pair for an LSTM) is taken at each sequence's own
        last token: this is the thought vector.
        """
        if src.ndim != 2:
            raise ValueError(f"src must be (N, S) token ids, got shape {tuple(src.shape)}")
        x = self.embedding(src)                                        # (N, S, E)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        return out, state


class Decoder(nn.Module):
    """Embedding + RNN + a linear read-out; started from the encoder's final state (the thought vector)."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 rnn: str | RNNFactory = "gru", padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = _rnn_class(rnn)(embed_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def step(self, token: torch.Tensor, state: object, encoder_outputs: torch.Tensor | None = None,
             src_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, object]:
        """One step: token (N,) ids, state -> logits (N, V), new state. The plain decoder ignores
        ``encoder_outputs`` (N, S, H) and ``src_mask`` (N, S, True at real tokens); attention uses them."""
        y, state = self.rnn(self.embedding(token)[:, None], state)      # (N, 1, H)
        return self.out(y[:, 0]), state

    def forward(self, tgt_in: torch.Tensor, state: object, encoder_outputs: torch.Tensor | None = None,
                src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher forcing: tgt_in (N, T) (``<bos>`` then the target without its last token) -> logits (N, T, V).
        The whole sequence goes through the RNN in one call; equal to :meth:`unroll`."""
        y, _ = self.rnn(self.embedding(tgt_in), state)                  # (N, T, H)
        return self.out(y)

    def unroll(self, tgt_in: torch.Tensor, state: object, encoder_outputs: torch.Tensor | None = None,
               src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher forcing one :meth:`step` at a time (what a decoder with attention must do): (N, T, V)."""
        logits = []
        for t in range(tgt_in.shape[1]):
            step_logits, state = self.step(tgt_in[:, t], state, encoder_outputs, src_mask)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)


class Seq2Seq(nn.Module):
    """Encoder + decoder. ``forward`` trains with teacher forcing; :meth:`greedy_decode` translates."""

    def __init__(self, encoder: nn.Module, decoder: Decoder, *, bos: int = 2, eos: int = 3, pad: int = 0):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.bos, self.eos, self.pad = bos, eos, pad

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, object, torch.Tensor]:
        """-> encoder outputs (N, S, H), final state (the thought vector), source mask (N, S) bool."""
        outputs, state = self.encoder(src, src_lengths)
        mask = torch.arange(src.shape[1], device=src.device)[None, :] < src_lengths.to(src.device)[:, None]
        return outputs, state, mask

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """src (N, S), src_lengths (N,), tgt_in (N, T) -> logits (N, T, V)."""
        outputs, state, mask = self.encode(src, src_lengths)
        return self.decoder(tgt_in, state, outputs, mask)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int) -> torch.Tensor:
        """Feed back the most likely token each step: (N, max_len) ids (``<pad>`` after ``<eos>``)."""
        outputs, state, mask = self.encode(src, src_lengths)
        token = torch.full((src.shape[0],), self.bos, dtype=torch.int64, device=src.device)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        result = []
        for _ in range(max_len):
            logits, state = self.decoder.step(token, state, outputs, mask)
            token = logits.argmax(-1)
            result.append(token.masked_fill(done, self.pad))
            done |= token == self.eos
            if bool(done.all()):
                break
        out = torch.stack(result, dim=1)
        return F.pad(out, (0, max_len - out.shape[1]), value=self.pad)


def make_seq2seq(vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 rnn: str | RNNFactory = "gru") -> Seq2Seq:
    """The chapter's model: a GRU encoder and decoder sharing nothing but the thought vector."""
    return Seq2Seq(Encoder(vocab_size, embed_dim, hidden_size, num_layers, rnn),
                   Decoder(vocab_size, embed_dim, hidden_size, num_layers, rnn))


def sequence_loss(logits: torch.Tensor, target: torch.Tensor, pad: int = 0) -> torch.Tensor:
    """Mean cross-entropy over the non-pad target tokens: logits (N, T, V), target (N, T)."""
    if logits.shape[:2] != target.shape:
        raise ValueError(f"logits (N, T, V) {tuple(logits.shape)} do not match target (N, T) {tuple(target.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=pad)


@dataclass
class Seq2SeqHistory:
    """Training loss per step and validation exact-match accuracy per epoch."""

    step_losses: list[float]
    valid_accuracy: list[float]


def _exact(model: Seq2Seq, src, lengths, tgt, batch_size: int = 512) -> torch.Tensor:
    """Per-example exact match of the greedy translation with tgt[:, 1:] (bool, (N,))."""
    model.eval()
    hits = []
    for i in range(0, len(src), batch_size):
        s, n, t = src[i:i + batch_size], lengths[i:i + batch_size], tgt[i:i + batch_size, 1:]
        pred = model.greedy_decode(s, n, t.shape[1])
        hits.append((pred == t).all(dim=1))
    return torch.cat(hits)


def train_seq2seq(model: Seq2Seq, train, *, epochs: int, batch_size: int = 64, lr: float = 3e-3,
                  valid=None, clip: float = 1.0, device: torch.device | str | None = None,
                  seed: int = 0, progress: bool = True) -> Seq2SeqHistory:
    """Adam with teacher forcing and gradient clipping by norm.

    ``train`` / ``valid`` have ``src``, ``src_lengths`` and ``tgt`` tensors (e.g. :class:`dlcourse.data.dates.
    DatePairs`); ``tgt`` starts with ``<bos>`` and ends with ``<eos>``.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    src, lengths, tgt = train.src.to(device), train.src_lengths.to(device), train.tgt.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    history = Seq2SeqHistory([], [])
    steps = epochs * ((len(src) + batch_size - 1) // batch_size)
    bar = tqdm(total=steps, desc="seq2seq", disable=not progress, leave=False)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(src), generator=g).to(device)
        for i in range(0, len(src), batch_size):
            idx = order[i:i + batch_size]
            t = tgt[idx]
            loss = sequence_loss(model(src[idx], lengths[idx], t[:, :-1]), t[:, 1:], model.pad)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            history.step_losses.append(loss.item())
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if valid is not None:
            hits = _exact(model, valid.src.to(device), valid.src_lengths.to(device), valid.tgt.to(device))
            history.valid_accuracy.append(hits.float().mean().item())
    bar.close()
    return history


def accuracy_by_length(model: Seq2Seq, data, bins: list[int]) -> list[tuple[int, int, float, int]]:
    """Exact-match accuracy of greedy translations per source-length bin ``[bins[i], bins[i+1])``.

    Returns rows ``(low, high, accuracy, count)``; empty bins are left out.
    """
    device = next(model.parameters()).device
    hits = _exact(model, data.src.to(device), data.src_lengths.to(device), data.tgt.to(device)).cpu()
    lengths = data.src_lengths.cpu()
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        sel = (lengths >= lo) & (lengths < hi)
        if sel.any():
            rows.append((lo, hi, hits[sel].float().mean().item(), int(sel.sum())))
    return rows
