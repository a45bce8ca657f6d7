"""dlcourse.models.MLP: the one configurable multilayer perceptron (layout, activations, initialisation)."""
import pytest
import torch
from torch import nn

from dlcourse.models import MLP
from dlcourse.nn.init import init_weights


def test_layout_matches_a_hand_written_sequential():
    torch.manual_seed(0)
    ours = MLP(20, (128, 64), 1)
    torch.manual_seed(0)
    theirs = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 1))
    assert [type(m) for m in ours] == [type(m) for m in theirs]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.equal(a, b), k          # same seed, same draws in the same order
    x = torch.randn(5, 20)
    assert torch.equal(ours(x), theirs(x))


def test_flatten_tanh_and_linear_model():
    net = MLP(64, (96, 32), 10, activation="tanh", flatten=True)
    assert isinstance(net[0], nn.Flatten) and isinstance(net[2], nn.Tanh)
    assert net(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    linear = MLP(4, (), 2)
    assert [tuple(p.shape) for p in linear.parameters()] == [(2, 4), (2,)]


@pytest.mark.parametrize("init, nonlinearity_std", [("xavier", lambda i, o: (2 / (i + o)) ** 0.5),
                                                     ("he", lambda i, o: (2 / i) ** 0.5)])
def test_init_schemes_set_the_variance_and_zero_the_biases(init, nonlinearity_std):
    torch.manual_seed(0)
    net = MLP(400, (300,), 200, activation="relu", init=init)
    for layer in (net[0], net[2]):
        fan_out, fan_in = layer.weight.shape
        assert layer.weight.std().item() == pytest.approx(nonlinearity_std(fan_in, fan_out), rel=0.05)
        assert torch.count_nonzero(layer.bias) == 0


def test_bad_arguments_name_what_was_expected():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(3, (4,), 1, activation="swish")
    with pytest.raises(ValueError, match="init must be one of"):
        MLP(3, (4,), 1, init="orthogonal")
    with pytest.raises(ValueError, match="positive ints"):
        MLP(3, (0,), 1)
    with pytest.raises(ValueError, match="distribution"):
        init_weights(nn.Linear(2, 2), "he", distribution="laplace")
