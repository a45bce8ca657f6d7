"""Utilities that mirror ``torch.nn.utils``: gradient clipping and variable-length batches (re-exports only)."""
from . import rnn  # noqa: F401
from .clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
