"""LeNet (1989) adapted to 8x8 digits, and a deeper AlexNet-flavoured ConvNet for ablations (book: Chapter 4,
"LeNet" and "AlexNet's ingredients").

LeCun et al. (1989) read 16x16 zip-code digits with two layers of 5x5 shared-weight feature maps, then a small
fully-connected layer, all trained by backpropagation with tanh-like units. The 8x8 digits are a quarter of the
size, so the adapted network uses 3x3 filters, padding 1, and 2x2 pooling (LeCun's 1989 net subsampled by a stride
of 2; pooling came with LeNet-5)::

    (N, 1, 8, 8) -conv3x3-> (N, c1, 8, 8) -pool-> (N, c1, 4, 4) -conv3x3-> (N, c2, 4, 4) -pool-> (N, c2, 2, 2)
                 -flatten-> (N, 4 c2) -linear-> (N, hidden) -linear-> (N, 10)

Every model takes ``conv=`` (``dlcourse.nn.Conv2d`` or ``torch.nn.Conv2d``): the state dicts are the same, so a
network trained with torch's fast layer loads into ours.
"""
from __future__ import annotations

import torch
from torch import nn

from ..nn.activation import activation_module
from ..nn.conv import Conv2d
from ..nn.init import init_weights
from ..nn.separable import DepthwiseSeparableConv2d

__all__ = ["LeNet", "DigitsConvNet", "SeparableConvNet", "activation", "train_digits"]


def activation(name: str) -> nn.Module:
    """``"tanh"`` or ``"relu"`` as a module."""
    if name not in ("tanh", "relu"):
        raise ValueError(f"activation must be one of ['relu', 'tanh'], got {name!r}")
    return activation_module(name)


def _init(model: nn.Module, act: str) -> None:
    """He (Kaiming) initialisation for ReLU networks, Glorot (Xavier) for tanh ones, zero biases (Chapter 6
    explains why); without it a four-layer ReLU net barely moves in its first epochs."""
    init_weights(model, "he" if act == "relu" else "xavier", distribution="uniform", nonlinearity=act)


class LeNet(nn.Module):
    """LeNet adapted to (N, 1, 8, 8) digits; returns (N, 10) logits.

    Submodules: ``conv1``, ``conv2`` (convolutions), ``fc1``, ``fc2`` (linear); ``features(x)`` returns the
    feature maps after each convolution (for plotting).

    Args:
        channels: (c1, c2) feature maps in the two convolutional layers.
        hidden: units of the fully-connected layer.
        act: ``"tanh"`` (as in 1989) or ``"relu"``.
        conv: layer class for the convolutions; ``use_torch=True`` is a shortcut for ``torch.nn.Conv2d``.
        image_size: side of the square input (8 for the digits, 28 for MNIST); the classifier adapts.
    """

    def __init__(self, channels: tuple[int, int] = (6, 16), hidden: int = 32, act: str = "tanh",
                 conv: type[nn.Module] | None = None, use_torch: bool = False, image_size: int = 8):
        super().__init__()
        conv = conv or (nn.Conv2d if use_torch else Conv2d)
        c1, c2 = channels
        self.conv1 = conv(1, c1, 3, padding=1)
        self.conv2 = conv(c1, c2, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.act = activation(act)
        side = image_size // 4
        self.fc1 = nn.Linear(c2 * side * side, hidden)
        self.fc2 = nn.Linear(hidden, 10)
        _init(self, act)

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Feature maps after conv1+act (N, c1, 8, 8) and conv2+act (N, c2, 4, 4)."""
        h1 = self.act(self.conv1(x))
        h2 = self.act(self.conv2(self.pool(h1)))
        return h1, h2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h2 = self.features(x)
        h = self.pool(h2).flatten(1)
        return self.fc2(self.act(self.fc1(h)))


class DigitsConvNet(nn.Module):
    """A deeper ConvNet for the AlexNet ablations: two conv-conv-pool blocks, dropout, two linear layers.

    (N, 1, 8, 8) -> [conv3x3 c, act, conv3x3 c, act, pool] -> (N, c, 4, 4)
                 -> [conv3x3 2c, act, conv3x3 2c, act, pool] -> (N, 2c, 2, 2) -> dropout -> linear hidden -> act
                 -> dropout -> linear 10.

    Args:
        act: ``"relu"`` (AlexNet) or ``"tanh"``.
        dropout: probability of dropping a unit before each linear layer (AlexNet used 0.5).
        width: ``c``, channels of the first block.
        conv: layer class for the convolutions.
    """

    def __init__(self, act: str = "relu", dropout: float = 0.0, width: int = 16, hidden: int = 64,
                 conv: type[nn.Module] = nn.Conv2d):
        super().__init__()
        c = width

        def block(cin, cout):
            return [conv(cin, cout, 3, padding=1), activation(act), conv(cout, cout, 3, padding=1), activation(act),
                    nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(1, c), *block(c, 2 * c))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * c * 4, hidden),
                                        activation(act), nn.Dropout(dropout), nn.Linear(hidden, 10))
        _init(self, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class SeparableConvNet(nn.Module):
    """:class:`DigitsConvNet` with the 3x3 convolutions after the first replaced by depthwise separable ones
    (the first layer sees one channel, where separating buys nothing, as in MobileNets)."""

    def __init__(self, act: str = "relu", width: int = 16, hidden: int = 64, conv: type[nn.Module] = nn.Conv2d):
        super().__init__()
        c = width

        def sep(cin, cout):
            return DepthwiseSeparableConv2d(cin, cout, 3, padding=1, conv=conv)

        self.features = nn.Sequential(
            conv(1, c, 3, padding=1), activation(act), sep(c, c), activation(act), nn.MaxPool2d(2),
            sep(c, 2 * c), activation(act), sep(2 * c, 2 * c), activation(act), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * c * 4, hidden), activation(act),
                                        nn.Linear(hidden, 10))
        _init(self, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def train_digits(model: nn.Module, data, *, epochs: int = 15, lr: float = 5e-3, batch_size: int = 64,
                 augment: int = 0, seed: int = 0, device=None, progress: bool = False):
    """Train ``model`` on the digits (a :class:`dlcourse.data.digits.Digits`) with Adam and a cosine learning
    rate, the recipe every experiment of Chapter 4 shares; returns the :class:`dlcourse.training.History`.

    Args:
        augment: if > 0, every epoch sees the training images shifted by up to ``augment`` pixels.
    """
    from ..data.augment import shift_collate
    from ..seeding import seed_everything
    from ..training import accuracy, fit

    seed_everything(seed)
    train = (data.X_train, data.y_train)
    if augment:
        train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data.X_train, data.y_train),
                                            batch_size=batch_size, shuffle=True, collate_fn=shift_collate(augment))
    steps = epochs * -(-len(data.X_train) // batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    return fit(model, train, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, epochs=epochs,
               batch_size=batch_size, valid=(data.X_test, data.y_test), metrics={"accuracy": accuracy},
               scheduler=scheduler, device=device, progress=progress)
