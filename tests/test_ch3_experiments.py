"""Quick checks of the Chapter 3 experiment helpers: descent, vanishing gradients, pre-training."""
import pytest
import torch

from dlcourse.experiments.descent import line_grad, line_loss, loss_surface, make_line_data, minibatch_descent
from dlcourse.experiments.pretraining import pretrain_autoencoders, stacked_classifier
from dlcourse.experiments.vanishing import layer_gradient_norms
from dlcourse.models import MLP

F64 = torch.float64


def test_line_grad_matches_autograd():
    x, y = make_line_data(20, generator=torch.Generator().manual_seed(0))
    theta = torch.tensor([0.3, -0.2], dtype=F64, requires_grad=True)
    line_loss(theta, x, y).backward()
    torch.testing.assert_close(line_grad(theta.detach(), x, y), theta.grad)


def test_all_three_descents_reduce_the_loss():
    g = torch.Generator().manual_seed(0)
    x, y = make_line_data(256, generator=g)
    theta0 = torch.tensor([-1.0, 3.0], dtype=F64)
    for bs, epochs in ((256, 200), (16, 8), (1, 2)):
        run = minibatch_descent(x, y, theta0, lr=0.05, batch_size=bs, epochs=epochs, generator=g)
        assert run.losses[-1] < 0.2 * run.losses[0], (bs, run.losses[0], run.losses[-1])
        assert run.examples[-1] == len(run.path[1:]) * bs
    W, B, L = loss_surface(x, y, (-1, 4), (-3, 3), resolution=7)
    assert L.shape == (7, 7)
    torch.testing.assert_close(L[3, 2], line_loss(torch.stack([W[3, 2], B[3, 2]]), x, y))
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_descent(x, y, theta0, lr=0.1, batch_size=0)


def test_sigmoid_gradients_vanish_relu_do_not():
    torch.manual_seed(0)
    X, y = torch.rand(64, 16), torch.randint(0, 4, (64,))
    sig = layer_gradient_norms(MLP(16, [32] * 8, 4, activation="sigmoid", init="xavier"), X, y)
    relu = layer_gradient_norms(MLP(16, [32] * 8, 4, activation="relu", init="he"), X, y)
    assert len(sig) == 9
    assert sig[0] < 1e-3 * sig[-1]
    assert relu[0] > 1e-2 * relu[-1]


def test_pretraining_shapes_and_reconstruction_improves():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(128, 12, generator=g)
    encs, errs = pretrain_autoencoders([12, 8, 6], X, epochs=2, generator=g, device="cpu")
    assert [e.weight.shape for e in encs] == [(8, 12), (6, 8)]
    assert len(errs) == 2 and all(0 < e < 1 for e in errs)
    model = stacked_classifier(encs, 3)
    assert model(X).shape == (128, 3)
    torch.testing.assert_close(model[0].weight, encs[0].weight)
    with pytest.raises(ValueError, match="shape"):
        pretrain_autoencoders([10, 4], X)


def test_reconstruction_errors_fall_with_training_and_beat_the_mean():
    """Data on a 3-dimensional manifold in 12 dimensions: a 12-8 autoencoder learns to reconstruct it."""
    g = torch.Generator().manual_seed(0)
    X = torch.sigmoid(torch.randn(256, 3, generator=g) @ (2 * torch.randn(3, 12, generator=g)))
    baseline = ((X - X.mean(0)) ** 2).mean().item()          # the error of always answering the mean row
    errs = {}
    for epochs in (1, 30):
        torch.manual_seed(0)
        _, errs[epochs] = pretrain_autoencoders([12, 8], X, epochs=epochs, lr=1e-2, batch_size=32,
                                                generator=torch.Generator().manual_seed(1), device="cpu")
    assert errs[30][0] < 0.5 * errs[1][0], errs                 # training reduces the reconstruction error
    assert errs[30][0] < 0.25 * baseline, (errs, baseline)      # and beats the mean by far
