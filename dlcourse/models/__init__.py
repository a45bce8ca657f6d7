"""Whole networks built from ``dlcourse.nn`` or ``torch.nn`` layers. Add one import line per module."""
from .lenet import DigitsConvNet, LeNet, SeparableConvNet, train_digits
from .seq2seq import Decoder, Encoder, Seq2Seq, make_seq2seq
from .transformer import GPT, GPTConfig, KVCache, lm_loss

__all__: list[str] = []
__all__ += ["LeNet", "DigitsConvNet", "SeparableConvNet", "train_digits"]
__all__ += ["Encoder", "Decoder", "Seq2Seq", "make_seq2seq"]
__all__ += ["GPT", "GPTConfig", "KVCache", "lm_loss"]
from .resnet import BasicBlock, DeepMLP, ResidualMLPBlock  # noqa: E402

__all__ += ["BasicBlock", "ResidualMLPBlock", "DeepMLP"]
