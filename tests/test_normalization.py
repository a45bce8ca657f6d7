"""dlcourse.nn.LayerNorm against torch.nn.LayerNorm in float64, forward and backward."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn import LayerNorm
from dlcourse.testing import assert_matches_torch

DT = torch.float64


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(1, 2), st.booleans(), st.booleans(),
       st.sampled_from([1e-5, 1e-2]))
def test_layer_norm_matches_torch(lead, n_norm, affine, bias, eps):
    shape = [2, *lead]
    normalized = shape[-n_norm:] if n_norm <= len(shape) else shape
    ours = LayerNorm(normalized, eps=eps, elementwise_affine=affine, bias=bias, dtype=DT)
    theirs = torch.nn.LayerNorm(normalized, eps=eps, elementwise_affine=affine, bias=bias, dtype=DT)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    if affine:
        with torch.no_grad():
            for p in theirs.parameters():
                p.normal_()
        ours.load_state_dict(theirs.state_dict())
    x = torch.randn(*shape, dtype=DT) * 3 + 1
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        assert_matches_torch(ours, theirs, x)


def test_int_shape_repr_and_errors():
    ln = LayerNorm(5)
    assert ln.normalized_shape == (5,) and ln.weight.shape == (5,) and repr(ln) == repr(torch.nn.LayerNorm(5))
    assert LayerNorm(5, elementwise_affine=False).weight is None
    with pytest.raises(ValueError, match=r"must end with normalized_shape \[5\]"):
        ln(torch.randn(3, 4))
    out = ln(torch.randn(7, 5) * 10 + 3)
    assert out.mean(-1).abs().max() < 1e-5 and (out.var(-1, unbiased=False) - 1).abs().max() < 1e-3
