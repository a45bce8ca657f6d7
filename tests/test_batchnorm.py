"""dlcourse.nn.BatchNorm1d/2d against torch in float64: training and eval, running statistics, momentum=None,
affine, track_running_stats, several steps."""
import itertools

import pytest
import torch

from dlcourse.nn import BatchNorm1d, BatchNorm2d
from dlcourse.testing import assert_close_named, assert_matches_torch

DT = torch.float64
OPTIONS = list(itertools.product([0.1, None], [True, False], [True, False]))


@pytest.mark.parametrize(("cls", "shape"), [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (5, 3, 4)),
                                            ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize(("momentum", "affine", "track"), OPTIONS)
def test_train_then_eval_matches_torch(cls, shape, momentum, affine, track):
    import dlcourse.nn

    ours = getattr(dlcourse.nn, cls)(3, momentum=momentum, affine=affine, track_running_stats=track, dtype=DT)
    theirs = getattr(torch.nn, cls)(3, momentum=momentum, affine=affine, track_running_stats=track, dtype=DT)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if affine:
        with torch.no_grad():
            theirs.weight.normal_()
            theirs.bias.normal_()
        ours.load_state_dict(theirs.state_dict())
    g = torch.Generator().manual_seed(0)
    for step in range(4):   # several training batches: the running statistics accumulate
        x = torch.randn(*shape, dtype=DT, generator=g) * (step + 1) + step
        assert_matches_torch(ours, theirs, x)
        for name, buf in theirs.named_buffers():
            assert_close_named(f"buffer {name} after batch {step}", getattr(ours, name), buf)
    ours.eval()
    theirs.eval()
    assert_matches_torch(ours, theirs, torch.randn(*shape, dtype=DT, generator=g))
    for name, buf in theirs.named_buffers():
        assert_close_named(f"buffer {name} after eval", getattr(ours, name), buf)


def test_eval_is_per_example_and_batch_of_one():
    bn = BatchNorm1d(4)
    for _ in range(20):
        bn(torch.randn(32, 4) * 2 + 3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(torch.randn(1, 4))
    bn.eval()
    x = torch.randn(8, 4) * 2 + 3
    one = bn(x[:1])
    torch.testing.assert_close(one, bn(x)[:1])        # eval: an example's output does not depend on the batch
    assert (bn.running_mean - 3).abs().max() < 0.6


def test_errors_and_repr():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        BatchNorm2d(3)(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        BatchNorm1d(3)(torch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="got 5 channels"):
        BatchNorm1d(3)(torch.randn(2, 5))
    assert repr(BatchNorm2d(3, bias=False)) == repr(torch.nn.BatchNorm2d(3, bias=False))
    assert repr(BatchNorm1d(3, momentum=None, affine=False)) == repr(torch.nn.BatchNorm1d(3, momentum=None,
                                                                                          affine=False))
