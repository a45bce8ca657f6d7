"""dlcourse.models.gmdh: Ivakhnenko's GMDH units and layer-wise growth (Chapter 2)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.models.gmdh import GMDH, fit_quadratic_unit, linear_least_squares, quadratic_features

D = torch.float64


@settings(max_examples=25, deadline=None)
@given(n=st.integers(6, 50), seed=st.integers(0, 10_000))
def test_unit_fit_solves_normal_equations(n, seed):
    g = torch.Generator().manual_seed(seed)
    a, b, y = (torch.randn(n, generator=g, dtype=D) for _ in range(3))
    c = fit_quadratic_unit(a, b, y)
    F = quadratic_features(a, b)
    assert c.shape == (6,) and c.dtype == D
    # least squares: residual orthogonal to the design's columns (F^T (F c - y) = 0)
    torch.testing.assert_close(F.T @ (F @ c - y), torch.zeros(6, dtype=D), atol=1e-8, rtol=0)
    # and it matches torch's pseudo-inverse solution
    torch.testing.assert_close(c, torch.linalg.pinv(F) @ y, atol=1e-7, rtol=1e-7)


def test_unit_recovers_exact_quadratic():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(40, generator=g, dtype=D), torch.randn(40, generator=g, dtype=D)
    true = torch.tensor([0.5, -1.0, 2.0, 3.0, -0.25, 1.5], dtype=D)
    c = fit_quadratic_unit(a, b, quadratic_features(a, b) @ true)
    torch.testing.assert_close(c, true)


def test_linear_least_squares_matches_lstsq():
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(30, 4, generator=g, dtype=D), torch.randn(30, generator=g, dtype=D)
    w, b = linear_least_squares(X, y)
    assert w.shape == (1, 4) and b.shape == (1,)
    A = torch.cat([X, torch.ones(30, 1, dtype=D)], 1)
    ref = torch.linalg.pinv(A) @ y
    torch.testing.assert_close(torch.cat([w[0], b]), ref)


def _task(seed, n=600):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 5, generator=g, dtype=D) * 2 - 1
    y = (X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] + X[:, 0] * X[:, 2] * X[:, 3]
         + 0.05 * torch.randn(n, generator=g, dtype=D))
    return X[:300], y[:300], X[300:450], y[300:450], X[450:], y[450:]


@pytest.mark.parametrize("seed", [0, 1])
def test_gmdh_grows_layers_and_beats_one_layer(seed):
    Xt, yt, Xv, yv, Xs, ys = _task(seed)
    deep = GMDH(keep=6).fit(Xt, yt, Xv, yv)
    shallow = GMDH(keep=6, max_layers=1).fit(Xt, yt, Xv, yv)
    assert deep.depth >= 2 and shallow.depth == 1
    # validation error of the kept layers strictly decreases (that is the stopping rule)
    kept = deep.layer_valid_mse[: deep.depth]
    assert all(b < a for a, b in zip(kept, kept[1:]))
    mse = lambda p: (p - ys).pow(2).mean().item()  # noqa: E731
    w, b = linear_least_squares(Xt, yt)
    assert mse(deep.predict(Xs)) < mse(shallow.predict(Xs)) < mse((Xs @ w.T).squeeze(1) + b)
    assert deep.predict(Xs.float()).dtype == torch.float32


def test_gmdh_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        quadratic_features(torch.zeros(3), torch.zeros(4))
    with pytest.raises(TypeError, match="floating"):
        quadratic_features(torch.zeros(3, dtype=torch.int64), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="D >= 2"):
        GMDH().fit(torch.zeros(10, 1), torch.zeros(10), torch.zeros(5, 1), torch.zeros(5))
    with pytest.raises(ValueError, match="y must have shape"):
        fit_quadratic_unit(torch.zeros(8), torch.zeros(8), torch.zeros(7))
    with pytest.raises(RuntimeError, match="fit"):
        GMDH().predict(torch.zeros(3, 2))
