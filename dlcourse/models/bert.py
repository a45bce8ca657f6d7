"""A tiny BERT: a Transformer encoder pre-trained by masked-language modelling (book: Chapter 7,
"Pre-training then fine-tuning").

Built from :class:`dlcourse.nn.TransformerEncoderLayer` (pre-norm, GELU, batch first). Two heads share the body:

* :meth:`TinyBERT.mlm_logits`: for every position, logits over the vocabulary, trained to recover the masked
  characters;
* :meth:`TinyBERT.forward`: the mean of the final states over the non-padding positions, then a linear classifier,
  the part fine-tuning adds.

Devlin et al. (2018) used a ``[CLS]`` token, learned positions, a tied output matrix and a second pre-training task
(next-sentence prediction). Mean pooling and masked-language modelling alone are simpler; fixed sinusoidal
positions let a tiny model find its neighbours within the few hundred steps a CPU budget allows.
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn.normalization import LayerNorm
from ..nn.positional import SinusoidalPositionalEncoding
from ..nn.transformer import TransformerEncoderLayer

__all__ = ["TinyBERT", "mask_tokens"]


class TinyBERT(nn.Module):
    """Token and learned position embeddings -> ``num_layers`` encoder layers -> LayerNorm.

    Args:
        vocab_size, max_len, d_model, nhead, num_layers, num_classes: sizes; pad_id: the padding token.
    """

    def __init__(self, vocab_size: int, max_len: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 num_classes: int = 2, pad_id: int = 0):
        super().__init__()
        self.pad_id = pad_id
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.position = SinusoidalPositionalEncoding(d_model, max_len)
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model, dropout=0.0, activation="gelu",
                                    batch_first=True, norm_first=True) for _ in range(num_layers))
        self.norm = LayerNorm(d_model)
        self.mlm_head = nn.Linear(d_model, vocab_size)
        self.classifier = nn.Linear(d_model, num_classes)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (N, L) -> final states (N, L, d_model); padding positions are ignored as keys."""
        padding = ids == self.pad_id
        x = self.position(self.embedding(ids))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=padding)
        return self.norm(x)

    def mlm_logits(self, ids: torch.Tensor) -> torch.Tensor:
        """(N, L) -> (N, L, vocab_size)."""
        return self.mlm_head(self.encode(ids))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(N, L) -> class logits (N, num_classes) from the mean of the non-padding states."""
        keep = (ids != self.pad_id).unsqueeze(-1).to(self.embedding.weight.dtype)
        pooled = (self.encode(ids) * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.classifier(pooled)


def mask_tokens(ids: torch.Tensor, mask_id: int, vocab_size: int, n_special: int, generator: torch.Generator,
                p: float = 0.15, pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption: choose ``p`` of the non-padding tokens; of those 80% become ``mask_id``, 10% a random
    token, 10% stay. Returns the corrupted ids and the targets (the original id where chosen, -100 elsewhere)."""
    chosen = (torch.rand(ids.shape, generator=generator) < p) & (ids != pad_id)
    targets = torch.where(chosen, ids, torch.full_like(ids, -100))
    u = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator)
    corrupted = torch.where(chosen & (u < 0.8), torch.full_like(ids, mask_id), ids)
    corrupted = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids, corrupted)
    return corrupted, targets
