"""Utilities mirroring ``torch.nn.utils``: gradient clipping (``clip_grad.py``) and packed sequences (``rnn.py``)
for Chapter 5. Add one import line per module."""

__all__: list[str] = []
