"""Whole networks built from ``dlcourse.nn`` or ``torch.nn`` layers. Add one import line per module."""
from .lenet import DigitsConvNet, LeNet, SeparableConvNet, train_digits

__all__: list[str] = []
__all__ += ["LeNet", "DigitsConvNet", "SeparableConvNet", "train_digits"]
from .resnet import BasicBlock, DeepMLP, ResidualMLPBlock  # noqa: E402

__all__ += ["BasicBlock", "ResidualMLPBlock", "DeepMLP"]
