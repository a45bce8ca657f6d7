"""dlcourse.nn.perceptron: McCulloch-Pitts gates, the perceptron rule, the delta rule vs torch (Chapter 2)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlcourse.data import make_separable, make_xor, make_xor_blobs
from dlcourse.nn import Adaline, McCullochPitts, Perceptron
from dlcourse.nn.perceptron import (
    and_gate,
    delta_rule_update,
    not_gate,
    or_gate,
    perceptron_update,
    train_adaline,
    train_perceptron,
)

D = torch.float64


def test_mcculloch_pitts_gates():
    X, _ = make_xor(D)
    assert and_gate()(X).tolist() == [0, 0, 0, 1]
    assert or_gate()(X).tolist() == [0, 1, 1, 1]
    assert not_gate()(torch.tensor([[0.0], [1.0]], dtype=D)).tolist() == [1, 0]
    assert and_gate(3)(torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0]])).tolist() == [1, 0]
    with pytest.raises(ValueError, match="binary"):
        and_gate()(torch.tensor([[0.5, 1.0]]))


def test_parameters_mirror_nn_linear():
    lin = nn.Linear(3, 1).double()
    for cls in (Perceptron, Adaline):
        ours = cls(3, dtype=D)
        ours.load_state_dict(lin.state_dict())
        x = torch.randn(5, 3, dtype=D)
        score = lin(x).squeeze(1)
        out = ours.decision_function(x) if cls is Perceptron else ours(x)
        torch.testing.assert_close(out, score)
    p = Perceptron(3, dtype=D)
    p.load_state_dict(lin.state_dict())
    torch.testing.assert_close(p(x), torch.where(score >= 0, 1.0, -1.0).to(D))


@pytest.mark.parametrize("seed", range(5))
def test_perceptron_converges_on_separable_data_within_novikoff_bound(seed):
    margin = 0.05
    X, y = make_separable(80, margin=margin, seed=seed, dtype=D)
    p = Perceptron(2, dtype=D)
    result = train_perceptron(p, X, y, max_epochs=1000)
    assert result.converged and result.mistakes[-1] == 0
    assert (p(X) == y).all()
    # Novikoff: mistakes <= (R / gamma)^2 with the bias as a constant input; the true line has margin >= 0.05
    # in (x, 1) space its normal (n, -offset) has norm <= sqrt(1 + 0.2^2)
    R2 = (X.pow(2).sum(1) + 1).max().item()
    assert result.total_mistakes <= R2 * (1 + 0.04) / margin**2


def test_perceptron_never_solves_xor():
    X, y = make_xor(D)
    p = Perceptron(2, dtype=D)
    result = train_perceptron(p, X, y, max_epochs=200, record="update")
    assert not result.converged and all(m > 0 for m in result.mistakes)
    for w, b in result.snapshots:
        pred = torch.where((X @ w.T).squeeze(1) + b >= 0, 1.0, -1.0)
        assert (pred == y).sum() <= 3
    # and no line at all does it: a dense grid of weights gets at most 3 of 4 right
    grid = torch.linspace(-2, 2, 21, dtype=D)
    W = torch.cartesian_prod(grid, grid, grid)  # (w1, w2, b)
    pred = torch.where(X @ W[:, :2].T + W[:, 2] >= 0, 1.0, -1.0)  # (4, G)
    assert (pred == y[:, None]).sum(0).max() == 3


def test_perceptron_update_rule():
    w = torch.tensor([[1.0, -1.0]], dtype=D)
    b = torch.tensor([0.0], dtype=D)
    x = torch.tensor([1.0, 2.0], dtype=D)
    w2, b2 = perceptron_update(w, b, x, 1, lr=0.5)  # score -1 -> mistake
    torch.testing.assert_close(w2, torch.tensor([[1.5, 0.0]], dtype=D))
    torch.testing.assert_close(b2, torch.tensor([0.5], dtype=D))
    w3, b3 = perceptron_update(w, b, x, -1, lr=0.5)  # correct -> unchanged
    torch.testing.assert_close(w3, w)
    torch.testing.assert_close(b3, b)
    assert w.tolist() == [[1.0, -1.0]]  # inputs untouched


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 12), d=st.integers(1, 6), lr=st.floats(1e-3, 1.0), seed=st.integers(0, 10_000))
def test_delta_rule_equals_sgd_on_half_mse(n, d, lr, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=D)
    y = torch.randn(n, generator=g, dtype=D)
    lin = nn.Linear(d, 1).double()
    w0, b0 = lin.weight.detach().clone(), lin.bias.detach().clone()
    opt = torch.optim.SGD(lin.parameters(), lr=lr)
    loss = 0.5 * nn.functional.mse_loss(lin(x).squeeze(1), y)
    loss.backward()
    # the delta-rule error term is minus the gradient of 0.5*MSE
    err = y - (x @ w0.T).squeeze(1) - b0
    torch.testing.assert_close(-(err @ x).unsqueeze(0) / n, lin.weight.grad)
    opt.step()
    w1, b1 = delta_rule_update(w0, b0, x, y, lr)
    torch.testing.assert_close(w1, lin.weight.detach())
    torch.testing.assert_close(b1, lin.bias.detach())


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 30), d=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_perceptron_property_random_shapes(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=D)
    w_true = torch.randn(d, generator=g, dtype=D)
    y = torch.where(X @ w_true >= 0, 1.0, -1.0).to(D)
    p = Perceptron(d, dtype=D)
    out = p(X)
    assert out.shape == (n,) and out.dtype == D
    result = train_perceptron(p, X, y, max_epochs=5)
    # replaying the rule by hand from zero reproduces the trained weights
    w, b = torch.zeros(1, d, dtype=D), torch.zeros(1, dtype=D)
    for _ in range(result.epochs):
        for i in range(n):
            w, b = perceptron_update(w, b, X[i], y[i].item())
    torch.testing.assert_close(w, p.weight.detach())
    torch.testing.assert_close(b, p.bias.detach())


def test_adaline_learns_separable_data():
    X, y = make_separable(100, margin=0.1, seed=1, dtype=D)
    model = Adaline(2, dtype=D)
    losses = train_adaline(model, X, y, lr=0.05, epochs=30, generator=torch.Generator().manual_seed(0))
    assert losses[-1] < losses[0]
    assert (model.predict(X) == y).double().mean() > 0.95


def test_toy_data_deterministic_and_labels():
    a, b = make_separable(50, seed=3), make_separable(50, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert set(a[1].tolist()) == {-1.0, 1.0}
    X, y = make_xor_blobs(40, seed=0, labels="01")
    assert X.shape == (40, 2) and y.dtype == torch.int64 and set(y.tolist()) == {0, 1}
    with pytest.raises(ValueError, match="labels"):
        make_xor(labels="bad")


def test_bad_inputs_raise_clear_errors():
    p = Perceptron(2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        p(torch.zeros(3, 3))
    with pytest.raises(TypeError, match="floating"):
        p(torch.zeros(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        train_perceptron(p, torch.zeros(3, 2), torch.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        train_perceptron(p, torch.zeros(3, 2), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="in_features"):
        Perceptron(0)
    w, b = torch.zeros(1, 2), torch.zeros(1)
    with pytest.raises(ValueError, match="x must be"):
        perceptron_update(w, b, torch.zeros(3), 1)
    with pytest.raises(ValueError, match="-1 or \\+1"):
        perceptron_update(w, b, torch.zeros(2), 0)
    with pytest.raises(ValueError, match="weight must have shape"):
        perceptron_update(torch.zeros(2), b, torch.zeros(2), 1)
    with pytest.raises(TypeError, match="dtype"):
        delta_rule_update(w, b.double(), torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(ValueError, match=r"y must be"):
        delta_rule_update(w, b, torch.zeros(4, 2), torch.zeros(3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        McCullochPitts([1.0, 1.0], 2)([[0.0, 1.0]])


def test_train_adaline_full_batch_is_exactly_repeated_delta_rule_steps():
    X, y = make_separable(40, margin=0.1, seed=2, dtype=D)
    model = Adaline(2, dtype=D)
    losses = train_adaline(model, X, y, lr=0.1, epochs=5, batch_size=40)
    w, b = torch.zeros(1, 2, dtype=D), torch.zeros(1, dtype=D)
    for epoch in range(5):
        w, b = delta_rule_update(w, b, X, y, 0.1)       # the order of a full batch does not matter
        expected = 0.5 * ((y - ((X @ w.T).squeeze(1) + b)) ** 2).mean().item()
        assert losses[epoch] == pytest.approx(expected, rel=1e-12)
    torch.testing.assert_close(model.weight.detach(), w)
    torch.testing.assert_close(model.bias.detach(), b)
