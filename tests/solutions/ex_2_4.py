"""A worked answer to exercise 2.4 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def fit_quadratic_unit(a, b, y):
    X = torch.stack([torch.ones_like(a), a, b, a * b, a * a, b * b], dim=1)  # (N, 6) design matrix
    return torch.linalg.solve(X.T @ X, X.T @ y)                            # the normal equations
