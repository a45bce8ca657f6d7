"""One call at the top of every notebook: seed, pick the device, set the CPU thread policy (book: Preface).

    import dlcourse
    device = dlcourse.setup(seed=0)

Why a thread policy: the course's networks are small. On a 2-core laptop, torch's intra-op pool and the BLAS pools
of NumPy and scikit-learn each start one thread per core, and when two such programs share the cores (a notebook
beside a browser, two notebooks, a test run beside a build) their threads fight and small training loops run 10-25x
slower. One thread per pool keeps a notebook's speed the same on a busy machine. A section that measures peak
throughput (Chapter 1's hardware comparison) asks for every core explicitly with :func:`threads`.

Quick and full sizes: every training experiment has a quick size that fits the notebook budget on a CPU, and a
full size for a GPU. The one place that selects it is the environment variable ``DLCOURSE_SIZE`` (``quick`` or
``full``), read by :func:`size`.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

from .device import get_device
from .seeding import seed_everything

__all__ = ["setup", "threads", "size", "SIZE_ENV_VAR", "DEFAULT_THREADS"]

SIZE_ENV_VAR = "DLCOURSE_SIZE"
_SIZES = ("quick", "full")
#: Threads per pool that :func:`setup` sets on a CPU (see the module docstring for why one).
DEFAULT_THREADS = 1

_blas_limiter = None  # keeps threadpoolctl's limit alive for the life of the process


def _set_cpu_threads(n: int) -> None:
    global _blas_limiter
    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return
    _blas_limiter = threadpool_limits(limits=n)


def size() -> str:
    """The experiment size: ``"quick"`` (default, a CPU within the notebook budget) or ``"full"`` (a GPU).

    Read from the environment variable ``DLCOURSE_SIZE``; anything else is a ``ValueError``.
    """
    value = os.environ.get(SIZE_ENV_VAR, "quick").strip().lower() or "quick"
    if value not in _SIZES:
        raise ValueError(f"{SIZE_ENV_VAR}={value!r} is not a known size; expected one of {', '.join(_SIZES)}")
    return value


def setup(seed: int = 0, *, device: str | torch.device | None = None,
          num_threads: int | None = DEFAULT_THREADS) -> torch.device:
    """Seed everything, choose the device, and set the CPU thread policy. Returns the device.

    Args:
        seed: passed to :func:`dlcourse.seeding.seed_everything`.
        device: ``None`` picks cuda, then mps, then cpu (``DLCOURSE_DEVICE`` overrides); or an explicit name.
        num_threads: threads for torch's intra-op pool and for the BLAS pools (threadpoolctl). ``None`` leaves
            the libraries' defaults (one per core).

    Returns:
        The :class:`torch.device` to put models and data on.
    """
    chosen = get_device(device)
    if num_threads is not None:
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive int or None, got {num_threads!r}")
        _set_cpu_threads(num_threads)
    seed_everything(seed)
    size()  # fail early on a mistyped DLCOURSE_SIZE
    return chosen


@contextlib.contextmanager
def threads(n: int | None = None) -> Iterator[int]:
    """Temporarily use ``n`` CPU threads (default: every core), e.g. to measure peak throughput.

    Restores the previous torch and BLAS settings on exit. Yields the number of threads in force.
    """
    from threadpoolctl import threadpool_limits

    n = n or os.cpu_count() or 1
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield n
    finally:
        torch.set_num_threads(before)
