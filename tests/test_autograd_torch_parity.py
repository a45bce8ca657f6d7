"""Chapter 3's autodiff behaves like torch.autograd where a learner will try it (issue 12): second backward passes,
edge cases of the reductions and elementwise rules, indexing, softmax, constants, and gradient checking on
non-contiguous inputs. Every expected number comes from running torch on the same input."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.autograd import Tensor, Value
from dlcourse.autograd.gradcheck import gradcheck, gradcheck_tensor, numerical_gradient
from dlcourse.testing import assert_close_named


def _torch_error(fn) -> str:
    with pytest.raises(RuntimeError) as info:
        fn()
    return str(info.value)


def _leaf(t):
    return t.detach().clone().requires_grad_(True)


# -- a second backward pass ------------------------------------------------------------------------------------
def test_value_second_backward_accumulates_like_torch_with_retain_graph():
    a = Value(3.0)
    y = (2 * a) ** 2
    y.backward(retain_graph=True)
    first = a.grad
    y.backward()
    at = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    yt = (2 * at) ** 2
    yt.backward(retain_graph=True)
    first_t = at.grad.item()
    yt.backward()
    assert (first, a.grad) == (first_t, at.grad.item()) == (24.0, 48.0)
    assert y.grad == 1.0  # the root's adjoint is 1 in every pass, never accumulated


def test_second_backward_without_retain_graph_raises_torchs_error():
    at = torch.tensor(3.0, requires_grad=True)
    yt = (2 * at) ** 2
    yt.backward()
    expected = _torch_error(yt.backward)
    a = Value(3.0)
    y = (2 * a) ** 2
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert str(info.value) == expected
    assert a.grad == 24.0  # the failed pass changed nothing
    x = Tensor(torch.tensor([3.0], dtype=torch.float64))
    z = ((2 * x) ** 2).sum()
    z.backward()
    with pytest.raises(RuntimeError) as info:
        z.backward()
    assert str(info.value) == expected


def test_a_graph_that_saves_nothing_can_be_run_twice_as_in_torch():
    pt = torch.tensor(1.0, requires_grad=True)
    qt = -(pt + 1)
    qt.backward()
    qt.backward()
    p = Value(1.0)
    q = -(p + 1)
    q.backward()
    q.backward()
    assert p.grad == pt.grad.item() == -2.0


def test_tanh_matmul_graph_twice_gives_twice_the_gradient():
    g = torch.Generator().manual_seed(0)
    x, W = torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(3, 2, generator=g, dtype=torch.float64)
    xt, Wt = _leaf(x), _leaf(W)
    lt = torch.tanh(xt @ Wt).sum()
    lt.backward(retain_graph=True)
    lt.backward()
    xo, Wo = Tensor(x.clone()), Tensor(W.clone())
    lo = (xo @ Wo).tanh().sum()
    lo.backward(retain_graph=True)
    lo.backward()
    assert_close_named("W.grad", Wo.grad, Wt.grad, rtol=1e-12, atol=1e-12)
    assert_close_named("x.grad", xo.grad, xt.grad, rtol=1e-12, atol=1e-12)
    once = Tensor(W.clone())
    (Tensor(x.clone()) @ once).tanh().sum().backward()
    assert_close_named("2 x one pass", 2 * once.grad, Wo.grad, rtol=1e-12, atol=1e-12)
    assert lo.grad.item() == 1.0


def test_two_losses_sharing_an_intermediate_node():
    g = torch.Generator().manual_seed(1)
    x, W = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(3, 4, generator=g, dtype=torch.float64)
    Wt = _leaf(W)
    ht = torch.sigmoid(x @ Wt)
    l1t, l2t = ht.sum(), (ht ** 2).mean()
    l1t.backward(retain_graph=True)
    after_one = Wt.grad.clone()
    l2t.backward()
    Wo = Tensor(W.clone())
    h = (Tensor(x.clone(), requires_grad=False) @ Wo).sigmoid()
    l1, l2 = h.sum(), (h ** 2).mean()
    l1.backward(retain_graph=True)
    assert_close_named("W.grad after loss 1", Wo.grad, after_one, rtol=1e-12, atol=1e-12)
    l2.backward()
    assert_close_named("W.grad after both", Wo.grad, Wt.grad, rtol=1e-12, atol=1e-12)
    # without retain_graph the first pass frees the shared node, so the second loss fails, as in torch
    Wo2 = Tensor(W.clone())
    h2 = (Tensor(x.clone()) @ Wo2).sigmoid()
    h2.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        (h2 ** 2).mean().backward()


# -- edge cases ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, -1])
def test_sum_over_axis_of_a_0d_tensor(dim):
    xt = torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    st_ = xt.sum(dim)
    st_.backward()
    x = Tensor(torch.tensor(2.5, dtype=torch.float64))
    s = x.sum(dim)
    s.backward()
    assert s.shape == st_.shape == () and s.item() == st_.item() == 2.5
    assert x.grad.item() == xt.grad.item() == 1.0
    with pytest.raises(ValueError, match=r"dim 1 is out of range.*\[-1, 0\]"):
        x.sum(1)


@pytest.mark.parametrize("shape, dim", [((0,), None), ((0, 3), 0), ((2, 0), None)])
def test_mean_of_empty_is_nan_with_an_empty_gradient(shape, dim):
    xt = torch.empty(shape, dtype=torch.float64, requires_grad=True)
    mt = xt.mean() if dim is None else xt.mean(dim)
    mt.sum().backward()
    x = Tensor(torch.empty(shape, dtype=torch.float64))
    m = x.mean(dim)
    m.sum().backward()
    assert_close_named("mean", m.data, mt.detach())
    assert torch.isnan(m.data).all() and m.data.shape == mt.shape
    assert x.grad.shape == xt.grad.shape == shape


def test_power_zero_at_zero_has_gradient_zero():
    xt = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (xt ** 0).backward()
    v = Value(0.0)
    (v ** 0).backward()
    t = Tensor(torch.zeros(3, dtype=torch.float64))
    (t ** 0).sum().backward()
    assert v.grad == xt.grad.item() == 0.0
    assert t.grad.tolist() == [0.0, 0.0, 0.0]


def test_power_edge_values_match_torch():
    for base, exponent in [(0.0, -1.0), (0.0, 0.5), (-8.0, 1 / 3), (-2.0, 3.0), (0.0, 1.0)]:
        xt = torch.tensor(base, dtype=torch.float64, requires_grad=True)
        yt = xt ** exponent
        yt.backward()
        v = Value(base)
        y = v ** exponent
        y.backward()
        got = torch.tensor([y.data, v.grad], dtype=torch.float64)
        want = torch.stack([yt.detach(), xt.grad])
        torch.testing.assert_close(got, want, equal_nan=True, msg=f"{base} ** {exponent}")


def test_relu_of_nan_is_nan_with_torchs_gradient():
    nan = float("nan")
    xt = torch.tensor([nan, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.relu(xt).sum().backward()
    v = Value(nan)
    r = v.relu()
    r.backward()
    t = Tensor(torch.tensor([nan, -1.0, 2.0], dtype=torch.float64))
    rt = t.relu()
    rt.sum().backward()
    assert math.isnan(r.data) and v.grad == xt.grad[0].item()  # torch passes the gradient through nan
    torch.testing.assert_close(rt.data, torch.relu(xt).detach(), equal_nan=True)
    assert_close_named("relu grad", t.grad, xt.grad)


# -- indexing, reshape, softmax and cross-entropy ----------------------------------------------------------------
def _compare(fn_ours, fn_torch, *inputs, upstream_seed=0):
    ours = [Tensor(t.clone()) for t in inputs]
    theirs = [_leaf(t) for t in inputs]
    out_o, out_t = fn_ours(*ours), fn_torch(*theirs)
    assert_close_named("output", out_o.data, out_t.detach(), rtol=1e-12, atol=1e-12)
    up = torch.randn(out_t.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(upstream_seed))
    out_o.backward(up)
    out_t.backward(up)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert_close_named(f"input {i} grad", o.grad, t.grad, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 10_000))
def test_indexing_reshape_and_softmax_match_torch(n, m, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, m, generator=g, dtype=torch.float64)
    rows = torch.randint(0, n, (7,), generator=g)  # repeats are likely: their gradients must add up
    cols = torch.randint(0, m, (7,), generator=g)
    _compare(lambda a: a[rows, cols], lambda a: a[rows, cols], x)
    _compare(lambda a: a[rows], lambda a: a[rows], x)
    _compare(lambda a: a[x > 0], lambda a: a[x > 0], x)
    _compare(lambda a: a[1:, ::2][..., None], lambda a: a[1:, ::2][..., None], x)
    _compare(lambda a: a[-1], lambda a: a[-1], x)
    _compare(lambda a: a.reshape(-1).reshape(m, n), lambda a: a.reshape(-1).reshape(m, n), x)
    for dim in (0, 1, -1):
        _compare(lambda a, d=dim: a.softmax(d), lambda a, d=dim: a.softmax(d), x)
        _compare(lambda a, d=dim: a.log_softmax(d), lambda a, d=dim: a.log_softmax(d), x)


def test_cross_entropy_written_with_log_softmax_and_indexing_equals_torchs():
    g = torch.Generator().manual_seed(3)
    logits, y = torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randint(0, 4, (6,), generator=g)

    def ours(z):
        return -z.log_softmax(1)[torch.arange(6), y].mean()

    _compare(ours, lambda z: F.cross_entropy(z, y), logits)


def test_unsupported_indexing_and_options_say_so():
    x = Tensor(torch.randn(3, 4, dtype=torch.float64))
    with pytest.raises(NotImplementedError, match="not a mix"):
        x[0, [1, 2]]
    with pytest.raises(TypeError, match="integer or boolean"):
        x[torch.tensor([0.0])]
    with pytest.raises(ValueError, match="cannot view shape"):
        x.reshape(5, 2)
    loss = x.sum()
    with pytest.raises(ValueError, match="create_graph=True"):
        loss.backward(create_graph=True)
    with pytest.raises(ValueError, match="inputs="):
        loss.backward(inputs=[x])
    with pytest.raises(ValueError, match="create_graph=True"):
        Value(1.0).backward(create_graph=True)


# -- constants -------------------------------------------------------------------------------------------------
def test_constants_get_no_gradient_and_backward_on_a_constant_raises_torchs_error():
    expected = _torch_error(lambda: (torch.tensor(3.0) * 2).backward())
    c = Value(2.0, requires_grad=False)
    w = Value(3.0)
    (c * w).backward()
    assert c.grad == 0.0 and w.grad == 2.0
    with pytest.raises(RuntimeError) as info:
        (c * 5).backward()
    assert str(info.value) == expected
    X = Tensor(torch.ones(2, 2, dtype=torch.float64), requires_grad=False)
    W = Tensor(torch.ones(2, 1, dtype=torch.float64))
    (X @ W).sum().backward()
    assert X.grad.abs().sum().item() == 0.0 and W.grad.tolist() == [[2.0], [2.0]]
    assert not (X * 2).requires_grad and (X @ W).requires_grad
    with pytest.raises(RuntimeError) as info:
        (X * 2).sum().backward()
    assert str(info.value) == expected


# -- gradient checking on non-contiguous inputs ------------------------------------------------------------------
def test_numerical_gradient_and_gradcheck_on_a_transposed_input():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(3, 4, generator=g, dtype=torch.float64).T  # (4, 3), not contiguous
    B = torch.randn(3, 2, generator=g, dtype=torch.float64)
    assert not A.is_contiguous()

    def f(a, b):
        return torch.tanh(a @ b).sum()

    assert torch.autograd.gradcheck(f, (_leaf(A), _leaf(B)))  # torch accepts it ...
    gradcheck(f, [A, B])                                      # ... and so do we
    num = numerical_gradient(lambda: f(A, B).item(), A)
    At = _leaf(A)
    f(At, B).backward()
    assert_close_named("numerical vs autograd", num, At.grad, rtol=1e-6, atol=1e-8)
    assert torch.equal(A, torch.randn(3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64).T)
    gradcheck_tensor(lambda a, b: (a @ b).tanh().sum(), [A, B])
    sliced = torch.randn(4, 6, dtype=torch.float64, generator=g)[:, ::2]
    gradcheck(lambda s: (s ** 3).sum(), [sliced])
