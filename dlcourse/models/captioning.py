"""Image captioning: a ConvNet encoder and an LSTM decoder (book: Chapter 5, "Image captioning").

Vinyals et al. 2014 ("Show and Tell") and Karpathy & Fei-Fei 2015: a ConvNet turns the image into one vector, and
an LSTM language model conditioned on it writes the caption word by word. Here the vector ``f = CNN(image)`` sets
the LSTM's initial state and is also fed, with the previous word, at every step (Show and Tell fed it once, as
the first input; Mao et al. 2015's m-RNN fed it at every step, which trains faster at this tiny scale). Either way
the whole sentence is conditioned on one vector, the image's "thought vector"::

    h_0 = tanh(W_h f),  c_0 = tanh(W_c f)      h_t = LSTM([embed(w_{t-1}), f], h_{t-1})      p(w_t) = softmax(W_o h_t)
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["ConvEncoder", "Captioner"]


class ConvEncoder(nn.Module):
    """Two conv-ReLU-pool blocks and a linear layer: (N, 3, S, S) -> (N, feature_dim)."""

    def __init__(self, feature_dim: int = 128, size: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, feature_dim), nn.ReLU())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be (N, 3, S, S), got {tuple(images.shape)}")
        return self.net(images)


class Captioner(nn.Module):
    """ConvEncoder + LSTM decoder. ``forward(images, tokens_in)`` -> logits (N, T, V) (teacher forcing)."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, hidden_size: int = 128, size: int = 32,
                 bos: int = 2, eos: int = 3, pad: int = 0):
        super().__init__()
        self.encoder = ConvEncoder(hidden_size, size)
        self.init_h, self.init_c = nn.Linear(hidden_size, hidden_size), nn.Linear(hidden_size, hidden_size)
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad)
        self.lstm = nn.LSTM(embed_dim + hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)
        self.bos, self.eos, self.pad = bos, eos, pad

    def initial_state(self, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image features (N, H) -> (h_0, c_0), each (1, N, H)."""
        return torch.tanh(self.init_h(f))[None], torch.tanh(self.init_c(f))[None]

    def _inputs(self, tokens: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
        e = self.embedding(tokens)                                        # (N, T, E)
        return torch.cat([e, f[:, None].expand(-1, e.shape[1], -1)], dim=2)   # (N, T, E + H)

    def forward(self, images: torch.Tensor, tokens_in: torch.Tensor) -> torch.Tensor:
        f = self.encoder(images)                                          # (N, H)
        y, _ = self.lstm(self._inputs(tokens_in, f), self.initial_state(f))
        return self.out(y)

    @torch.no_grad()
    def caption(self, images: torch.Tensor, max_len: int = 10) -> torch.Tensor:
        """Greedy decoding: (N, max_len) ids, ``<pad>`` after ``<eos>``."""
        self.eval()
        f = self.encoder(images)
        state = self.initial_state(f)
        token = torch.full((images.shape[0], 1), self.bos, dtype=torch.int64, device=images.device)
        done = torch.zeros(images.shape[0], dtype=torch.bool, device=images.device)
        out = []
        for _ in range(max_len):
            y, state = self.lstm(self._inputs(token, f), state)
            token = self.out(y).argmax(-1)                                # (N, 1)
            out.append(token[:, 0].masked_fill(done, self.pad))
            done |= token[:, 0] == self.eos
        return torch.stack(out, dim=1)
