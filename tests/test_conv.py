"""dlcourse.nn.conv against torch.nn.functional.conv2d in float64: forward and backward, loop and im2col."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn import Conv2d
from dlcourse.nn.conv import conv2d_output_size
from dlcourse.nn.functional import col2im, conv2d, conv2d_loop, im2col
from dlcourse.testing import assert_matches_torch

DT = torch.float64


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans()) and groups > 1
    cin = groups * draw(st.integers(1, 2))
    cout = cin if depthwise else groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), 8))
    w = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), 8))
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    return n, cin, cout, h, w, (kh, kw), s, p, d, groups, bias


def _tensors(n, cin, cout, h, w, k, groups, bias, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, cin, h, w, dtype=DT, generator=g, requires_grad=True)
    wt = torch.randn(cout, cin // groups, *k, dtype=DT, generator=g, requires_grad=True)
    b = torch.randn(cout, dtype=DT, generator=g, requires_grad=True) if bias else None
    return x, wt, b


@settings(max_examples=25, deadline=None)
@given(conv_cases())
def test_conv2d_matches_torch(case):
    n, cin, cout, h, w, k, s, p, d, groups, bias = case
    x, wt, b = _tensors(n, cin, cout, h, w, k, groups, bias)
    kw = dict(stride=s, padding=p, dilation=d, groups=groups)
    assert F.conv2d(x, wt, b, **kw).shape[2:] == conv2d_output_size((h, w), k, s, p, d)
    for fn in (conv2d, conv2d_loop):
        assert_matches_torch(fn, F.conv2d, x, wt, b, kwargs=kw)


@pytest.mark.parametrize("padding, k, d", [("valid", (3, 2), (1, 1)), ("same", (3, 5), (1, 1)),
                                           ("same", (3, 3), (2, 1))])
def test_string_padding_matches_torch(padding, k, d):
    x, wt, b = _tensors(2, 3, 4, 7, 8, k, 1, True)
    for fn in (conv2d, conv2d_loop):
        assert_matches_torch(fn, F.conv2d, x, wt, b, kwargs=dict(padding=padding, dilation=d))
    ours, theirs = Conv2d(3, 4, k, padding=padding, dilation=d, dtype=DT), torch.nn.Conv2d(3, 4, k, padding=padding,
                                                                                           dilation=d, dtype=DT)
    ours.load_state_dict(theirs.state_dict())
    assert_matches_torch(ours, theirs, x)


@settings(max_examples=15, deadline=None)
@given(conv_cases())
def test_im2col_matches_unfold_and_col2im_is_its_adjoint(case):
    n, cin, cout, h, w, k, s, p, d, groups, bias = case
    x = torch.randn(n, cin, h, w, dtype=DT)
    cols = im2col(x, k, s, p, d)
    torch.testing.assert_close(cols, F.unfold(x, k, dilation=d, padding=p, stride=s))
    c = torch.randn_like(cols)
    torch.testing.assert_close(col2im(c, (h, w), k, s, p, d), F.fold(c, (h, w), k, dilation=d, padding=p, stride=s))


def test_module_loads_torch_state_dict_and_matches():
    torch.manual_seed(0)
    # torch's positional order: ..., groups, bias, padding_mode, device, dtype
    ref = torch.nn.Conv2d(4, 6, (3, 2), (2, 1), 1, (1, 2), 2, True, "zeros", None, DT)
    ours = Conv2d(4, 6, (3, 2), (2, 1), 1, (1, 2), 2, True, "zeros", None, DT)
    assert ours.weight.shape == ref.weight.shape and ours.weight.dtype == DT and ours.bias.shape == ref.bias.shape
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(3, 4, 7, 9, dtype=DT)
    assert_matches_torch(ours, ref, x)
    loop = Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2, dtype=DT, implementation="loop")
    loop.load_state_dict(ref.state_dict())
    assert_matches_torch(loop, ref, x)


def test_init_matches_torch_bounds():
    torch.manual_seed(0)
    ours = Conv2d(3, 64, 5, bias=True)
    bound = 1 / (3 * 25) ** 0.5
    assert ours.weight.abs().max() <= bound and ours.weight.abs().max() > 0.9 * bound
    assert ours.bias.abs().max() <= bound
    assert ours(torch.randn(2, 3, 8, 8)).dtype == torch.float32


def test_no_bias_and_repr():
    m = Conv2d(2, 4, 3, bias=False, groups=2)
    assert m.bias is None and "groups=2" in repr(m) and "bias=False" in repr(m)
    theirs = torch.nn.Conv2d(2, 4, 3, bias=False, groups=2)
    assert set(dict(m.named_parameters())) == set(dict(theirs.named_parameters()))


@pytest.mark.parametrize("fn", [conv2d, conv2d_loop])
def test_clear_errors(fn):
    w = torch.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match="input has 2 channels"):
        fn(torch.randn(1, 2, 8, 8), w)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        fn(torch.randn(1, 3, 2, 8), w)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        fn(torch.randn(1, 3, 4, 4), w, dilation=2)
    with pytest.raises(ValueError, match=r"\(N, C_in, H, W\)"):
        fn(torch.randn(3, 8, 8), w)
    with pytest.raises(TypeError, match="floating-point"):
        fn(torch.ones(1, 3, 8, 8, dtype=torch.long), w)
    with pytest.raises(ValueError, match="divisible by groups"):
        fn(torch.randn(1, 3, 8, 8), torch.randn(4, 1, 3, 3), groups=3)
    with pytest.raises(TypeError, match="does not match weight dtype"):
        fn(torch.randn(1, 3, 8, 8, dtype=DT), w)


def test_module_argument_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        Conv2d(3, 4, 3, stride=0)
    with pytest.raises(ValueError, match="padding_mode='reflect' is not supported"):
        Conv2d(3, 4, 3, padding=1, padding_mode="reflect")
    with pytest.raises(TypeError):
        Conv2d(3, 4, 3, 1, 0, 1, 1, True, "zeros", None, None, "loop")   # implementation is keyword-only
    with pytest.raises(ValueError, match="needs stride 1"):
        Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="asymmetric padding"):
        conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 2, 2), padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        conv2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3), padding="full")
    with pytest.raises(TypeError, match="kernel_size"):
        Conv2d(3, 4, "3")
