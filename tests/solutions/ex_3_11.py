"""A worked answer to exercise 3.11 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def line_grad(theta, x, y):
    residual = theta[0] * x + theta[1] - y          # prediction minus target, (n,)
    return torch.stack([2 * (residual * x).mean(), 2 * residual.mean()])
