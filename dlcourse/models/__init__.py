"""Whole networks built from ``dlcourse.nn`` or ``torch.nn`` layers. Add one import line per module."""
from .dqn import QNetwork
from .gan import Discriminator, Generator
from .gmdh import GMDH, GMDHLayer
from .lenet import DigitsConvNet, LeNet, SeparableConvNet, train_digits
from .mlp import MLP
from .resnet import BasicBlock, DeepMLP, ResidualMLPBlock
from .seq2seq import Decoder, Encoder, Seq2Seq, make_seq2seq
from .simclr import DigitEncoder, SimCLR
from .transformer import GPT, GPTConfig, KVCache, lm_loss
from .vae import VAE

__all__: list[str] = []
__all__ += ["GMDH", "GMDHLayer"]
__all__ += ["LeNet", "DigitsConvNet", "SeparableConvNet", "train_digits"]
__all__ += ["MLP"]
__all__ += ["Encoder", "Decoder", "Seq2Seq", "make_seq2seq"]
__all__ += ["BasicBlock", "ResidualMLPBlock", "DeepMLP"]
__all__ += ["QNetwork", "Generator", "Discriminator", "VAE", "DigitEncoder", "SimCLR"]
__all__ += ["GPT", "GPTConfig", "KVCache", "lm_loss"]
