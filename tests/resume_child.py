"""Trains the small digits MLP with checkpoints; the kill-and-resume test runs this in a subprocess.

Usage: python resume_child.py FOLDER OUT [--slow]
--slow sleeps after every optimizer step, so that the test can kill it with SIGKILL mid-epoch.
"""
from __future__ import annotations

import sys
import time

import torch
from torch import nn

from dlcourse.experiments import data_parallel
from dlcourse.runtime import setup
from dlcourse.training import Callback, fit


class Sleep(Callback):
    def on_step_end(self, model, history, step):
        time.sleep(0.2)


def main() -> None:
    folder, out = sys.argv[1], sys.argv[2]
    setup(seed=0, device="cpu")
    cfg = data_parallel.config("quick")
    X, y = data_parallel.make_data(cfg)
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Dropout(0.2), nn.Linear(32, 10)).double()
    torch.manual_seed(3)
    for p in model.parameters():
        nn.init.normal_(p, std=0.1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.5)
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, scheduler=sched, epochs=3, batch_size=128,
        seed=7, checkpoint_dir=folder, checkpoint_every=4, resume=True, progress=False,
        callbacks=[Sleep()] if "--slow" in sys.argv else [])
    torch.save(model.state_dict(), out)


if __name__ == "__main__":
    main()
