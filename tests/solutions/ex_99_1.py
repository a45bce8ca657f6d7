"""A worked answer to fake exercise 99.1 (tests/fake_exercises.py)."""
import torch


def clipped_square(x, limit=1.0):
    y = x * x
    return torch.where(y > limit, torch.full_like(y, limit), y)
