"""dlcourse.nn.pooling against torch in float64: forward and backward, ceil_mode, indices, divisors, errors."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn import AvgPool2d, MaxPool2d
from dlcourse.nn.functional import avg_pool2d, max_pool2d
from dlcourse.testing import assert_matches_torch

DT = torch.float64


@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h = draw(st.integers(max(1, k[0] - 2 * p[0]), 9))
    w = draw(st.integers(max(1, k[1] - 2 * p[1]), 9))
    return draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w, k, s, p


@settings(max_examples=30, deadline=None)
@given(pool_cases(), st.integers(1, 2), st.booleans())
def test_max_pool_matches_torch(case, dilation, ceil_mode):
    n, c, h, w, k, s, p = case
    # with padding and dilation a window can hold only padding; torch then credits a real pixel arbitrarily,
    # a corner case we do not mirror: dilate only unpadded inputs the dilated window fits in
    if dilation > 1 and h >= dilation * (k[0] - 1) + 1 and w >= dilation * (k[1] - 1) + 1:
        p = (0, 0)
    else:
        dilation = 1
    x = torch.randn(n, c, h, w, dtype=DT, generator=torch.Generator().manual_seed(h * 10 + w))
    kw = dict(kernel_size=k, stride=s, padding=p, dilation=dilation, ceil_mode=ceil_mode)
    assert_matches_torch(max_pool2d, F.max_pool2d, x, kwargs=kw)
    # the indices: flat positions row * W + col in each input plane, like torch's
    assert_matches_torch(max_pool2d, F.max_pool2d, x, kwargs={**kw, "return_indices": True})


@settings(max_examples=30, deadline=None)
@given(pool_cases(), st.booleans(), st.booleans(), st.sampled_from([None, 3, -2]))
def test_avg_pool_matches_torch(case, include, ceil_mode, divisor):
    n, c, h, w, k, s, p = case
    x = torch.randn(n, c, h, w, dtype=DT, generator=torch.Generator().manual_seed(h * 10 + w))
    assert_matches_torch(avg_pool2d, F.avg_pool2d, x, kwargs=dict(
        kernel_size=k, stride=s, padding=p, ceil_mode=ceil_mode, count_include_pad=include,
        divisor_override=divisor))


def test_ceil_mode_adds_a_partial_window():
    x = torch.arange(25, dtype=DT).view(1, 1, 5, 5)
    assert max_pool2d(x, 2).shape == (1, 1, 2, 2)
    out = max_pool2d(x, 2, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3) and out[0, 0, 2, 2].item() == 24.0   # the lone corner pixel's window
    assert avg_pool2d(x, 2, ceil_mode=True)[0, 0, 2, 2].item() == 24.0    # divided by 1 real pixel, not 4


def test_overlapping_max_windows_accumulate_gradient():
    x = torch.zeros(1, 1, 3, 3, dtype=DT)
    x[0, 0, 1, 1] = 5.0   # the centre wins all four 2x2 windows of stride 1
    x.requires_grad_()
    out, idx = max_pool2d(x, 2, 1, return_indices=True)
    out.sum().backward()
    assert x.grad[0, 0, 1, 1] == 4.0 and x.grad.sum() == 4.0
    assert idx.dtype == torch.int64 and idx.flatten().tolist() == [4, 4, 4, 4]


def test_modules_take_torchs_arguments_in_torchs_order():
    x = torch.randn(2, 3, 7, 7, dtype=DT)
    assert_matches_torch(MaxPool2d(2), torch.nn.MaxPool2d(2), x)
    assert_matches_torch(MaxPool2d(3, 2, 1, 1, True, True), torch.nn.MaxPool2d(3, 2, 1, 1, True, True), x)
    assert_matches_torch(AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1), x)
    assert_matches_torch(AvgPool2d(3, 2, 1, True, False, 5), torch.nn.AvgPool2d(3, 2, 1, True, False, 5), x)
    assert MaxPool2d(2)(x).shape == (2, 3, 3, 3) and MaxPool2d(2).stride == 2


def test_clear_errors():
    with pytest.raises(ValueError, match="smaller than"):
        max_pool2d(torch.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="smaller than"):
        max_pool2d(torch.randn(1, 1, 2, 2), 3, ceil_mode=True)
    with pytest.raises(ValueError, match="at most half"):
        avg_pool2d(torch.randn(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        max_pool2d(torch.randn(8, 8), 2)
    with pytest.raises(TypeError, match="floating-point"):
        max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.long), 2)
    with pytest.raises(ValueError, match="divisor_override must be a non-zero int"):
        avg_pool2d(torch.randn(1, 1, 4, 4), 2, divisor_override=0)
