"""The "Scaling out" page's one torchrun launch: data parallelism and model parallelism checked in the same two
processes (starting processes that import torch is most of the cost on a laptop, so the page starts them once).

    python -m torch.distributed.run --standalone --nproc-per-node 2 -m dlcourse.experiments.scale_out --out r.pt

Rank 0 writes one file: the data-parallel run of :mod:`dlcourse.experiments.data_parallel` (final parameters and
time per step) and both ranks' results of :func:`dlcourse.experiments.model_parallel.check_against_unsplit`.
"""
from __future__ import annotations

import argparse
import os

import torch
import torch.distributed as dist

from . import data_parallel, model_parallel

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="file rank 0 writes (torch.save of a dict)")
    args = parser.parse_args(argv)
    from ..runtime import setup

    setup(seed=0, device="cpu")
    cfg = data_parallel.config()
    size = int(os.environ.get("WORLD_SIZE", 1))
    data_parallel.check_conditions(data_parallel.make_model(cfg), cfg.samples, size, cfg.batch)
    model, per_step = data_parallel.train(cfg, cfg.batch)    # fit joins the process group torchrun described
    split = model_parallel.check_against_unsplit()
    results = [None] * dist.get_world_size()
    dist.all_gather_object(results, split)
    if dist.get_rank() == 0:
        torch.save({"state": model.state_dict(), "world_size": size, "batch_per_rank": cfg.batch,
                    "steps": cfg.samples // (cfg.batch * size) * cfg.epochs, "seconds_per_step": per_step,
                    "model_parallel": results}, args.out)
    dist.barrier()
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
