"""Imported once by the grader's fork server, so that each sandboxed child starts with all of this loaded."""
import numpy  # noqa: F401
import torch  # noqa: F401

import dlcourse  # noqa: F401
import dlcourse.nn  # noqa: F401
from dlcourse import exercises as _exercises
from dlcourse.exercises import check as _check  # noqa: F401
from dlcourse.grading import sandbox as _sandbox  # noqa: F401

try:
    _exercises.all_exercises()
except Exception:  # noqa: BLE001 - a broken master is reported by the grader, not here
    pass
