"""Data-parallel training on several processes with ``torch.distributed`` (book: "Scaling out").

``torchrun --nproc-per-node W script.py`` starts W copies of a script and tells each its ``RANK``, ``LOCAL_RANK``
and ``WORLD_SIZE`` through the environment. :func:`dlcourse.training.fit` reads them through this module: it joins
the process group (gloo on a CPU, nccl on CUDA), wraps the model in ``DistributedDataParallel`` (which averages
the gradients of all ranks with an all-reduce after every backward pass), gives each rank its shard of every
epoch, shows progress and writes checkpoints on rank 0 only, and averages the metrics over ranks.

The data order is derived from ``(seed, epoch)`` alone, exactly as ``torch.utils.data.DistributedSampler`` draws
it: one permutation of the whole dataset from a generator seeded with ``seed + epoch``, of which rank ``r`` of
``W`` takes ``perm[r::W]``. So one process with batch ``W*B`` can replay, step for step, the samples that ``W``
processes with batch ``B`` see together, and a run resumed from a checkpoint can skip the batches it had done.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["World", "world", "init_from_env", "backend_for", "wrap_model", "epoch_permutation", "shard_indices",
           "all_reduce_mean", "is_main_process"]


@dataclass(frozen=True)
class World:
    """Where this process stands: its ``rank`` among ``size`` processes, and its ``local_rank`` on this machine."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def world() -> World:
    """This process's rank and world size: from the process group if one is running, else from torchrun's
    environment variables, else a single process."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    size = int(os.environ.get("WORLD_SIZE", 1))
    return World(int(os.environ.get("RANK", 0)), size, int(os.environ.get("LOCAL_RANK", 0)))


def is_main_process() -> bool:
    """True on rank 0 (and in a single process): the one that shows progress and writes files."""
    return world().rank == 0


def backend_for(device: torch.device) -> str:
    """nccl for CUDA devices, gloo otherwise (the CPU)."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def init_from_env(device: torch.device) -> World:
    """Join the process group torchrun described in the environment, if there is one and it is not joined yet.

    On CUDA each rank takes the GPU ``cuda:<LOCAL_RANK>``; the returned :class:`World` says where we stand.
    """
    w = world()
    if w.distributed and dist.is_available() and not dist.is_initialized():
        for name in ("MASTER_ADDR", "MASTER_PORT"):
            if name not in os.environ:
                raise RuntimeError(f"WORLD_SIZE={w.size} but {name} is not set: start the script with torchrun "
                                   "(python -m torch.distributed.run --nproc-per-node N script.py)")
        if torch.device(device).type == "cuda":
            torch.cuda.set_device(w.local_rank)
        dist.init_process_group(backend=backend_for(device))
    return world()


def wrap_model(model: nn.Module, device: torch.device) -> nn.Module:
    """``DistributedDataParallel(model)`` when running on several processes, the model itself otherwise."""
    if not world().distributed:
        return model
    device = torch.device(device)
    ids = [device.index if device.index is not None else world().local_rank] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The order of the ``n`` samples in ``epoch``: ``DistributedSampler``'s ``randperm(n)`` seeded with
    ``seed + epoch``."""
    g = torch.Generator()
    g.manual_seed(seed + epoch)
    return torch.randperm(n, generator=g)


def shard_indices(n: int, seed: int, epoch: int, rank: int = 0, size: int = 1) -> torch.Tensor:
    """The samples rank ``rank`` of ``size`` takes in ``epoch``, as ``DistributedSampler(shuffle=True,
    drop_last=False)`` gives them: the permutation padded by wrapping around to a multiple of ``size``, then
    every ``size``-th index from ``rank``."""
    if not 0 <= rank < size:
        raise ValueError(f"rank must be in [0, {size}), got {rank}")
    perm = epoch_permutation(n, seed, epoch)
    total = -(-n // size) * size
    if total > n:
        perm = torch.cat([perm, perm[: total - n]])
    return perm[rank:total:size]


def all_reduce_mean(value: float, device: torch.device | str = "cpu") -> float:
    """The mean of ``value`` over all ranks (the value itself in a single process)."""
    if not (dist.is_available() and dist.is_initialized()):
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.item() / dist.get_world_size()
