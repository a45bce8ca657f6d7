"""Chapter 8, contrastive learning: NT-Xent against a reference written with torch ops (forward and gradients,
property-tested over sizes), its errors, the random views, the SimCLR model and the label-subset helper."""
import dataclasses

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.data.views import random_views
from dlcourse.experiments import simclr
from dlcourse.experiments.simclr import labelled_subset, linear_probe
from dlcourse.models import SimCLR
from dlcourse.nn import NTXentLoss
from dlcourse.nn.functional import nt_xent
from dlcourse.testing import assert_matches_torch


def nt_xent_reference(z1, z2, temperature=0.5):
    """The loss exactly as SimCLR's paper writes it: a loop over the 2N views, torch ops only."""
    z = torch.cat([z1, z2])
    z = z / z.norm(dim=1, keepdim=True)
    n2 = len(z)
    losses = []
    for i in range(n2):
        j = (i + n2 // 2) % n2
        sims = torch.stack([torch.dot(z[i], z[k]) / temperature for k in range(n2) if k != i])
        positive = torch.dot(z[i], z[j]) / temperature
        losses.append(-(positive - torch.logsumexp(sims, dim=0)))
    return torch.stack(losses).mean()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 6), d=st.integers(1, 5), temperature=st.sampled_from([0.1, 0.5, 1.0]),
       seed=st.integers(0, 1000))
def test_nt_xent_matches_reference(n, d, temperature, seed):
    g = torch.Generator().manual_seed(seed)
    z1, z2 = torch.randn(n, d, dtype=torch.float64, generator=g), torch.randn(n, d, dtype=torch.float64, generator=g)
    assert_matches_torch(nt_xent, nt_xent_reference, z1, z2, kwargs={"temperature": temperature},
                         rtol=1e-6, atol=1e-9)


def test_nt_xent_values_and_errors():
    z = torch.eye(4, dtype=torch.float64)
    # identical views, orthogonal images: the positive has similarity 1, the 6 others 0
    expected = -torch.log(torch.exp(torch.tensor(2.0)) / (torch.exp(torch.tensor(2.0)) + 6)).double()
    torch.testing.assert_close(nt_xent(z, z, 0.5), expected)
    torch.testing.assert_close(NTXentLoss(0.5)(z, z), expected)
    assert nt_xent(z, z, 0.1) < nt_xent(z, z, 1.0)          # sharper softmax, smaller loss on a perfect match
    with pytest.raises(ValueError, match="same shape"):
        nt_xent(torch.randn(3, 2), torch.randn(4, 2))
    with pytest.raises(ValueError, match="N >= 2"):
        nt_xent(torch.randn(1, 2), torch.randn(1, 2))
    with pytest.raises(ValueError, match="temperature"):
        NTXentLoss(0.0)


def test_random_views_change_the_image_but_keep_its_shape():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 1, 8, 8, generator=g)
    v1, v2 = random_views(x, g), random_views(x, g)
    assert v1.shape == x.shape and not torch.allclose(v1, v2)
    assert v1.min() >= 0 and v1.max() <= 1
    same = random_views(x, g, max_degrees=0, scale=(1, 1), max_shift=0, erase=0, contrast=(1, 1))
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_views(torch.rand(8, 8))


def test_simclr_model_and_label_subsets():
    h, z = SimCLR(channels=4, proj_dim=6)(torch.rand(3, 1, 8, 8))
    assert h.shape == (3, 16) and z.shape == (3, 6)
    y = torch.arange(10).repeat(5)
    idx = labelled_subset(y, 2, seed=0)
    assert len(idx) == 20 and torch.bincount(y[idx]).tolist() == [2] * 10
    assert not torch.equal(idx, labelled_subset(y, 2, seed=1))
    f = torch.nn.functional.one_hot(y, 10).double().numpy()
    assert linear_probe(f, y, f, y) == 1.0


def test_short_pretraining_run():
    torch.set_num_threads(1)
    x = torch.rand(40, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    cfg = dataclasses.replace(simclr.QUICK, steps=5, batch_size=16, channels=4, proj_dim=4)
    model, losses = simclr.pretrain(x, cfg, progress=False)
    assert len(losses) == 5 and all(0 < v < 10 for v in losses) and not model.training
    with pytest.raises(ValueError, match="batch_size"):
        simclr.pretrain(x[:3], cfg, progress=False)
