"""dlcourse.diagrams: the figures draw, and the facts they show are right (connections, sizes, codes)."""
import math

import matplotlib
import pytest
import torch
from torch import nn

from dlcourse import diagrams
from dlcourse.autograd import Value
from dlcourse.diagrams.architectures import Layer, check_table, macs, output_size, parameters
from dlcourse.diagrams.compgraph import graph_layout
from dlcourse.diagrams.convolution import weight_sharing_connections
from dlcourse.diagrams.xor_spaces import hidden_coordinates

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_weight_sharing_counts_are_36_16_and_4():
    got = {kind: (len(c), len({w for _, _, w in c}))
           for kind in ("fully connected", "locally connected", "convolutional")
           for c in [weight_sharing_connections(kind)]}
    assert got == {"fully connected": (36, 36), "locally connected": (16, 16), "convolutional": (16, 4)}
    # the convolutional connections are exactly those of a 2x2 kernel sliding over the 3x3 image
    conv = nn.Conv2d(1, 1, 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.arange(1.0, 5.0).view(1, 1, 2, 2))
    image = torch.randn(1, 1, 3, 3)
    ours = torch.zeros(4)
    for p, o, w in weight_sharing_connections("convolutional"):
        ours[o] += image.view(-1)[p] * conv.weight.view(-1)[w]
    torch.testing.assert_close(ours, conv(image).view(-1).detach())
    with pytest.raises(ValueError, match="kind must be"):
        weight_sharing_connections("dense")


def test_architecture_tables_follow_the_convolution_arithmetic():
    check_table(diagrams.LENET5)
    check_table(diagrams.ALEXNET)
    assert output_size(227, 11, 4) == 55 and output_size(224, 11, 4) == 54   # the paper's 224 does not give 55
    assert 60e6 < parameters(diagrams.ALEXNET) < 62e6                                    # "60 million parameters"
    # the multiply-adds of AlexNet's layers equal what torch's layers see
    total = 0
    for prev, layer in zip(diagrams.ALEXNET, diagrams.ALEXNET[1:]):
        if layer.kind == "conv":
            conv = nn.Conv2d(prev.channels, layer.channels, layer.kernel, layer.stride, layer.padding,
                             groups=layer.groups)
            total += layer.channels * layer.size ** 2 * conv.weight[0].numel()
    assert macs(diagrams.ALEXNET) == total + 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    bad = [Layer("input", "input", 1, 32), Layer("C1", "conv", 6, 30, kernel=5)]
    with pytest.raises(ValueError, match="C1: a 5x5 conv .* gives 28x28, but the table says 30x30"):
        check_table(bad)


def test_graph_layout_puts_inputs_left_and_the_result_right():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    y = (x * w + 1.0).tanh()
    y.backward()
    pos = graph_layout(y)
    assert pos[id(x)][0] == pos[id(w)][0] == 0.0
    assert pos[id(y)][0] == max(p[0] for p in pos.values())
    ax = diagrams.draw_graph(y)
    texts = " ".join(t.get_text() for t in ax.texts)
    assert f"grad {x.grad:.3g}" in texts and "value" in texts


def test_xor_hidden_coordinates_reproduce_the_output_unit():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    X = torch.rand(50, 2)
    u, v, t = hidden_coordinates(model, X)
    with torch.no_grad():
        logits = model(X).squeeze(1).double()
    w = model[2].weight.detach().double()[0]
    torch.testing.assert_close(u * w.norm() + model[2].bias.detach().double()[0], logits)
    assert torch.equal(u > t, logits > 0)
    diagrams.plot_xor_spaces(model, X, (logits > 0).long())
    with pytest.raises(ValueError, match="nn.Sequential"):
        hidden_coordinates(nn.Sequential(nn.Linear(2, 1)), X)


def test_the_other_figures_draw():
    diagrams.draw_weight_sharing()
    diagrams.draw_receptive_field()
    diagrams.draw_im2col()
    diagrams.draw_neocognitron()
    diagrams.draw_architecture(diagrams.LENET5)
    with pytest.raises(ValueError, match="at least 5"):
        diagrams.draw_receptive_field(4)
    assert math.isclose(len(plt.get_fignums()), 5)


def test_gmdh_drawing_marks_the_units_the_prediction_uses():
    from dlcourse.diagrams import draw_gmdh
    from dlcourse.diagrams.gmdh_network import gmdh_used_units
    from dlcourse.models.gmdh import GMDH

    g = torch.Generator().manual_seed(0)
    X = torch.rand(200, 4, generator=g, dtype=torch.float64)
    y = X[:, 0] * X[:, 1] * X[:, 2] + X[:, 3]
    model = GMDH(keep=4, max_layers=3).fit(X[:100], y[:100], X[100:], y[100:])
    used = gmdh_used_units(model)
    assert len(used) == model.depth + 1 and used[-1] == {0}
    for level, layer in enumerate(model.layers, start=1):  # every used unit's inputs are used one level down
        assert {i for k in used[level] for i in layer.pairs[k]} == used[level - 1]
    draw_gmdh(model)
    with pytest.raises(RuntimeError, match="fit the GMDH model"):
        gmdh_used_units(GMDH())
