"""dlcourse.nn.init against torch.nn.init: the same gains and fans, the same draws from the same generator."""
import math

import pytest
import torch

from dlcourse.nn import init

SHAPES = [(30, 20), (8, 3, 5, 5), (16, 4, 3), (5, 7)]


@pytest.mark.parametrize("name", ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"])
def test_gain_equals_torch(name):
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)
    if name == "leaky_relu":
        assert init.calculate_gain(name, 0.2) == torch.nn.init.calculate_gain(name, 0.2)


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_and_draws_equal_torch(shape):
    t = torch.empty(shape, dtype=torch.float64)
    assert init._calculate_fan_in_and_fan_out(t) == torch.nn.init._calculate_fan_in_and_fan_out(t)
    calls = [("xavier_uniform_", {}), ("xavier_normal_", {"gain": 5 / 3}), ("kaiming_uniform_", {}),
             ("kaiming_normal_", {"nonlinearity": "relu"}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
             ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}), ("uniform_", {"a": -2, "b": 3}),
             ("normal_", {"std": 0.3})]
    for name, kw in calls:
        ours = getattr(init, name)(torch.empty(shape, dtype=torch.float64), **kw,
                                   generator=torch.Generator().manual_seed(1))
        theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kw,
                                              generator=torch.Generator().manual_seed(1))
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0, msg=f"{name}({kw}) differs from torch")


def test_statistics_follow_the_rules():
    g = torch.Generator().manual_seed(0)
    w = init.kaiming_normal_(torch.empty(400, 300), nonlinearity="relu", generator=g)
    assert abs(w.std().item() - math.sqrt(2 / 300)) < 0.02 * math.sqrt(2 / 300)
    w = init.kaiming_normal_(torch.empty(400, 300), mode="fan_out", nonlinearity="relu", generator=g)
    assert abs(w.std().item() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    w = init.xavier_uniform_(torch.empty(400, 300), generator=g)
    assert abs(w.std().item() - math.sqrt(2 / 700)) < 0.02 * math.sqrt(2 / 700)
    assert w.abs().max() <= math.sqrt(6 / 700)


def test_errors_are_torchs():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(torch.empty(5))
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(torch.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(torch.empty(0, 3))
