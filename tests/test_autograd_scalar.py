"""dlcourse.autograd.Value against torch.autograd in float64 (values and gradients)."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.autograd import Value


def _t(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def test_micrograd_expression_matches_torch():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()

    at, bt = _t(-4.0), _t(2.0)
    ct = at + bt
    dt = at * bt + bt ** 3
    ct = ct + ct + 1
    ct = ct + 1 + ct + (-at)
    dt = dt + dt * 2 + (bt + at).relu()
    dt = dt + 3 * dt + (bt - at).relu()
    et = ct - dt
    ft = et ** 2
    gt = ft / 2.0
    gt = gt + 10.0 / ft
    gt.backward()
    assert math.isclose(g.data, gt.item(), rel_tol=1e-12)
    assert math.isclose(a.grad, at.grad.item(), rel_tol=1e-12)
    assert math.isclose(b.grad, bt.grad.item(), rel_tol=1e-12)


def _expr(x, y, z, lib):
    if lib == "ours":
        s = (x * y).tanh() + (z.sigmoid() * x).exp() - (y ** 2 + 1.0).log() + (x - z).relu() / (y * y + 2.0)
        return s * s.sigmoid() - 3.0 / (z.exp() + 1.0)
    s = (torch.tanh(x * y) + torch.exp(torch.sigmoid(z) * x) - torch.log(y ** 2 + 1.0)
         + torch.relu(x - z) / (y * y + 2.0))
    return s * torch.sigmoid(s) - 3.0 / (torch.exp(z) + 1.0)


finite = st.floats(min_value=-3, max_value=3, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


@settings(max_examples=25, deadline=None)
@given(finite, finite, finite)
def test_random_points_match_torch(x0, y0, z0):
    x, y, z = Value(x0), Value(y0), Value(z0)
    out = _expr(x, y, z, "ours")
    out.backward()
    xt, yt, zt = _t(x0), _t(y0), _t(z0)
    outt = _expr(xt, yt, zt, "torch")
    outt.backward()
    got = torch.tensor([out.data, x.grad, y.grad, z.grad], dtype=torch.float64)
    want = torch.stack([outt.detach(), xt.grad, yt.grad, zt.grad])
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_reused_value_accumulates():
    x = Value(3.0)
    y = x * x + x   # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == 7.0


def test_value_power_and_rpow():
    x, y = Value(1.5), Value(0.7)
    (x ** y + 2 ** y).backward()
    xt, yt = _t(1.5), _t(0.7)
    (xt ** yt + 2 ** yt).backward()
    assert math.isclose(x.grad, xt.grad.item(), rel_tol=1e-12)
    assert math.isclose(y.grad, yt.grad.item(), rel_tol=1e-12)


def test_deep_chain_has_no_recursion_error():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_zero_grad():
    x = Value(2.0)
    y = x * x
    y.backward()
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0


def test_bad_input_raises():
    with pytest.raises(TypeError, match="int or float"):
        Value("3")
    with pytest.raises(TypeError, match="Value, int or float"):
        Value(1.0) + "a"
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
