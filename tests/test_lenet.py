"""LeNet and the Chapter 4 models: shapes, torch/ours interchangeability, a short training run, augmentation,
depthwise separable cost formulas, and the full-MNIST path on small IDX files."""
import numpy as np
import pytest
import torch

from dlcourse.data.augment import random_shifts, shift_images
from dlcourse.data.digits import Digits, load_digits
from dlcourse.data.idx import MNIST_FILES, load_mnist, write_idx
from dlcourse.models import DigitsConvNet, LeNet, SeparableConvNet, train_digits
from dlcourse.nn import DepthwiseSeparableConv2d
from dlcourse.nn.separable import conv2d_macs, conv2d_params, count_parameters
from dlcourse.runtime import threads


def test_lenet_ours_and_torch_share_weights_and_outputs():
    torch.manual_seed(0)
    ref = LeNet(use_torch=True).double()
    ours = LeNet().double()
    ours.load_state_dict(ref.state_dict())
    x = torch.rand(5, 1, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(ours(x), ref(x))
    assert ours(x).shape == (5, 10)
    h1, h2 = ours.features(x)
    assert h1.shape == (5, 6, 8, 8) and h2.shape == (5, 16, 4, 4)


@pytest.fixture
def one_thread():
    """One CPU thread for a tiny network, restored afterwards so no later test inherits it."""
    before = torch.get_num_threads()
    with threads(1):
        yield
    assert torch.get_num_threads() == before


def test_lenet_learns_digits_quickly(one_thread):
    assert torch.get_num_threads() == 1
    digits = load_digits()
    small = Digits(digits.X_train[:600], digits.y_train[:600], digits.X_test, digits.y_test)
    model = LeNet(channels=(8, 16), use_torch=True)
    history = train_digits(model, small, epochs=6, lr=1e-2, device="cpu")
    assert history.last["valid_accuracy"] > 0.85, history.last


@pytest.mark.parametrize("net", [DigitsConvNet(), DigitsConvNet("tanh", dropout=0.5), SeparableConvNet()])
def test_models_shapes(net):
    assert net(torch.rand(3, 1, 8, 8)).shape == (3, 10)


def test_shift_images():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    y = shift_images(x, 1, -1)
    torch.testing.assert_close(y[0, 0, 1:, :3], x[0, 0, :3, 1:])
    assert (y[0, 0, 0] == 0).all() and (y[0, 0, :, 3] == 0).all()
    torch.testing.assert_close(shift_images(x, 0, 0), x)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        shift_images(torch.rand(4, 4), 1, 1)


def test_random_shifts_moves_each_image_by_at_most_max_shift():
    x = torch.zeros(200, 1, 8, 8)
    x[:, 0, 3, 4] = 1.0                                  # one bright pixel per image, away from the border
    z = random_shifts(x, 2, generator=torch.Generator().manual_seed(0))
    assert z.shape == x.shape
    assert torch.equal(z.sum(dim=(1, 2, 3)), torch.ones(200))   # the pixel never falls off a 2-pixel shift
    pos = z[:, 0].reshape(200, -1).argmax(dim=1)
    dy, dx = pos // 8 - 3, pos % 8 - 4
    assert dy.abs().max() == 2 and dx.abs().max() == 2         # every shift in [-2, 2], the extremes reached
    assert len(set(zip(dy.tolist(), dx.tolist()))) == 25       # all 5 x 5 shifts occur in 200 draws
    assert (dy == 0).float().mean() < 0.5                       # most images really move
    again = random_shifts(x, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(z, again)                                # the generator makes it repeatable
    torch.testing.assert_close(random_shifts(x, 0), x)          # max_shift 0: unchanged


def test_separable_formulas_match_modules():
    for cin, cout, k in [(32, 64, 3), (8, 8, 5), (3, 16, 1)]:
        sep = DepthwiseSeparableConv2d(cin, cout, k, padding=k // 2)
        std = torch.nn.Conv2d(cin, cout, k, padding=k // 2)
        assert count_parameters(sep) == DepthwiseSeparableConv2d.params(cin, cout, k)
        assert count_parameters(std) == conv2d_params(cin, cout, k)
        x = torch.rand(1, cin, 10, 10)
        assert sep(x).shape == std(x).shape
    assert conv2d_macs(32, 64, 3, (16, 16), padding=1) == 16 * 16 * 64 * 32 * 9
    assert DepthwiseSeparableConv2d.macs(32, 64, 3, (16, 16), padding=1) == 16 * 16 * (32 * 9 + 32 * 64)


def test_lenet_runs_on_mnist_from_idx(tmp_path):
    rng = np.random.default_rng(0)
    for key, stem in MNIST_FILES.items():
        n = 20 if key.startswith("train") else 10
        array = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) if key.endswith("images") else \
            rng.integers(0, 10, n).astype(np.uint8)
        write_idx(tmp_path / (stem + ".gz"), array)
    mnist = Digits(*load_mnist(tmp_path))
    assert mnist.X_train.shape == (20, 1, 28, 28) and mnist.X_test.shape == (10, 1, 28, 28)
    model = LeNet(image_size=28, use_torch=True)
    assert model(mnist.X_test).shape == (10, 10)
    history = train_digits(model, mnist, epochs=1, batch_size=8, device="cpu")
    assert np.isfinite(history.last["train_loss"])
