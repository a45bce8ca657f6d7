"""Functional forms, mirroring ``torch.nn.functional``: the one public home of every function form; each is
defined in its concept module and re-exported here. Append one import line per module."""

__all__: list[str] = []

from .activation import relu, sigmoid  # noqa: E402
from .attention import scaled_dot_product_attention  # noqa: E402
from .batchnorm import batch_norm  # noqa: E402
from .contrastive import nt_xent  # noqa: E402
from .conv import col2im, conv2d, conv2d_loop, im2col  # noqa: E402
from .dropout import dropout  # noqa: E402
from .normalization import layer_norm  # noqa: E402
from .pooling import avg_pool2d, max_pool2d  # noqa: E402

__all__ += ["sigmoid", "relu"]
__all__ += ["conv2d", "conv2d_loop", "im2col", "col2im"]
__all__ += ["max_pool2d", "avg_pool2d"]
__all__ += ["batch_norm", "layer_norm", "dropout"]
__all__ += ["nt_xent"]
__all__ += ["scaled_dot_product_attention"]
