"""dlcourse.nn.pooling against torch in float64: forward and backward, clear errors."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn import AvgPool2d, MaxPool2d
from dlcourse.nn.functional import avg_pool2d, max_pool2d

DT = torch.float64


@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h = draw(st.integers(max(1, k[0] - 2 * p[0]), 9))
    w = draw(st.integers(max(1, k[1] - 2 * p[1]), 9))
    return draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w, k, s, p


def _check(ours, ref, x, **kw):
    a = x.detach().clone().requires_grad_()
    b = x.detach().clone().requires_grad_()
    out, exp = ours(a, **kw), ref(b, **kw)
    torch.testing.assert_close(out, exp)
    up = torch.randn(out.shape, dtype=DT, generator=torch.Generator().manual_seed(2))
    out.backward(up)
    exp.backward(up)
    torch.testing.assert_close(a.grad, b.grad)


@settings(max_examples=25, deadline=None)
@given(pool_cases(), st.integers(1, 2))
def test_max_pool_matches_torch(case, dilation):
    n, c, h, w, k, s, p = case
    # with padding and dilation a window can hold only padding; torch then credits a real pixel arbitrarily,
    # a corner case we do not mirror: dilate only unpadded inputs the dilated window fits in
    if dilation > 1 and h >= dilation * (k[0] - 1) + 1 and w >= dilation * (k[1] - 1) + 1:
        p = (0, 0)
    else:
        dilation = 1
    x = torch.randn(n, c, h, w, dtype=DT, generator=torch.Generator().manual_seed(h * 10 + w))
    _check(max_pool2d, F.max_pool2d, x, kernel_size=k, stride=s, padding=p, dilation=dilation)


@settings(max_examples=25, deadline=None)
@given(pool_cases(), st.booleans())
def test_avg_pool_matches_torch(case, include):
    n, c, h, w, k, s, p = case
    x = torch.randn(n, c, h, w, dtype=DT, generator=torch.Generator().manual_seed(h * 10 + w))
    _check(avg_pool2d, F.avg_pool2d, x, kernel_size=k, stride=s, padding=p, count_include_pad=include)


def test_overlapping_max_windows_accumulate_gradient():
    x = torch.zeros(1, 1, 3, 3, dtype=DT)
    x[0, 0, 1, 1] = 5.0   # the centre wins all four 2x2 windows of stride 1
    x.requires_grad_()
    max_pool2d(x, 2, 1).sum().backward()
    assert x.grad[0, 0, 1, 1] == 4.0 and x.grad.sum() == 4.0


def test_modules():
    x = torch.randn(2, 3, 8, 8, dtype=DT)
    torch.testing.assert_close(MaxPool2d(2)(x), torch.nn.MaxPool2d(2)(x))
    torch.testing.assert_close(AvgPool2d(3, 2, 1)(x), torch.nn.AvgPool2d(3, 2, 1)(x))
    assert MaxPool2d(2)(x).shape == (2, 3, 4, 4)


def test_clear_errors():
    with pytest.raises(ValueError, match="smaller than"):
        max_pool2d(torch.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="at most half"):
        avg_pool2d(torch.randn(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        max_pool2d(torch.randn(8, 8), 2)
    with pytest.raises(TypeError, match="floating-point"):
        max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.long), 2)
