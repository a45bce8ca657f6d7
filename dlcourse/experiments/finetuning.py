"""Pre-training then fine-tuning, against training from scratch; all layers, the head only, and LoRA
(book: Chapter 6, "Pre-training, fine-tuning and LoRA", label ``ch6-finetuning``).

Source task: which digit is it (10 classes), on the training digits not used by the target task. Target task: a
new question about the same kind of images, the digit's value modulo 3 (3 classes), with only ``shots`` labelled
examples per digit, tested on the test digits. (Digits 0-4 as source and 5-9 as target was tried first: at this
size the features of 0-4 did not help 5-9 at all, and scratch won.) The body (two hidden layers) is pre-trained
on the source task; for the target task a new 3-way head is put on top and then

* ``scratch``: the same network, randomly initialised, trains every layer on the small target set;
* ``all layers``: fine-tunes every layer from the pre-trained weights;
* ``head only``: freezes the body and trains the head;
* ``LoRA r=k``: freezes the body, wraps its two ``Linear`` layers in :class:`dlcourse.nn.LoRALinear` of rank
  ``k`` and trains the adapters and the head.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import optim, runtime
from ..data.digits import load_digits
from ..nn.lora import add_lora, count_trainable
from ..training import accuracy, evaluate, fit

__all__ = ["N_TARGET", "Config", "QUICK", "FULL", "config", "split_tasks", "make_body", "pretrain", "adapt", "run",
           "plot"]


@dataclass(frozen=True)
class Config:
    width: int = 128
    pretrain_epochs: int = 10
    shots: int = 3
    finetune_epochs: int = 60
    lr: float = 1e-3
    finetune_lr: float = 1e-2
    ranks: tuple[int, ...] = (1, 4, 16)
    seeds: tuple[int, ...] = (0, 1, 2)


QUICK = Config()
FULL = Config(width=256, pretrain_epochs=30, ranks=(1, 2, 4, 8, 16, 32), seeds=(0, 1, 2, 3, 4))


def config(size: str | None = None) -> Config:
    return FULL if (size or runtime.size()) == "full" else QUICK


N_TARGET = 3


def split_tasks(shots: int, seed: int, data=None):
    """``(source_train, target_train, target_test)`` as (X, y) pairs: source labels are the digits, target
    labels the digit modulo 3; the ``10 * shots`` target examples are kept out of the source set."""
    data = data or load_digits(flatten=True)
    g = torch.Generator().manual_seed(seed)
    picks = []
    for digit in range(10):
        idx = torch.nonzero(data.y_train == digit).reshape(-1)
        picks.append(idx[torch.randperm(len(idx), generator=g)[:shots]])
    idx = torch.cat(picks)
    rest = torch.ones(len(data.y_train), dtype=torch.bool)
    rest[idx] = False
    source = (data.X_train[rest], data.y_train[rest])
    target = (data.X_train[idx], data.y_train[idx] % N_TARGET)
    return source, target, (data.X_test, data.y_test % N_TARGET)


def make_body(width: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())


def pretrain(cfg: Config, source, seed: int) -> nn.Sequential:
    """The body after training ``body + Linear(width, 10)`` on the source task."""
    torch.manual_seed(seed)
    body = make_body(cfg.width)
    model = nn.Sequential(body, nn.Linear(cfg.width, 10))
    fit(model, source, loss_fn=nn.CrossEntropyLoss(), optimizer=optim.Adam(model.parameters(), lr=cfg.lr),
        epochs=cfg.pretrain_epochs, generator=torch.Generator().manual_seed(seed), progress=False, device="cpu")
    return body


def adapt(method: str, body: nn.Sequential | None, cfg: Config, target, test, seed: int) -> dict[str, float]:
    """Train on the target task with ``method``; returns ``{"accuracy", "trainable"}``."""
    torch.manual_seed(seed + 1000)
    if method == "scratch":
        body = make_body(cfg.width)
    else:
        body = copy.deepcopy(body)
    head = nn.Linear(cfg.width, N_TARGET)
    if method == "head only":
        for p in body.parameters():
            p.requires_grad_(False)
    elif method.startswith("LoRA"):
        add_lora(body, ["0", "2"], r=int(method.split("=")[1]), lora_alpha=float(int(method.split("=")[1])))
    model = nn.Sequential(body, head)
    params = [p for p in model.parameters() if p.requires_grad]
    fit(model, target, loss_fn=nn.CrossEntropyLoss(), optimizer=optim.Adam(params, lr=cfg.finetune_lr),
        epochs=cfg.finetune_epochs, batch_size=64, generator=torch.Generator().manual_seed(seed), progress=False,
        device="cpu")
    acc = evaluate(model, test, metrics={"accuracy": accuracy}, device="cpu")["accuracy"]
    return {"accuracy": acc, "trainable": count_trainable(model)}


def run(cfg: Config | None = None) -> dict[str, list[dict[str, float]]]:
    """``{method: [result per seed]}`` for scratch, all layers, head only and each LoRA rank."""
    cfg = cfg or config()
    data = load_digits(flatten=True)
    methods = ["scratch", "all layers", "head only"] + [f"LoRA r={r}" for r in cfg.ranks]
    results: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
    for seed in tqdm(cfg.seeds, desc="seeds", leave=False):
        source, target, test = split_tasks(cfg.shots, seed, data)
        body = pretrain(cfg, source, seed)
        for m in methods:
            results[m].append(adapt(m, body, cfg, target, test, seed))
    return results


def plot(results: dict[str, list[dict[str, float]]]):
    """Test accuracy (mean over seeds) against trainable parameters, log scale."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for method, rs in results.items():
        acc = sum(r["accuracy"] for r in rs) / len(rs)
        ax.semilogx(rs[0]["trainable"], acc, "o", ms=8)
        ax.annotate(method, (rs[0]["trainable"], acc), textcoords="offset points", xytext=(6, -3), fontsize=8)
    ax.set(xlabel="trainable parameters", ylabel="target test accuracy (mean over seeds)",
           title="adapting a pre-trained body to a new task")
    fig.tight_layout()
    return fig
