"""A worked answer to exercise 1.9 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def activation_derivative(z, name):
    if name == "sigmoid":
        s = torch.sigmoid(z)
        return s * (1 - s)
    if name == "tanh":
        t = torch.tanh(z)
        return 1 - t * t
    if name == "relu":
        return (z > 0).to(z.dtype)
    raise ValueError(f"unknown activation {name!r}")
