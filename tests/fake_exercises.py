"""Two small exercise masters (chapter 99) that the grading tests use, independent of the chapters' own."""
import torch

from dlcourse.exercises.spec import Case, Exercise, Mistake
from dlcourse.training import accuracy


def clipped_square(x, limit=1.0):
    """min(x**2, limit), elementwise."""
    return torch.clamp(x * x, max=limit)


def _cases():
    g = torch.Generator().manual_seed(0)
    return [Case(args=(torch.randn(5, generator=g, dtype=torch.float64),), note="5 values"),
            Case(args=(torch.randn(2, 3, generator=g, dtype=torch.float64), 0.5), note="a (2, 3) matrix, limit 0.5")]


def _acc_cases():
    g = torch.Generator().manual_seed(1)
    y = torch.randint(0, 3, (64,), generator=g)
    x = torch.randn(64, 3, generator=g) + 2 * torch.nn.functional.one_hot(y, 3)
    return [Case(args=(x, y), note="64 rows, 3 classes")]


EXERCISES = [
    Exercise(id="99.1", title="Clipped square", entry="clipped_square", reference=clipped_square, cases=_cases,
             statement="Return `min(x**2, limit)`.", section="fake-section",
             stub="def clipped_square(x, limit=1.0):\n    raise NotImplementedError\n",
             forbidden=("torch.clamp",), timeout=5.0,
             mistakes=(Mistake("no clipping", lambda x, limit=1.0: x * x, "You forgot to clip at `limit`."),)),
    Exercise(id="99.2", title="Accuracy", entry="accuracy", reference=accuracy, cases=_acc_cases,
             statement="Return the fraction of rows whose largest score is the target.", section="fake-section",
             stub="def accuracy(output, target):\n    raise NotImplementedError\n",
             forbidden=("dlcourse.training.accuracy", "torch.argmax"), timeout=5.0,
             mistakes=(Mistake("argmin", lambda o, t: (o.min(dim=1).indices == t).float().mean().item(),
                               "You took the smallest score."),)),
]
