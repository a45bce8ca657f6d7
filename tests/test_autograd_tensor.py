"""dlcourse.autograd.Tensor against torch.autograd in float64 (values and gradients), random shapes."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.autograd import Tensor, unbroadcast

F64 = torch.float64


def _pair(shape, seed):
    g = torch.Generator().manual_seed(seed)
    data = torch.randn(tuple(shape), generator=g, dtype=F64)
    return Tensor(data.clone()), data.clone().requires_grad_(True)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(1, 5), m=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_mlp_like_expression_matches_torch(n, k, m, seed):
    x, xt = _pair((n, k), seed)
    w, wt = _pair((k, m), seed + 1)
    b, bt = _pair((m,), seed + 2)
    c, ct = _pair((n, 1), seed + 3)
    ours = ((x @ w + b).tanh() * c + (x @ w).sigmoid() - (x @ w).relu() / 3.0).exp().mean()
    ours = ours + ((b * b + 1.0).log()).sum() - (2.0 - c).sum(dim=0).mean()
    ours.backward()
    ref = (torch.tanh(xt @ wt + bt) * ct + torch.sigmoid(xt @ wt) - torch.relu(xt @ wt) / 3.0).exp().mean()
    ref = ref + torch.log(bt * bt + 1.0).sum() - (2.0 - ct).sum(dim=0).mean()
    ref.backward()
    torch.testing.assert_close(ours.data, ref.detach())
    for a, t in [(x, xt), (w, wt), (b, bt), (c, ct)]:
        torch.testing.assert_close(a.grad, t.grad)


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=4)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, data=st.data(), seed=st.integers(0, 10_000))
def test_broadcast_add_mul_unbroadcast_gradients(shape, data, seed):
    # a second shape that broadcasts with the first: drop some leading axes, set some axes to 1
    drop = data.draw(st.integers(0, len(shape)))
    other = [1 if data.draw(st.booleans()) else s for s in shape[drop:]]
    x, xt = _pair(shape, seed)
    y, yt = _pair(other, seed + 1)
    out = ((x + y) * y * x).sum()
    out.backward()
    ((xt + yt) * yt * xt).sum().backward()
    torch.testing.assert_close(out.data, ((xt + yt) * yt * xt).sum().detach())
    torch.testing.assert_close(x.grad, xt.grad)
    torch.testing.assert_close(y.grad, yt.grad)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 1000), keep=st.booleans(),
       data=st.data())
def test_sum_mean_over_dims(shape, seed, keep, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    x, xt = _pair(shape, seed)
    (x.sum(dim=dim, keepdim=keep).exp().mean() + x.mean(dim=dim, keepdim=keep).tanh().sum()).backward()
    (xt.sum(dim=dim, keepdim=keep).exp().mean() + xt.mean(dim=dim, keepdim=keep).tanh().sum()).backward()
    torch.testing.assert_close(x.grad, xt.grad)


def test_unbroadcast_shapes():
    g = torch.ones(2, 3, 4, dtype=F64)
    assert unbroadcast(g, (4,)).shape == (4,)
    torch.testing.assert_close(unbroadcast(g, (3, 1)), torch.full((3, 1), 8.0, dtype=F64))
    with pytest.raises(ValueError, match="does not broadcast"):
        unbroadcast(g, (5,))


def test_backward_with_explicit_gradient_and_transpose():
    x, xt = _pair((3, 2), 0)
    y = x.T @ x
    gr = torch.arange(4, dtype=F64).reshape(2, 2)
    y.backward(gr)
    (xt.T @ xt).backward(gr)
    torch.testing.assert_close(x.grad, xt.grad)


def test_numpy_input_is_accepted():
    import numpy as np
    t = Tensor(np.array([1.0, 2.0]))
    (t * t).sum().backward()
    torch.testing.assert_close(t.grad, torch.tensor([2.0, 4.0], dtype=F64))


def test_bad_input_raises_clear_errors():
    a = Tensor(torch.zeros(2, 3, dtype=F64))
    with pytest.raises(ValueError, match="inner sizes"):
        a @ Tensor(torch.zeros(2, 3, dtype=F64))
    with pytest.raises(ValueError, match="do not broadcast"):
        a + Tensor(torch.zeros(4, dtype=F64))
    with pytest.raises(TypeError, match="dtype mismatch"):
        a + Tensor(torch.zeros(2, 3, dtype=torch.float32))
    with pytest.raises(TypeError, match="floating dtype"):
        Tensor(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError, match="single-element"):
        a.backward()
    with pytest.raises(ValueError, match="expected"):
        a.backward(torch.ones(3, 2, dtype=F64))
