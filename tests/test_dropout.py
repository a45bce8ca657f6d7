"""dlcourse.nn.Dropout: torch's semantics (eval identity, 1/(1-p) scaling, p = 0 and p = 1, keep rate)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn import Dropout
from dlcourse.nn.functional import dropout


@settings(max_examples=15, deadline=None)
@given(st.sampled_from([0.1, 0.3, 0.5, 0.8]), st.integers(0, 1000))
def test_keep_rate_and_scaling(p, seed):
    x = torch.ones(200_00, dtype=torch.float64)
    out = dropout(x, p, generator=torch.Generator().manual_seed(seed))
    kept = out != 0
    assert torch.all(out[kept] == 1 / (1 - p))                    # kept units are scaled by 1 / (1 - p)
    n = x.numel()
    sd = (p * (1 - p) / n) ** 0.5
    assert abs(kept.double().mean().item() - (1 - p)) < 5 * sd     # keep rate right in distribution
    assert abs(out.mean().item() - 1) < 5 * sd / (1 - p)          # expectation preserved


def test_edges_and_modes_match_torch():
    x = torch.randn(5, 7)
    for p in (0.0, 1.0, 0.4):
        ours, theirs = Dropout(p), torch.nn.Dropout(p)
        for m in (ours, theirs):
            m.eval()
        assert torch.equal(ours(x), theirs(x)) and torch.equal(ours(x), x)   # eval: the identity
        ours.train()
        theirs.train()
        if p in (0.0, 1.0):
            assert torch.equal(ours(x), theirs(x))
    assert torch.equal(Dropout(1.0)(x), torch.zeros_like(x))
    y = x.clone()
    Dropout(1.0, inplace=True)(y)
    assert torch.equal(y, torch.zeros_like(x))
    assert repr(Dropout(0.2)) == repr(torch.nn.Dropout(0.2))


def test_gradient_flows_through_kept_units_only():
    x = torch.ones(1000, requires_grad=True)
    out = Dropout(0.5)(x)
    out.sum().backward()
    assert torch.equal(x.grad, out.detach())


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_invalid_p(p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        Dropout(p)
