"""From-scratch building blocks that mirror ``torch.nn`` (names, arguments, parameter names and shapes).

Each concept lives in its own module; this file only re-exports the public classes, so that
``dlcourse.nn.Conv2d`` reads like ``torch.nn.Conv2d``. Add one import line per module.
"""
from . import functional, utils  # noqa: F401
from .attention import AdditiveAttention, MultiheadAttention
from .conv import Conv2d, col2im, conv2d, conv2d_loop, im2col
from .embedding import Embedding
from .perceptron import Adaline, McCullochPitts, Perceptron
from .pooling import AvgPool2d, MaxPool2d, avg_pool2d, max_pool2d
from .positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .separable import DepthwiseSeparableConv2d
from .transformer import TransformerDecoderLayer, TransformerEncoderLayer

__all__: list[str] = []
__all__ += ["Adaline", "McCullochPitts", "Perceptron"]
__all__ += ["Conv2d", "conv2d", "conv2d_loop", "im2col", "col2im", "MaxPool2d", "AvgPool2d", "max_pool2d",
            "avg_pool2d", "DepthwiseSeparableConv2d"]
__all__ += ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Embedding"]
__all__ += ["MultiheadAttention", "AdditiveAttention", "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding",
            "TransformerEncoderLayer", "TransformerDecoderLayer"]
from .normalization import LayerNorm  # noqa: E402

__all__ += ["LayerNorm"]
from . import init  # noqa: E402,F401
from .batchnorm import BatchNorm1d, BatchNorm2d  # noqa: E402
from .dropout import Dropout  # noqa: E402
from .lora import LoRALinear, add_lora, count_trainable  # noqa: E402

__all__ += ["init", "BatchNorm1d", "BatchNorm2d", "Dropout", "LoRALinear", "add_lora", "count_trainable"]
