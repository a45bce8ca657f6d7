"""The data order of data-parallel training, equal to torch's DistributedSampler (dlcourse.distributed)."""
from __future__ import annotations

import pytest
import torch
from torch.utils.data import DistributedSampler, TensorDataset

from dlcourse.distributed import all_reduce_mean, backend_for, shard_indices, world


@pytest.mark.parametrize("n, size", [(12, 2), (13, 2), (10, 3), (7, 1)])
def test_shards_equal_distributed_sampler(n, size):
    data = TensorDataset(torch.arange(n))
    for epoch in range(3):
        for rank in range(size):
            sampler = DistributedSampler(data, num_replicas=size, rank=rank, shuffle=True, seed=5)
            sampler.set_epoch(epoch)
            assert shard_indices(n, seed=5, epoch=epoch, rank=rank, size=size).tolist() == list(sampler)


def test_single_process_defaults(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert world().size == 1 and not world().distributed and world().rank == 0
    assert all_reduce_mean(3.5) == 3.5
    assert backend_for(torch.device("cpu")) == "gloo" and backend_for("cuda:1") == "nccl"
    with pytest.raises(ValueError, match=r"rank must be in \[0, 2\), got 2"):
        shard_indices(10, 0, 0, rank=2, size=2)
