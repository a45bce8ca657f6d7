"""dlcourse.autograd.gradcheck: accepts correct gradients, rejects wrong ones with a teaching message."""
import pytest
import torch

from dlcourse.autograd import Tensor, Value
from dlcourse.autograd.backprop import MLP, mse_loss_grad
from dlcourse.autograd.gradcheck import GradcheckError, gradcheck, gradcheck_tensor, gradcheck_value, numerical_gradient

F64 = torch.float64


def test_numerical_gradient_of_quadratic_is_exact():
    x = torch.tensor([1.0, -2.0, 3.0], dtype=F64)
    g = numerical_gradient(lambda: float((x ** 2).sum()), x, h=1e-4)
    torch.testing.assert_close(g, 2 * x)
    torch.testing.assert_close(x, torch.tensor([1.0, -2.0, 3.0], dtype=F64))  # restored


def test_autograd_gradients_pass():
    a, b = torch.randn(3, 4, dtype=F64), torch.randn(4, 2, dtype=F64)
    result = gradcheck(lambda a, b: torch.tanh(a @ b).sum(), {"a": a, "b": b})
    assert result.passed and result.rel_error < 1e-6


def test_wrong_gradient_fails_naming_parameter_and_index():
    w = torch.randn(2, 3, dtype=F64)
    wrong = 2 * w
    wrong[1, 2] += 0.5
    with pytest.raises(GradcheckError, match=r"'w' at index \(1, 2\).*analytic.*numeric.*relative error"):
        gradcheck(lambda w: (w ** 2).sum(), {"w": w}, analytic={"w": wrong})


def test_rule_based_mlp_passes_and_a_transposed_rule_fails():
    torch.manual_seed(0)
    m = MLP([3, 4, 2], "tanh")
    x, t = torch.randn(5, 3, dtype=F64), torch.randn(5, 2, dtype=F64)
    _, g = mse_loss_grad(m(x), t)
    grads = m.backward(g)

    def loss(**params):
        m.load_state_dict(params)
        return mse_loss_grad(m(x), t)[0]

    params = {k: v.clone() for k, v in m.state_dict().items()}
    assert gradcheck(loss, params, analytic=grads).passed
    bad = dict(grads)
    bad["0.bias"] = bad["0.bias"] * 0.5   # a missing factor of 2 in one place
    result = gradcheck(loss, params, analytic=bad, raise_exception=False)
    assert not result.passed and result.name == "0.bias"


def test_value_and_tensor_graphs():
    assert gradcheck_value(lambda a, b: (a * b + a.exp()).tanh() / (b * b + 1), [0.3, -1.2]).passed
    x = torch.randn(3, 4, dtype=F64)
    w = torch.randn(4, 2, dtype=F64)
    assert gradcheck_tensor(lambda x, w: ((x @ w).sigmoid() + 1.0).log().mean(), [x, w]).passed


def test_float32_is_refused():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a.sum(), [torch.zeros(2)])
    with pytest.raises(TypeError, match="float64"):
        gradcheck_tensor(lambda a: a.sum(), [Tensor(torch.zeros(2))])
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck_value(lambda a: 1.0, [Value(1.0)])
