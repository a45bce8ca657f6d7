"""The scale experiment's synthetic task (dlcourse.data.synthetic)."""
import pytest
import torch

from dlcourse.data import make_interference_task


def test_shapes_and_dtypes():
    task = make_interference_task(500, dim=12)
    assert task.X.shape == (500, 12) and task.X.dtype == torch.float32
    assert task.y.shape == (500,) and task.y.dtype == torch.int64
    assert set(task.y.unique().tolist()) <= {0, 1}
    assert task.plane.shape == (12, 2) and task.trend.shape == (12,)
    basis = torch.cat([task.plane, task.trend[:, None]], dim=1).double()
    torch.testing.assert_close(basis.T @ basis, torch.eye(3, dtype=torch.float64), atol=1e-5, rtol=0)


def test_deterministic_by_seed():
    a, b = make_interference_task(300, seed=3), make_interference_task(300, seed=3)
    assert torch.equal(a.X, b.X) and torch.equal(a.y, b.y)
    c = make_interference_task(300, seed=4)
    assert not torch.equal(a.X, c.X)
    d = make_interference_task(300, seed=3, pattern_seed=1)
    assert torch.equal(a.X, d.X) and not torch.equal(a.plane, d.plane)


def test_balanced_classes():
    y = make_interference_task(20_000, seed=1).y.float()
    assert abs(y.mean().item() - 0.5) < 0.02


def test_labels_follow_the_trend_not_the_other_directions():
    task = make_interference_task(20_000, seed=0, dtype=torch.float64)
    y = task.y.bool()
    along_trend = task.X @ task.trend
    gap = along_trend[y].mean() - along_trend[~y].mean()
    assert gap > 0.5                                   # the weak linear trend a linear model can use
    basis = torch.cat([task.plane, task.trend[:, None]], dim=1)
    v = torch.randn(task.X.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    v = v - basis @ (basis.T @ v)
    v = v / v.norm()                                   # a direction the label does not depend on
    other = task.X @ v
    assert abs(other[y].mean() - other[~y].mean()) < 0.05


def test_float64_dtype():
    assert make_interference_task(10, dtype=torch.float64).X.dtype == torch.float64


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_samples=0), ValueError, "n_samples"),
    (dict(n_samples=2.5), ValueError, "n_samples"),
    (dict(n_samples=10, dim=2), ValueError, "dim"),
    (dict(n_samples=10, n_waves=0), ValueError, "n_waves"),
    (dict(n_samples=10, omega=0.0), ValueError, "omega"),
    (dict(n_samples=10, beta=-1.0), ValueError, "beta"),
    (dict(n_samples=10, dtype=torch.int64), TypeError, "dtype"),
])
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_interference_task(**kwargs)
