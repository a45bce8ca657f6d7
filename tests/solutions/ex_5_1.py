"""A worked answer to exercise 5.1 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
