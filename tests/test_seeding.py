"""dlcourse.seeding: one call makes python, numpy and torch repeatable."""
import random

import numpy as np
import pytest
import torch

from dlcourse import seed_everything


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_same_seed_same_numbers():
    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first


def test_returns_a_seeded_generator():
    a = torch.rand(3, generator=seed_everything(7))
    b = torch.rand(3, generator=seed_everything(7))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                        ("0", TypeError), (True, TypeError)])
def test_bad_seed(bad, error):
    with pytest.raises(error, match="seed must"):
        seed_everything(bad)
