"""Choosing where tensors live: cuda, then mps, then cpu (book: Preface, "Running the notebooks").

Nothing in the course hard-codes a device. Every notebook calls :func:`get_device` once and moves its
model and data there, so the same notebook runs unchanged on a laptop CPU, an Apple GPU or an NVIDIA GPU.
The environment variable ``DLCOURSE_DEVICE`` overrides the automatic choice (e.g. ``DLCOURSE_DEVICE=cpu``
to compare timings on a GPU machine).
"""
from __future__ import annotations

import os

import torch

__all__ = ["get_device", "available_devices", "ENV_VAR"]

ENV_VAR = "DLCOURSE_DEVICE"
_KNOWN = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Device types usable on this machine, in order of preference (``cpu`` is always last)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    found.append("cpu")
    return found


def get_device(name: str | torch.device | None = None) -> torch.device:
    """Return the device to run on.

    Args:
        name: ``None`` (automatic: cuda, then mps, then cpu), or an explicit choice such as ``"cpu"``,
            ``"cuda"``, ``"cuda:1"`` or ``"mps"``. When ``name`` is ``None`` the environment variable
            ``DLCOURSE_DEVICE`` is honoured first.

    Returns:
        A :class:`torch.device`.

    Raises:
        ValueError: ``name`` is not a device type torch knows (e.g. a typo such as ``"gpu"``).
        RuntimeError: the device type is known but not usable on this machine (e.g. ``"cuda"`` without a GPU).
    """
    source = "argument"
    if name is None:
        name = os.environ.get(ENV_VAR) or None
        source = f"environment variable {ENV_VAR}"
    if name is None:
        return torch.device(available_devices()[0])
    if isinstance(name, torch.device):
        device = name
    else:
        text = str(name).strip().lower()
        try:
            device = torch.device(text)
        except RuntimeError:
            raise ValueError(
                f"unknown device {name!r} (from {source}); expected one of {', '.join(_KNOWN)}, "
                f"optionally with an index such as 'cuda:0'"
            ) from None
    if device.type not in _KNOWN:
        raise ValueError(f"unknown device {str(name)!r} (from {source}); expected one of {', '.join(_KNOWN)}")
    usable = available_devices()
    if device.type not in usable:
        raise RuntimeError(
            f"device {str(name)!r} (from {source}) is not available on this machine; "
            f"available: {', '.join(usable)}"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RuntimeError(
            f"device {str(name)!r} (from {source}) does not exist: this machine has "
            f"{torch.cuda.device_count()} CUDA device(s)"
        )
    return device
