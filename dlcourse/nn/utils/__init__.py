"""Utilities mirroring ``torch.nn.utils``: gradient clipping (``clip_grad.py``) and packed sequences (``rnn.py``)
for Chapter 5. Add one import line per module."""
from . import rnn  # noqa: F401
from .clip_grad import clip_grad_norm_, clip_grad_value_

__all__: list[str] = []
__all__ += ["clip_grad_norm_", "clip_grad_value_", "rnn"]
