"""From-scratch optimizers and learning-rate schedules that mirror ``torch.optim`` (book: Chapter 6).

``dlcourse.optim.Adam(model.parameters(), lr=1e-3)`` takes the same arguments as ``torch.optim.Adam``, keeps the
same state under the same names, follows the same trajectory and exchanges ``state_dict``s with it.
"""
from . import lr_scheduler  # noqa: F401
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
