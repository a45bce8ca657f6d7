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


def test_two_processes_with_batch_b_equal_one_with_batch_2b(tmp_path):
    """torchrun, two gloo ranks, batch B each == one process with batch 2B == batch B accumulated twice (float64)."""
    import os
    import subprocess
    import sys

    from dlcourse.experiments import data_parallel

    out = tmp_path / "ddp.pt"
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           "-m", "dlcourse.experiments.data_parallel", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    ddp = torch.load(out, weights_only=True)
    assert ddp["world_size"] == 2 and ddp["steps"] >= 10
    diffs = data_parallel.compare(data_parallel.config("quick"), ddp["state"], 2)
    assert diffs["ddp_vs_one_process"] < 1e-10
    assert diffs["ddp_vs_accumulation"] < 1e-10
    model = data_parallel.make_model(data_parallel.config("quick"))
    assert any((p - ddp["state"][n]).abs().max() > 1e-3 for n, p in model.state_dict().items()), "it trained"


def test_unfair_comparisons_are_refused():
    from torch import nn

    from dlcourse.experiments.data_parallel import check_conditions

    with pytest.raises(ValueError, match="do not divide by world size x batch = 2 x 64"):
        check_conditions(nn.Linear(2, 2), 1000, 2, 64)
    with pytest.raises(ValueError, match="BatchNorm"):
        check_conditions(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)), 1280, 2, 64)
