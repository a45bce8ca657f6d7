"""The rule-based MLP backward pass (dlcourse.autograd.backprop) against torch.autograd in float64."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.autograd.backprop import MLP, cross_entropy_grad, linear_backward, mse_loss_grad

F64 = torch.float64


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5), n=st.integers(1, 6),
       act=st.sampled_from(["sigmoid", "tanh", "relu"]), seed=st.integers(0, 10_000))
def test_mlp_gradients_match_torch_mse(sizes, n, act, seed):
    g = torch.Generator().manual_seed(seed)
    ours = MLP(sizes, act, generator=g)
    ref = ours.to_torch()
    x = torch.randn(n, sizes[0], generator=g, dtype=F64)
    t = torch.randn(n, sizes[-1], generator=g, dtype=F64)
    out = ours(x)
    loss, grad_out = mse_loss_grad(out, t)
    grads = ours.backward(grad_out)
    x_ref = x.clone().requires_grad_(True)
    loss_ref = torch.nn.functional.mse_loss(ref(x_ref), t)
    loss_ref.backward()
    torch.testing.assert_close(loss, loss_ref.detach())
    for name, p in ref.named_parameters():
        torch.testing.assert_close(grads[name], p.grad, msg=lambda m, name=name: f"{name}: {m}")
    torch.testing.assert_close(ours.grad_input, x_ref.grad)


def test_loads_torch_sequential_and_matches_cross_entropy():
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(8, 7), torch.nn.Sigmoid(), torch.nn.Linear(7, 5),
                              torch.nn.Sigmoid(), torch.nn.Linear(5, 3)).double()
    ours = MLP([8, 7, 5, 3], "sigmoid")
    ours.load_state_dict(ref.state_dict())
    x, y = torch.randn(10, 8, dtype=F64), torch.randint(0, 3, (10,))
    loss, g = cross_entropy_grad(ours(x), y)
    grads = ours.backward(g)
    loss_ref = torch.nn.functional.cross_entropy(ref(x), y)
    loss_ref.backward()
    torch.testing.assert_close(loss, loss_ref.detach())
    for name, p in ref.named_parameters():
        torch.testing.assert_close(grads[name], p.grad)


def test_linear_backward_shapes():
    x, w, g = torch.randn(4, 3, dtype=F64), torch.randn(2, 3, dtype=F64), torch.randn(4, 2, dtype=F64)
    gi, gw, gb = linear_backward(x, w, g)
    assert gi.shape == (4, 3) and gw.shape == (2, 3) and gb.shape == (2,)
    with pytest.raises(ValueError, match="do not fit"):
        linear_backward(x, w.T, g)


def test_bad_input_raises_clear_errors():
    m = MLP([3, 4, 2])
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        m(torch.zeros(5, 4, dtype=F64))
    with pytest.raises(TypeError, match="dtype"):
        m(torch.zeros(5, 3, dtype=torch.float32))
    with pytest.raises(RuntimeError, match="forward before backward"):
        MLP([3, 2]).backward(torch.zeros(1, 2, dtype=F64))
    m(torch.zeros(5, 3, dtype=F64))
    with pytest.raises(ValueError, match="grad_output"):
        m.backward(torch.zeros(5, 3, dtype=F64))
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([3, 2], "swish")
    with pytest.raises(ValueError, match="keys"):
        m.load_state_dict({"0.weight": torch.zeros(4, 3)})
    with pytest.raises(TypeError, match="int64"):
        cross_entropy_grad(torch.zeros(2, 3), torch.zeros(2))
