"""A long-range task: the plain RNN fails as the distance grows, the LSTM and GRU do not (book: Chapter 5,
"A long-range task", label ``ch5-long-range``).

Task (:func:`dlcourse.data.adding.make_recall`): see a symbol, wait ``delay`` blank steps, report the symbol.
Each model is a recurrent layer followed by a linear read-out of its last state, trained with Adam and gradient
clipping through :func:`dlcourse.training.fit`. The gated models start with their "keep" gate open (LSTM forget
bias, GRU update bias = ``gate_bias``), the initialisation their papers' successors recommend; the RNN has no
such gate.

Sizes: :data:`QUICK` (a CPU, the notebook) and :data:`FULL` (a GPU), chosen by :func:`config`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .. import nn as dnn
from ..data.adding import make_recall
from ..runtime import size as _size
from ..training import accuracy, evaluate, fit

__all__ = ["Config", "QUICK", "FULL", "config", "RecallNet", "train_recall", "run"]


@dataclass(frozen=True)
class Config:
    delays: tuple[int, ...] = (5, 15, 40)
    seeds_at: int = 40                 # the delay at which every seed is run (the asserted separation)
    seeds: tuple[int, ...] = (0, 1, 2)
    kinds: tuple[str, ...] = ("RNN", "LSTM", "GRU")
    hidden: int = 32
    steps: int = 150
    batch_size: int = 32
    lr: float = 3e-3
    gate_bias: float = 3.0
    num_symbols: int = 4
    test_size: int = 500
    library: str = "torch"             # "torch" (fast) or "dlcourse" (our layers, about 2x slower on a CPU)


QUICK = Config()
FULL = Config(delays=(5, 10, 20, 50, 100, 200), seeds_at=100, seeds=(0, 1, 2, 3, 4), hidden=64, steps=2000,
              library="dlcourse")


def config(size: str | None = None) -> Config:
    """:data:`FULL` if ``size`` (default: ``dlcourse.runtime.size()``) is ``"full"``, else :data:`QUICK`."""
    return FULL if (size or _size()) == "full" else QUICK


class RecallNet(nn.Module):
    """A recurrent layer (``kind`` = RNN, LSTM or GRU) and a linear read-out of its last state."""

    def __init__(self, kind: str, num_symbols: int, hidden: int, gate_bias: float = 0.0, library: str = "torch"):
        super().__init__()
        lib = {"torch": nn, "dlcourse": dnn}[library]
        self.rnn = getattr(lib, kind)(num_symbols + 1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, num_symbols)
        if kind in ("LSTM", "GRU"):   # LSTM gates i, f, g, o: f is rows H..2H; GRU gates r, z, n: z is rows H..2H
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden:2 * hidden] = gate_bias
                self.rnn.bias_hh_l0[hidden:2 * hidden] = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.rnn(x)                                             # (N, T, H)
        return self.out(y[:, -1])                                      # (N, num_symbols)


def train_recall(kind: str, delay: int, seed: int, cfg: Config = QUICK, device=None) -> float:
    """Train one model on one delay with one seed; return its test accuracy."""
    torch.manual_seed(seed)
    X, y = make_recall(cfg.steps * cfg.batch_size, delay, cfg.num_symbols, seed=seed)
    X_test, y_test = make_recall(cfg.test_size, delay, cfg.num_symbols, seed=10_000 + seed)
    model = RecallNet(kind, cfg.num_symbols, cfg.hidden, cfg.gate_bias, cfg.library)
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.Adam(model.parameters(), cfg.lr),
        epochs=1, batch_size=cfg.batch_size, clip_grad_norm=1.0, device=device, progress=False,
        generator=torch.Generator().manual_seed(seed))
    return evaluate(model, (X_test, y_test), metrics={"accuracy": accuracy}, device=device)["accuracy"]


def run(cfg: Config | None = None, device=None, progress: bool = True) -> dict[tuple[str, int], list[float]]:
    """Accuracy of each kind at each delay: ``{(kind, delay): [accuracy per seed]}`` (all seeds at
    ``cfg.seeds_at``, the first seed elsewhere)."""
    from tqdm.auto import tqdm

    cfg = cfg or config()
    jobs = [(k, d, s) for d in cfg.delays for k in cfg.kinds
            for s in (cfg.seeds if d == cfg.seeds_at else cfg.seeds[:1])]
    results: dict[tuple[str, int], list[float]] = {}
    for kind, delay, seed in tqdm(jobs, desc="long-range task", disable=not progress):
        results.setdefault((kind, delay), []).append(train_recall(kind, delay, seed, cfg, device))
    return results
