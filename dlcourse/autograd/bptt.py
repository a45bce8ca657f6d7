"""Backpropagation through time, written out by hand for the plain RNN (book: Chapter 5, "Backpropagation through
time", label ``ch5-bptt``).

Forward, for t = 1..T (rows are examples, weights stored as torch stores them)::

    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          h_t = tanh(a_t)

Unrolled, the network is a deep feed-forward net whose layers all share ``W_ih`` and ``W_hh``. Backward, given
``dL/dh_t`` for every step (``grad_hs``), from t = T down to 1::

    g_t   = dL/dh_t (from the loss at step t) + delta_{t+1} W_hh       the state's total gradient
    delta_t = g_t * (1 - h_t^2)                                     through tanh
    dW_ih += delta_t^T x_t     dW_hh += delta_t^T h_{t-1}     db += sum over rows of delta_t
    dx_t  = delta_t W_ih                                            and finally dh_0 = delta_1 W_hh

The gradient reaching step t from step T passes T - t times through ``diag(1 - h^2) W_hh``: that product is
why gradients over long distances vanish or explode.
"""
from __future__ import annotations

import torch

__all__ = ["rnn_step", "rnn_forward", "rnn_bptt"]


def rnn_step(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b_ih: torch.Tensor,
             b_hh: torch.Tensor) -> torch.Tensor:
    """One step: x (N, I), h (N, H), W_ih (H, I), W_hh (H, H), b_ih, b_hh (H,) -> h' (N, H)."""
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def rnn_forward(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b_ih: torch.Tensor,
                b_hh: torch.Tensor) -> torch.Tensor:
    """All states: x (T, N, I), h0 (N, H) -> hs (T, N, H), the state after each step."""
    hs, h = [], h0
    for t in range(x.shape[0]):
        h = rnn_step(x[t], h, W_ih, W_hh, b_ih, b_hh)
        hs.append(h)
    return torch.stack(hs)


def rnn_bptt(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b_ih: torch.Tensor,
             b_hh: torch.Tensor, grad_hs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of ``L`` with ``dL/dh_t = grad_hs[t]`` (T, N, H), by the rules in the module docstring.

    Returns:
        ``{"x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"}``, each shaped like its tensor.
    """
    with torch.no_grad():
        hs = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)                 # (T, N, H)
        prev = torch.cat([h0[None], hs[:-1]])                          # h_{t-1} for every t
        dW_ih, dW_hh = torch.zeros_like(W_ih), torch.zeros_like(W_hh)
        db = torch.zeros_like(b_ih)
        dx = torch.zeros_like(x)
        carry = torch.zeros_like(h0)                                   # delta_{t+1} W_hh
        for t in range(x.shape[0] - 1, -1, -1):
            g = grad_hs[t] + carry
            delta = g * (1 - hs[t] ** 2)                               # (N, H)
            dW_ih += delta.T @ x[t]
            dW_hh += delta.T @ prev[t]
            db += delta.sum(0)
            dx[t] = delta @ W_ih
            carry = delta @ W_hh
    return {"x": dx, "h0": carry, "weight_ih": dW_ih, "weight_hh": dW_hh, "bias_ih": db, "bias_hh": db.clone()}
