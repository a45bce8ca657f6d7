"""Chapter 5's encoder-decoder with additive attention (book: Chapter 7, "Attention in the encoder-decoder").

The plain decoder starts from one vector, the encoder's last state. Here, at every step, the decoder's state
``s_t`` asks the encoder's outputs ``h_1 .. h_S`` which of them matter now, with Bahdanau, Cho & Bengio's (2014)
additive score; the answer is a context vector, their weighted average, read out together with the state::

    s_t = GRU(embed(y_{t-1}), s_{t-1})
    a_tj = softmax_j( v^T tanh(W_q s_t + W_k h_j) )          c_t = sum_j a_tj h_j
    p(y_t) = softmax(W [s_t; c_t])

so the source no longer has to fit into one vector, and the weights ``a_t`` show where the model looked.
Bahdanau et al. fed ``c_t`` into the recurrence (scoring with ``s_{t-1}``); we attend after the step, as Luong,
Pham & Manning (2015) did, so that teacher forcing runs the whole target through the GRU in one call and all
T attentions in one batched product: the same idea at a fraction of the cost on a CPU.
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn.attention import AdditiveAttention
from .seq2seq import Decoder, Encoder, Seq2Seq

__all__ = ["AttentionDecoder", "make_attention_seq2seq", "translate_with_attention"]


class AttentionDecoder(Decoder):
    """A :class:`~dlcourse.models.seq2seq.Decoder` whose read-out also sees a context vector from the encoder.

    Same embedding and RNN as the plain decoder; the read-out takes ``[s_t; c_t]`` (``2 * hidden_size``
    features) and :class:`~dlcourse.nn.attention.AdditiveAttention` computes ``c_t``.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_layers: int = 1,
                 rnn: str = "gru", padding_idx: int = 0, attention_size: int | None = None):
        super().__init__(vocab_size, embed_dim, hidden_size, num_layers, rnn, padding_idx)
        self.out = nn.Linear(2 * hidden_size, vocab_size)        # reads [s_t; c_t] instead of s_t
        self.attention = AdditiveAttention(hidden_size, hidden_size, attention_size or hidden_size)

    def attend(self, y: torch.Tensor, encoder_outputs: torch.Tensor,
               src_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder states y (N, T, H) -> logits (N, T, V) and attention weights (N, T, S)."""
        if encoder_outputs is None or src_mask is None:
            raise ValueError("an attention decoder needs the encoder outputs and the source mask")
        context, weights = self.attention(y, encoder_outputs, encoder_outputs, key_padding_mask=~src_mask)
        return self.out(torch.cat([y, context], dim=-1)), weights

    def step_with_weights(self, token: torch.Tensor, state: object, encoder_outputs: torch.Tensor,
                          src_mask: torch.Tensor) -> tuple[torch.Tensor, object, torch.Tensor]:
        """token (N,), state -> logits (N, V), new state, attention weights (N, S)."""
        y, state = self.rnn(self.embedding(token)[:, None], state)     # (N, 1, H)
        logits, weights = self.attend(y, encoder_outputs, src_mask)
        return logits[:, 0], state, weights[:, 0]

    def step(self, token, state, encoder_outputs=None, src_mask=None):
        logits, state, _ = self.step_with_weights(token, state, encoder_outputs, src_mask)
        return logits, state

    def forward(self, tgt_in, state, encoder_outputs=None, src_mask=None):
        """Teacher forcing: the GRU over all of tgt_in (N, T) at once, then all T attentions: (N, T, V)."""
        y, _ = self.rnn(self.embedding(tgt_in), state)                  # (N, T, H)
        return self.attend(y, encoder_outputs, src_mask)[0]


def make_attention_seq2seq(vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                           rnn: str = "gru") -> Seq2Seq:
    """Chapter 5's GRU encoder with an :class:`AttentionDecoder`."""
    return Seq2Seq(Encoder(vocab_size, embed_dim, hidden_size, num_layers, rnn),
                   AttentionDecoder(vocab_size, embed_dim, hidden_size, num_layers, rnn))


@torch.no_grad()
def translate_with_attention(model: Seq2Seq, src: torch.Tensor, src_lengths: torch.Tensor,
                             max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy translation that also returns the attention maps: ids (N, T), weights (N, T, S)."""
    model.eval()
    outputs, state, mask = model.encode(src, src_lengths)
    token = torch.full((src.shape[0],), model.bos, dtype=torch.int64, device=src.device)
    ids, maps = [], []
    for _ in range(max_len):
        logits, state, weights = model.decoder.step_with_weights(token, state, outputs, mask)
        token = logits.argmax(-1)
        ids.append(token)
        maps.append(weights)
    return torch.stack(ids, dim=1), torch.stack(maps, dim=1)
