"""dlcourse.nn.activation: the from-scratch sigmoid and ReLU against torch, and the one table by name."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn.activation import ACTIVATIONS, activation, activation_derivative, activation_module
from dlcourse.nn.functional import relu, sigmoid
from dlcourse.testing import assert_matches_torch

DT = torch.float64


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.floats(0.1, 800.0))
def test_sigmoid_and_relu_match_torch(shape, scale):
    x = scale * torch.randn(*shape, dtype=DT, generator=torch.Generator().manual_seed(len(shape)))
    assert_matches_torch(sigmoid, torch.sigmoid, x)            # no overflow even at |x| ~ 800
    assert_matches_torch(relu, torch.relu, x)


def test_sigmoid_is_finite_at_extremes():
    x = torch.tensor([-1000.0, 0.0, 1000.0], dtype=DT)
    assert sigmoid(x).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_table_module_function_and_derivative_agree(name):
    z = torch.linspace(-3, 3, 13, dtype=DT).requires_grad_()
    module = activation_module(name)
    assert isinstance(module, ACTIVATIONS[name])
    torch.testing.assert_close(activation(z, name), module(z))
    (grad,) = torch.autograd.grad(module(z).sum(), z)
    torch.testing.assert_close(activation_derivative(z.detach(), name), grad)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"relu\(inplace=True\) is not supported"):
        relu(torch.ones(2), inplace=True)
    with pytest.raises(TypeError, match="floating-point tensor"):
        sigmoid(torch.ones(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; expected one of \('sigmoid'"):
        activation_module("swish")
    with pytest.raises(ValueError, match="unknown activation"):
        activation_derivative(torch.ones(2), "gelu")
