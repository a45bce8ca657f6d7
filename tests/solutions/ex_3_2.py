"""A worked answer to exercise 3.2 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def mlp_backward(x, W1, b1, W2, b2, grad_output):
    A1 = torch.sigmoid(x @ W1.T + b1)          # forward, cached
    grad_W2 = grad_output.T @ A1               # layer input transposed times the backward signal
    grad_b2 = grad_output.sum(0)
    grad_A1 = grad_output @ W2                 # through a weight matrix: multiply by it (transposed layout)
    grad_Z1 = grad_A1 * A1 * (1 - A1)          # through a function: times its derivative at the forward input
    return {"W1": grad_Z1.T @ x, "b1": grad_Z1.sum(0), "W2": grad_W2, "b2": grad_b2}
