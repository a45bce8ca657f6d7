"""A worked answer to fake exercise 99.2 (tests/fake_exercises.py)."""


def accuracy(output, target):
    return (output.max(dim=1).indices == target).float().mean().item()
