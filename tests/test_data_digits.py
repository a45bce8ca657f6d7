"""dlcourse.data.digits: the embedded handwritten digits as tensors."""
import pytest
import torch

from dlcourse.data import load_digits


def test_split_shapes_and_ranges():
    d = load_digits()
    assert d.X_train.shape[1:] == (1, 8, 8) and d.X_train.dtype == torch.float32
    assert len(d.X_train) + len(d.X_test) == 1797
    assert len(d.X_test) == pytest.approx(0.25 * 1797, abs=1)
    assert 0.0 <= d.X_train.min() and d.X_train.max() <= 1.0
    assert set(d.y_train.tolist()) == set(range(10)) and d.y_train.dtype == torch.int64


def test_flatten_dtype_and_determinism():
    a = load_digits(flatten=True, dtype=torch.float64, seed=1)
    b = load_digits(flatten=True, dtype=torch.float64, seed=1)
    assert a.X_train.shape[1:] == (64,) and a.X_train.dtype == torch.float64
    assert torch.equal(a.X_train, b.X_train)
    assert not torch.equal(a.y_train, load_digits(seed=2).y_train)


def test_bad_arguments():
    with pytest.raises(ValueError, match="test_size"):
        load_digits(test_size=1.5)
    with pytest.raises(TypeError, match="floating dtype"):
        load_digits(dtype=torch.int64)
