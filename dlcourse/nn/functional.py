"""Functional forms, mirroring ``torch.nn.functional``: re-exported from the concept modules."""

__all__: list[str] = []

from .conv import conv2d  # noqa: E402
from .pooling import avg_pool2d, max_pool2d  # noqa: E402

__all__ += ["conv2d", "max_pool2d", "avg_pool2d"]

from .attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["scaled_dot_product_attention"]
from .normalization import layer_norm  # noqa: E402

__all__ += ["layer_norm"]
from .batchnorm import batch_norm  # noqa: E402
from .dropout import dropout  # noqa: E402

__all__ += ["batch_norm", "dropout"]
