"""From-scratch building blocks that mirror ``torch.nn`` (names, arguments, parameter names and shapes).

Each concept lives in its own module; this file only re-exports the public classes, so that
``dlcourse.nn.Conv2d`` reads like ``torch.nn.Conv2d``. Add one import line per module.
"""
from . import functional  # noqa: F401

__all__: list[str] = []
