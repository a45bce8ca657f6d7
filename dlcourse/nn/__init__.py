"""From-scratch building blocks that mirror ``torch.nn`` (names, arguments, parameter names and shapes).

Each concept lives in its own module; this file only re-exports the public classes, so that
``dlcourse.nn.Conv2d`` reads like ``torch.nn.Conv2d``. Add one import line per module. Functional forms
(``conv2d``, ``max_pool2d``, ...) are public only in ``dlcourse.nn.functional``, as in torch.
"""
from . import functional, init, utils  # noqa: F401
from .attention import AdditiveAttention, MultiheadAttention
from .batchnorm import BatchNorm1d, BatchNorm2d
from .contrastive import NTXentLoss
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .lora import LoRALinear
from .normalization import LayerNorm
from .perceptron import Adaline, McCullochPitts, Perceptron
from .pooling import AvgPool2d, MaxPool2d
from .positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .separable import DepthwiseSeparableConv2d
from .transformer import TransformerDecoderLayer, TransformerEncoderLayer

__all__: list[str] = []
__all__ += ["Adaline", "McCullochPitts", "Perceptron"]
__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "DepthwiseSeparableConv2d"]
__all__ += ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Embedding"]
__all__ += ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout", "LoRALinear"]
__all__ += ["NTXentLoss"]
__all__ += ["MultiheadAttention", "AdditiveAttention", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding",
            "TransformerEncoderLayer", "TransformerDecoderLayer"]
