"""dlcourse: the companion package of the course "Deep Learning, Rebuilt".

From-scratch implementations that mirror PyTorch's API (``dlcourse.nn``, ``dlcourse.optim``, ...), the data the
book uses (``dlcourse.data``), a small training loop (``dlcourse.training``), exercises and a grader
(``dlcourse.exercises``, ``dlcourse.grading``). Organised by concept; each module names its book section.
"""
from .device import get_device
from .runtime import setup
from .seeding import seed_everything

__version__ = "0.1.0"
__all__ = ["get_device", "seed_everything", "setup", "__version__"]
