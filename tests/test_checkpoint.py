"""Checkpoints: atomic, complete (model, optimizer, scheduler, random generators), and loud when they do not fit."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from dlcourse.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def _setup(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _train(model, opt, sched, steps):
    for _ in range(steps):
        x = torch.randn(8, 3)
        loss = model(x).pow(2).mean() + 0 * np.random.rand() + 0 * random.random()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def test_round_trip_continues_exactly(tmp_path):
    model, opt, sched = _setup()
    _train(model, opt, sched, 3)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, scheduler=sched,
                    position={"epoch": 1, "batch": 3, "step": 3}, history={"loss": [1.0, 0.5]})
    _train(model, opt, sched, 4)
    expected = [p.detach().clone() for p in model.parameters()]
    after = (np.random.rand(), random.random(), torch.rand(1).item())

    model2, opt2, sched2 = _setup(seed=123)  # different weights, fresh optimizer
    torch.manual_seed(999)
    info = load_checkpoint(tmp_path / "c.pt", model=model2, optimizer=opt2, scheduler=sched2)
    assert info["position"] == {"epoch": 1, "batch": 3, "step": 3} and info["history"] == {"loss": [1.0, 0.5]}
    _train(model2, opt2, sched2, 4)
    for a, b in zip(expected, model2.parameters()):
        assert torch.equal(a, b)
    assert (np.random.rand(), random.random(), torch.rand(1).item()) == after
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_interrupted_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    model, opt, _ = _setup()
    path = save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, position={"step": 1})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model=model, optimizer=opt, position={"step": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"], "no temporary file is left behind"


def test_clear_errors(tmp_path):
    model, opt, _ = _setup()
    path = save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt)
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "missing.pt", model=model)
    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        load_checkpoint(tmp_path / "cut.pt", model=model)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a dlcourse-checkpoint-v1 file"):
        load_checkpoint(tmp_path / "other.pt", model=model)
    wider = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    with pytest.raises(CheckpointError, match=r"'0.weight' has shape \(4, 3\) in the checkpoint but \(5, 3\)"):
        load_checkpoint(path, model=wider)
    deeper = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Linear(2, 2))
    with pytest.raises(CheckpointError, match=r"unexpected keys \[\]|missing keys \['3.weight', '3.bias'\]"):
        load_checkpoint(path, model=deeper)
    with pytest.raises(CheckpointError, match="optimizer is Adam, but it is being loaded into SGD"):
        load_checkpoint(path, model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
