"""Data parallelism checked: two processes with batch B reach the parameters of one process with batch 2B
(book: "Scaling out").

Run under torchrun (the book's page launches exactly this)::

    python -m torch.distributed.run --standalone --nproc-per-node 2 -m dlcourse.experiments.data_parallel --out r.json

Each rank trains the same small MLP with :func:`dlcourse.training.fit`, which notices torchrun's environment, joins a
gloo process group, wraps the model in ``DistributedDataParallel`` and gives the rank its shard of every epoch; rank
0 saves the final parameters and the time per step to ``--out``. :func:`compare`, run in one ordinary process (the
notebook's, or a test's), then trains the same model with batch ``2B``, and with batch ``B`` and two-step gradient
accumulation, and measures how far each ends from the data-parallel parameters.

The comparison is fair only under three conditions, which :func:`check_conditions` enforces:
- both runs see the same samples in each step: fit draws one permutation per epoch from ``(seed, epoch)`` and rank
  ``r`` of ``W`` takes ``perm[r::W]``, so ``W`` ranks with batch ``B`` cover ``perm[kWB:(k+1)WB]`` at step ``k``,
  exactly the single process's batch of ``W*B``;
- the dataset length divides by ``W * B`` (no padded or partial batch);
- the model has no BatchNorm (its batch statistics would be per rank, not over ``W * B`` samples).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["Config", "QUICK", "FULL", "config", "make_data", "make_model", "train", "check_conditions", "compare",
           "main"]


@dataclass(frozen=True)
class Config:
    samples: int = 1280     # generated examples; divisible by world size x batch
    batch: int = 64         # per rank
    epochs: int = 2
    hidden: int = 32
    lr: float = 0.05
    seed: int = 0


QUICK = Config(epochs=1)
FULL = Config(epochs=10, hidden=128)


def config(size: str | None = None) -> Config:
    from ..runtime import size as current_size

    return FULL if (size or current_size()) == "full" else QUICK


def make_data(cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    """``cfg.samples`` float64 rows of 64 features and labels in 0-9, generated from ``cfg.seed``.

    The labels are the arg-max of a fixed random linear map plus noise: a task a small MLP learns, made with torch
    alone, so the processes torchrun starts import nothing heavier than torch (importing scikit-learn for a data set
    cost each process about 2 s of CPU, a tenth of the page's budget).
    """
    g = torch.Generator().manual_seed(cfg.seed + 1)
    X = torch.randn(cfg.samples, 64, generator=g, dtype=torch.float64)
    W = torch.randn(64, 10, generator=g, dtype=torch.float64)
    y = (X @ W + 0.5 * torch.randn(cfg.samples, 10, generator=g, dtype=torch.float64)).argmax(dim=1)
    return X, y


def make_model(cfg: Config) -> nn.Module:
    torch.manual_seed(cfg.seed)
    return nn.Sequential(nn.Linear(64, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, 10)).double()


def check_conditions(model: nn.Module, samples: int, world_size: int, batch: int) -> None:
    """Raise ``ValueError`` naming the condition that makes a DDP-vs-one-process comparison unfair."""
    if samples % (world_size * batch):
        raise ValueError(f"{samples} samples do not divide by world size x batch = {world_size} x {batch}")
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if norms:
        raise ValueError(f"the model has BatchNorm layers ({type(norms[0]).__name__}): per-rank statistics differ")


def train(cfg: Config, batch: int, accumulate: int = 1, progress: bool = False) -> tuple[nn.Module, float]:
    """Train the model with :func:`dlcourse.training.fit`; returns the model and the seconds per step."""
    from ..training import fit

    X, y = make_data(cfg)
    model = make_model(cfg)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9)
    start = time.perf_counter()
    history = fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, epochs=cfg.epochs,
                  batch_size=batch, accumulate=accumulate, seed=cfg.seed, device="cpu", progress=progress)
    steps = len(history.step_losses) // accumulate
    return model, (time.perf_counter() - start) / max(steps, 1)


def _max_diff(a: nn.Module, b: dict[str, torch.Tensor]) -> float:
    return max((p - b[name]).abs().max().item() for name, p in a.state_dict().items())


def compare(cfg: Config, ddp_state: dict[str, torch.Tensor], world_size: int) -> dict[str, float]:
    """In this (single) process: train with batch ``world_size * B``, and with batch ``B`` accumulated over
    ``world_size`` batches, and return the largest parameter differences from the data-parallel run's state."""
    one, one_step = train(cfg, cfg.batch * world_size)
    accumulated, _ = train(cfg, cfg.batch, accumulate=world_size)
    return {"ddp_vs_one_process": _max_diff(one, ddp_state), "ddp_vs_accumulation": _max_diff(accumulated, ddp_state),
            "seconds_per_step_one_process": one_step}


def main(argv: list[str] | None = None) -> int:
    """Under torchrun: train data-parallel; rank 0 saves the final parameters and the timing to ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="file rank 0 writes (torch.save of a dict)")
    args = parser.parse_args(argv)
    from ..runtime import setup

    setup(seed=0, device="cpu")
    cfg = config()
    size = int(os.environ.get("WORLD_SIZE", 1))
    check_conditions(make_model(cfg), cfg.samples, size, cfg.batch)
    model, per_step = train(cfg, cfg.batch)             # fit joins the process group torchrun described
    if not dist.is_initialized() or dist.get_rank() == 0:
        torch.save({"state": model.state_dict(), "world_size": size, "batch_per_rank": cfg.batch,
                    "steps": cfg.samples // (cfg.batch * size) * cfg.epochs, "seconds_per_step": per_step,
                    "config": cfg.__dict__}, args.out)
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
