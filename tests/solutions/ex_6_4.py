"""A worked answer to exercise 6.4 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def residual_block(x, w1, b1, w2, b2):
    h = torch.relu(x @ w1.T + b1)
    return torch.relu(x + h @ w2.T + b2)
