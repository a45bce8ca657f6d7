"""fit's replayable data order, checkpoints, and a run killed with SIGKILL that resumes bit for bit."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DistributedSampler, TensorDataset

from dlcourse.checkpoint import CheckpointError
from dlcourse.distributed import World
from dlcourse.training import Callback, SeededBatches, fit

HERE = Path(__file__).parent


def test_seeded_batches_follow_distributed_sampler():
    X = torch.arange(20.0).reshape(10, 2)
    y = torch.arange(10)
    for rank in range(2):
        batches = SeededBatches((X, y), batch_size=2, seed=3, world=World(rank, 2, rank))
        sampler = DistributedSampler(TensorDataset(X, y), num_replicas=2, rank=rank, seed=3)
        sampler.set_epoch(1)
        order = list(sampler)
        got = torch.cat([b[1] for b in batches.epoch(1)]).tolist()
        assert got == order
        assert len(batches) == 3
        assert torch.cat([b[1] for b in batches.epoch(1, skip=1)]).tolist() == order[2:]


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 3)).double()


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(48, 4, generator=g, dtype=torch.float64), torch.randint(0, 3, (48,), generator=g)


def test_resume_in_process_equals_uninterrupted(tmp_path):
    X, y = _data()

    def run(folder, stop=None, resume=False):
        model = _model()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)

        class Stop(Callback):
            def on_step_end(self, model, history, step):
                if step == stop:
                    raise KeyboardInterrupt

        torch.manual_seed(5)
        h = fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=3, batch_size=10, seed=1,
                checkpoint_dir=folder, checkpoint_every=3, resume=resume, callbacks=[Stop()], progress=False)
        return model, h

    whole, h_whole = run(tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "b", stop=8)            # epoch 2 (5 batches an epoch), the last checkpoint at step 6
    resumed, h_resumed = run(tmp_path / "b", resume=True)
    for p, q in zip(whole.parameters(), resumed.parameters()):
        assert torch.equal(p, q)
    assert h_whole.step_losses == h_resumed.step_losses
    assert [r["train_loss"] for r in h_whole.epochs] == [r["train_loss"] for r in h_resumed.epochs]


def test_checkpoint_arguments_are_checked(tmp_path):
    X, y = _data()
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="pass seed= to fit"):
        fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, checkpoint_dir=tmp_path, checkpoint_every=2)
    with pytest.raises(ValueError, match="checkpoint_dir and checkpoint_every together"):
        fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, seed=0, checkpoint_every=2)
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, seed=0, checkpoint_dir=tmp_path,
        checkpoint_every=2, progress=False)
    other = torch.optim.Adam(model.parameters())
    with pytest.raises(CheckpointError, match="optimizer is SGD, but it is being loaded into Adam"):
        fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=other, seed=0, checkpoint_dir=tmp_path,
            checkpoint_every=2, resume=True, progress=False)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_epoch_then_resume_is_bit_identical(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
        [str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    child = [sys.executable, str(HERE / "resume_child.py")]
    subprocess.run(child + [str(tmp_path / "whole"), str(tmp_path / "whole.pt")], check=True, env=env, timeout=300)

    proc = subprocess.Popen(child + [str(tmp_path / "killed"), str(tmp_path / "killed.pt"), "--slow"], env=env)
    checkpoint = tmp_path / "killed" / "checkpoint.pt"
    deadline = time.time() + 240
    position = None
    while time.time() < deadline and proc.poll() is None:
        if checkpoint.exists():
            try:
                position = torch.load(checkpoint, weights_only=True)["position"]
            except Exception:  # noqa: BLE001 - the file is replaced atomically; a read may race the rename
                position = None
            if position and position["step"] >= 12 and 0 < position["batch"]:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the training run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed.pt").exists()
    assert position is not None and 0 < position["batch"] < 10, f"not killed mid-epoch: {position}"

    subprocess.run(child + [str(tmp_path / "killed"), str(tmp_path / "killed.pt")], check=True, env=env,
                   timeout=300)
    whole = torch.load(tmp_path / "whole.pt", weights_only=True)
    resumed = torch.load(tmp_path / "killed.pt", weights_only=True)
    for name, value in whole.items():
        assert torch.equal(value, resumed[name]), f"{name} differs after the resume"
