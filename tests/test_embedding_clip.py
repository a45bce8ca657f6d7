"""dlcourse.nn.Embedding and dlcourse.nn.utils.clip_grad_* against torch in float64."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import dlcourse.nn as dn
from dlcourse.nn.utils import clip_grad_norm_, clip_grad_value_
from dlcourse.testing import assert_matches_torch


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"max_norm": 1.0}])
def test_embedding_matches_torch(kwargs):
    torch.manual_seed(0)
    theirs = nn.Embedding(6, 3, **kwargs).double()
    ours = dn.Embedding(6, 3, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    ids = torch.tensor([[0, 2, 5, 2], [5, 5, 1, 0]])
    assert_matches_torch(ours, theirs, ids)
    torch.testing.assert_close(ours.weight, theirs.weight)              # max_norm renormalised the same rows


def test_embedding_errors():
    emb = dn.Embedding(4, 2)
    with pytest.raises(TypeError, match="integer ids"):
        emb(torch.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="id 4 is out of range.*num_embeddings=4"):
        emb(torch.tensor([1, 4]))
    with pytest.raises(ValueError, match="sparse"):
        dn.Embedding(4, 2, sparse=True)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3), max_norm=st.floats(0.01, 10.0),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, float("inf")]), seed=st.integers(0, 100))
def test_clip_grad_norm_matches_torch(sizes, max_norm, norm_type, seed):
    g = torch.Generator().manual_seed(seed)
    ours = [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in sizes]
    theirs = [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in sizes]
    for a, b in zip(ours, theirs):
        a.grad = torch.randn(a.shape, generator=g, dtype=torch.float64) * 3
        b.grad = a.grad.clone()
    total_ours = clip_grad_norm_(ours, max_norm, norm_type)
    total_theirs = nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    torch.testing.assert_close(total_ours, total_theirs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.grad, b.grad)


def test_clip_grad_value_and_nonfinite():
    a = torch.zeros(5, requires_grad=True)
    a.grad = torch.tensor([-3.0, -0.5, 0.0, 0.7, 9.0])
    b = a.detach().clone().requires_grad_()
    b.grad = a.grad.clone()
    clip_grad_value_(a, 0.6)
    nn.utils.clip_grad_value_(b, 0.6)
    assert torch.equal(a.grad, b.grad) and a.grad.tolist()[0] == pytest.approx(-0.6)
    a.grad = torch.tensor([float("nan"), 1.0, 0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
