"""Checkpoints that survive a crash: atomic writes, and clear errors when one does not fit (book: "Scaling out").

A checkpoint holds everything a training run needs to continue exactly where it stopped: the model's and the
optimizer's ``state_dict``, the scheduler's, every random generator's state, the position in the data (epoch and
batch) and the history so far::

    save_checkpoint("run/ckpt.pt", model=model, optimizer=opt, position={"epoch": 2, "batch": 17, "step": 81})
    position = load_checkpoint("run/ckpt.pt", model=model, optimizer=opt)   # -> {"epoch": 2, "batch": 17, ...}

The write is atomic: the file is written under a temporary name in the same folder, flushed to disk, then renamed
over the old one, so a crash mid-write leaves the previous checkpoint intact, never a truncated file. Loading uses
``torch.load(weights_only=True)``: a checkpoint cannot run code. Anything that does not match (a missing or extra
key, a shape, the optimizer's type or its parameter groups) raises :class:`CheckpointError` naming it.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "rng_state", "set_rng_state", "FORMAT"]

FORMAT = "dlcourse-checkpoint-v1"


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, corrupted, or does not match the model/optimizer it is loaded into."""


def rng_state() -> dict[str, Any]:
    """The state of Python's, NumPy's and torch's (CPU and CUDA) random generators, as plain tensors and lists."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": _to_lists(random.getstate()), "torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                       "has_gauss": int(has_gauss), "cached": float(cached)}}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    random.setstate(_to_tuples(state["python"]))
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_lists(x):
    return [_to_lists(v) for v in x] if isinstance(x, (tuple, list)) else x


def _to_tuples(x):
    return tuple(_to_tuples(v) for v in x) if isinstance(x, list) else x


def save_checkpoint(path: str | os.PathLike, *, model: nn.Module, optimizer=None, scheduler=None,
                    position: dict[str, int] | None = None, history: dict[str, Any] | None = None,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically to ``path`` (its folder is created). Returns the path.

    Args:
        model: its ``state_dict`` is saved (unwrap ``DistributedDataParallel`` first, or pass it: ``.module`` is
            taken).
        optimizer, scheduler: saved with their ``state_dict`` and the optimizer's class name.
        position: where training stands, e.g. ``{"epoch": 2, "batch": 17, "step": 81}``.
        history: plain data (numbers, strings, lists, dicts) to restore with the run.
        extra: more plain data.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)
    payload = {"format": FORMAT, "model": model.state_dict(), "rng": rng_state(),
               "position": dict(position or {}), "history": history or {}, "extra": extra or {}}
    if optimizer is not None:
        payload["optimizer"] = {"type": type(optimizer).__name__, "state": optimizer.state_dict()}
    if scheduler is not None:
        payload["scheduler"] = {"type": type(scheduler).__name__, "state": scheduler.state_dict()}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself reaches the disk
    finally:
        os.close(dir_fd)
    return path


def _check_model(model: nn.Module, saved: dict[str, torch.Tensor], path: Path) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    if missing or unexpected:
        raise CheckpointError(f"{path}: the model does not match the checkpoint: missing keys {missing}, "
                              f"unexpected keys {unexpected}")
    for key, value in own.items():
        if tuple(saved[key].shape) != tuple(value.shape):
            raise CheckpointError(f"{path}: {key!r} has shape {tuple(saved[key].shape)} in the checkpoint but "
                                  f"{tuple(value.shape)} in the model")


def load_checkpoint(path: str | os.PathLike, *, model: nn.Module, optimizer=None, scheduler=None,
                    map_location: str | torch.device | None = "cpu", restore_rng: bool = True) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``, ``scheduler``).

    Returns:
        ``{"position": ..., "history": ..., "extra": ...}`` as saved.

    Raises:
        CheckpointError: the file is missing, truncated or not a checkpoint; or a key, a shape, the optimizer's
            type or its parameter groups do not match.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint file there")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many types for a damaged file
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupted?): "
                              f"{type(error).__name__}: {str(error)[:200]}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path}: not a {FORMAT} file (found format {found!r})")
    model = getattr(model, "module", model)
    _check_model(model, payload["model"], path)
    if optimizer is not None:
        if "optimizer" not in payload:
            raise CheckpointError(f"{path}: the checkpoint holds no optimizer state")
        saved_type = payload["optimizer"]["type"]
        if saved_type != type(optimizer).__name__:
            raise CheckpointError(f"{path}: the checkpoint's optimizer is {saved_type}, "
                                  f"but it is being loaded into {type(optimizer).__name__}")
        groups = payload["optimizer"]["state"]["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in optimizer.param_groups]:
            raise CheckpointError(f"{path}: parameter groups differ: the checkpoint has sizes "
                                  f"{[len(g['params']) for g in groups]}, the optimizer "
                                  f"{[len(g['params']) for g in optimizer.param_groups]}")
    if scheduler is not None and "scheduler" not in payload:
        raise CheckpointError(f"{path}: the checkpoint holds no scheduler state")
    model.load_state_dict(payload["model"])
    if optimizer is not None:
        optimizer.load_state_dict(payload["optimizer"]["state"])
    if scheduler is not None:
        scheduler.load_state_dict(payload["scheduler"]["state"])
    if restore_rng:
        set_rng_state(payload["rng"])
    return {"position": payload["position"], "history": payload["history"], "extra": payload["extra"]}
