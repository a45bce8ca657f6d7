"""Shared test configuration: the thread policy, a non-interactive backend here, and the notebook-run plugin."""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # this process only: nbval's kernels and the book build keep the inline backend

import notebook_runs  # noqa: E402  (tests/ is on sys.path for its conftest)

# Kernels inherit this process's environment: a non-interactive MPLBACKEND would drop every figure from them.
os.environ.pop("MPLBACKEND", None)


def pytest_configure(config):
    # The tests use the notebooks' thread policy (dlcourse.setup), so a busy machine does not slow them 10x.
    from dlcourse.runtime import DEFAULT_THREADS, _set_cpu_threads

    _set_cpu_threads(DEFAULT_THREADS)
    # Registered as a plugin rather than written as conftest hooks: a conftest under tests/ only sees the items
    # under tests/, and the notebooks live under book/.
    notebook_runs.register(config)
