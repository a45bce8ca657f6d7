"""Masked-language-model pre-training, then fine-tuning, against training from scratch (book: Chapter 7,
"Pre-training then fine-tuning").

The labelled task, made offline from the standard library: given one line of Python source (indentation
stripped, at most ``max_len`` characters), which of a few modules does it come from? Only a few hundred labelled
lines are used for training. The unlabelled text for pre-training is every line of the *other* modules of
Chapter 5's corpus, so pre-training never sees a line of the task. Both classifiers have the same architecture
(:class:`~dlcourse.models.bert.TinyBERT`) and the same fine-tuning recipe; one starts from the pre-trained
weights, the other from random ones.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .. import runtime
from ..data.text import STDLIB_MODULES, Vocab, stdlib_source
from ..models.bert import TinyBERT, mask_tokens
from ..optim import AdamW

__all__ = ["Config", "QUICK", "FULL", "config", "TASK_MODULES", "source_lines", "LineTask", "make_task",
           "pretrain", "finetune", "accuracy", "FinetuneResult", "run"]

#: The modules whose lines are to be told apart.
TASK_MODULES = ("argparse", "ipaddress", "logging", "tarfile")


@dataclass(frozen=True)
class Config:
    max_len: int
    n_per_class: int          # labelled training lines per module
    n_test_per_class: int
    d_model: int
    nhead: int
    num_layers: int
    pretrain_steps: int
    pretrain_batch: int
    finetune_epochs: int
    finetune_batch: int
    lr: float


QUICK = Config(max_len=32, n_per_class=20, n_test_per_class=100, d_model=48, nhead=4, num_layers=2,
               pretrain_steps=200, pretrain_batch=32, finetune_epochs=9, finetune_batch=32, lr=3e-3)
FULL = Config(max_len=96, n_per_class=100, n_test_per_class=400, d_model=192, nhead=6, num_layers=6,
              pretrain_steps=20_000, pretrain_batch=128, finetune_epochs=20, finetune_batch=32, lr=5e-4)


def config(size: str | None = None) -> Config:
    """QUICK (CPU, within the notebook budget) or FULL (a GPU), chosen by ``dlcourse.runtime.size()``."""
    return FULL if (size or runtime.size()) == "full" else QUICK


def source_lines(module_text: str, max_len: int, min_len: int = 16) -> list[str]:
    """The non-trivial lines of a module: stripped, at least ``min_len`` characters, cut to ``max_len``."""
    lines = (line.strip()[:max_len] for line in module_text.splitlines())
    return [line for line in lines if len(line) >= min_len]


@dataclass
class LineTask:
    vocab: Vocab
    mask_id: int
    unlabelled: torch.Tensor        # (M, max_len) pre-training lines, padded
    train_x: torch.Tensor           # (K * n_per_class, max_len)
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    modules: tuple[str, ...]
    examples: list[tuple[str, str]]  # a few (line, module) pairs, for the book


def make_task(cfg: Config, seed: int = 0) -> LineTask:
    """Split the standard library into unlabelled pre-training lines and the labelled module-of-a-line task."""
    texts = stdlib_source(STDLIB_MODULES)
    rng = random.Random(seed)
    unlabelled = [line for name, text in texts.items() if name not in TASK_MODULES
                  for line in source_lines(text, cfg.max_len)]
    vocab = Vocab(sorted(set("".join(unlabelled))) + ["<mask>"])
    labelled, examples = [], []
    for label, name in enumerate(TASK_MODULES):
        lines = sorted(set(source_lines(texts[name], cfg.max_len)))
        rng.shuffle(lines)
        need = cfg.n_per_class + cfg.n_test_per_class
        if len(lines) < need:
            raise ValueError(f"module {name} has only {len(lines)} usable lines, need {need}")
        labelled.append((lines[:cfg.n_per_class], lines[cfg.n_per_class:need], label))
        examples += [(line, name) for line in lines[:2]]

    def encode(lines: list[str]) -> torch.Tensor:
        out = torch.zeros(len(lines), cfg.max_len, dtype=torch.int64)
        for i, line in enumerate(lines):
            ids = vocab.encode(line)
            out[i, :len(ids)] = torch.tensor(ids)
        return out

    train_x = torch.cat([encode(tr) for tr, _, _ in labelled])
    train_y = torch.cat([torch.full((len(tr),), lab) for tr, _, lab in labelled])
    test_x = torch.cat([encode(te) for _, te, _ in labelled])
    test_y = torch.cat([torch.full((len(te),), lab) for _, te, lab in labelled])
    return LineTask(vocab, vocab.stoi["<mask>"], encode(unlabelled), train_x, train_y, test_x, test_y,
                    TASK_MODULES, examples)


def _model(task: LineTask, cfg: Config, seed: int) -> TinyBERT:
    torch.manual_seed(seed)
    return TinyBERT(len(task.vocab), cfg.max_len, cfg.d_model, cfg.nhead, cfg.num_layers, len(task.modules))


def pretrain(model: TinyBERT, task: LineTask, cfg: Config, seed: int = 0, progress: bool = True) -> list[float]:
    """Masked-language-model training on the unlabelled lines; returns the loss of every step."""
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    optimizer = AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    losses = []
    model.train()
    for _ in tqdm(range(cfg.pretrain_steps), desc="MLM pre-training", disable=not progress, leave=False):
        rows = torch.randint(0, len(task.unlabelled), (cfg.pretrain_batch,), generator=g)
        corrupted, targets = mask_tokens(task.unlabelled[rows], task.mask_id, len(task.vocab), 4, g)
        logits = model.mlm_logits(corrupted.to(device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.to(device).reshape(-1),
                               ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def finetune(model: TinyBERT, task: LineTask, cfg: Config, seed: int = 0, progress: bool = True) -> list[float]:
    """All weights trained on the labelled lines (cross-entropy); returns the test accuracy every 3 epochs."""
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    optimizer = AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    accuracies = []
    for epoch in tqdm(range(1, cfg.finetune_epochs + 1), desc="fine-tuning", disable=not progress, leave=False):
        model.train()
        for idx in torch.randperm(len(task.train_x), generator=g).split(cfg.finetune_batch):
            loss = F.cross_entropy(model(task.train_x[idx].to(device)), task.train_y[idx].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if epoch % 3 == 0 or epoch == cfg.finetune_epochs:
            accuracies.append(accuracy(model, task.test_x, task.test_y))
    return accuracies


@torch.no_grad()
def accuracy(model: TinyBERT, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    device = next(model.parameters()).device
    return (model(x.to(device)).argmax(-1).cpu() == y).float().mean().item()


@dataclass
class FinetuneResult:
    config: Config
    task: LineTask
    pretrain_losses: list[float]
    pretrained_curve: list[float]    # test accuracy every 3 fine-tuning epochs
    scratch_curve: list[float]

    @property
    def pretrained_accuracy(self) -> float:
        return self.pretrained_curve[-1]

    @property
    def scratch_accuracy(self) -> float:
        return self.scratch_curve[-1]


def run(cfg: Config | None = None, seed: int = 0, device: torch.device | str | None = None,
        progress: bool = True) -> FinetuneResult:
    """Pre-train one TinyBERT by MLM and fine-tune it; fine-tune an identical fresh one; compare test accuracy."""
    cfg = cfg or config()
    task = make_task(cfg, seed)
    pretrained, scratch = _model(task, cfg, seed), _model(task, cfg, seed)
    if device is not None:
        pretrained.to(device)
        scratch.to(device)
    losses = pretrain(pretrained, task, cfg, seed, progress)
    return FinetuneResult(cfg, task, losses, finetune(pretrained, task, cfg, seed, progress),
                          finetune(scratch, task, cfg, seed, progress))
