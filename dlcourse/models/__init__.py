"""Whole networks built from ``dlcourse.nn`` or ``torch.nn`` layers. Add one import line per module."""
from .dqn import QNetwork
from .gan import Discriminator, Generator
from .lenet import DigitsConvNet, LeNet, SeparableConvNet, train_digits
from .simclr import DigitEncoder, SimCLR
from .vae import VAE

__all__: list[str] = []
__all__ += ["LeNet", "DigitsConvNet", "SeparableConvNet", "train_digits"]
__all__ += ["QNetwork", "Generator", "Discriminator", "VAE", "DigitEncoder", "SimCLR"]
