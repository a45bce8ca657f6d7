"""A small, device-agnostic training loop with a progress bar and a history (book: Preface).

Every chapter trains models the same way, so the loop lives here once::

    history = fit(model, (X_train, y_train), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.Adam(model.parameters(), 1e-3), epochs=10,
                  valid=(X_test, y_test), metrics={"accuracy": accuracy})
    history.plot()

The model is moved to ``device`` (default: :func:`dlcourse.device.get_device`) and each batch follows it,
so the same call runs on cpu, cuda or mps. What later chapters need is a keyword away:

- ``batch_fn(model, batch) -> (output, target)`` for batches that are not ``(X, y)`` pairs (sequences, captions);
- ``step_fn(model, batch, optimizer) -> {name: loss}`` for a step ``fit`` should not write, e.g. a GAN's two
  optimizers (pass them as one object, such as a dict); ``fit`` then only loops, logs, schedules and calls back;
- ``clip_grad_norm=`` (clip the global gradient norm before each step), ``accumulate=k`` (one optimizer step
  per ``k`` batches, the loss divided by the group's size, so ``k`` batches of ``b`` equal one batch of ``k b``);
- ``scheduler=`` stepped after every optimizer step or every epoch;
- ``amp=True``: mixed precision (float16 autocast and a gradient scaler) on CUDA; elsewhere a warning, float32;
- ``callbacks=[EarlyStopping("valid_loss", patience=3)]``: called after every epoch, may stop training.

- ``seed=s``: the data order of epoch ``e`` is a function of ``(s, e)`` alone (``DistributedSampler``'s order), so a
  run can be replayed, resumed mid-epoch, or split over processes;
- ``checkpoint_dir=``, ``checkpoint_every=k``, ``resume=True``: a checkpoint every ``k`` optimizer steps
  (:mod:`dlcourse.checkpoint`, written atomically) and a resumed run equal, bit for bit, to an uninterrupted one.

Any optimizer with torch's ``zero_grad``/``step``/``param_groups``/``state_dict`` surface works (``torch.optim`` and
``dlcourse.optim``). Under ``torchrun`` the same call trains data-parallel (:mod:`dlcourse.distributed`): it joins
the process group, wraps the model in ``DistributedDataParallel``, gives each rank its shard of every epoch, shows
progress and writes checkpoints on rank 0 only, and averages the logged numbers over the ranks (book: "Scaling out").
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset, default_collate
from tqdm import tqdm

from . import distributed
from .checkpoint import load_checkpoint, save_checkpoint
from .device import get_device

__all__ = ["History", "fit", "evaluate", "accuracy", "make_loader", "TensorBatches", "Callback", "EarlyStopping"]

Metric = Callable[[torch.Tensor, torch.Tensor], float]
Data = tuple[torch.Tensor, torch.Tensor] | Dataset | DataLoader
BatchFn = Callable[[nn.Module, object], tuple[object, object]]
StepFn = Callable[[nn.Module, object, object], Mapping[str, float]]


def accuracy(output: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of rows whose arg-max in ``output`` (N, C) equals ``target`` (N,).

    For a single output column (N,) or (N, 1) the logit is thresholded at 0 (binary classification).
    """
    if output.ndim == 2 and output.shape[1] > 1:
        predicted = output.argmax(dim=1)
    else:
        predicted = (output.reshape(-1) > 0).to(target.dtype)
    if predicted.shape != target.reshape(-1).shape:
        raise ValueError(f"accuracy: {tuple(output.shape)} outputs do not match {tuple(target.shape)} targets")
    return (predicted == target.reshape(-1)).float().mean().item()


class TensorBatches:
    """Minibatches of tensors by slicing one permutation per pass: the same batches, and the same random draws, as
    ``DataLoader(TensorDataset(*tensors), batch_size, shuffle, generator=generator)`` (tested against it), without
    the per-row indexing and collating. What :func:`make_loader` returns for tensors.
    """

    def __init__(self, tensors: Sequence[torch.Tensor], batch_size: int, shuffle: bool = False,
                 generator: torch.Generator | None = None):
        self.tensors, self.batch_size, self.shuffle, self.generator = tuple(tensors), batch_size, shuffle, generator
        self.dataset = TensorDataset(*self.tensors)

    def __len__(self) -> int:
        return math.ceil(len(self.tensors[0]) / self.batch_size)

    def __iter__(self):
        n, b = len(self.tensors[0]), self.batch_size
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)  # DataLoader's base-seed draw
        order = None
        if self.shuffle:                                                     # as RandomSampler draws it
            g = self.generator
            if g is None:
                g = torch.Generator()
                g.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
            order = torch.randperm(n, generator=g)
        for start in range(0, n, b):
            if order is None:
                yield tuple(t[start:start + b] for t in self.tensors)
            else:
                idx = order[start:start + b]
                yield tuple(t[idx.to(t.device)] for t in self.tensors)
        if self.shuffle:
            torch.randperm(n, generator=g)      # RandomSampler draws (and drops) one more permutation at its end


def make_loader(data: Data, batch_size: int = 64, shuffle: bool = False,
                generator: torch.Generator | None = None) -> DataLoader | TensorBatches:
    """Batches of ``data``: ``(X, y)`` tensors give a :class:`TensorBatches`, a Dataset a DataLoader; a DataLoader
    passes through unchanged."""
    if isinstance(data, DataLoader):
        return data
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        X, y = data
        if len(X) != len(y):
            raise ValueError(f"inputs and targets differ in length: {len(X)} vs {len(y)}")
        return TensorBatches((X, y), batch_size, shuffle, generator)
    if isinstance(data, TensorDataset):
        return TensorBatches(data.tensors, batch_size, shuffle, generator)
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)
    raise TypeError("data must be an (inputs, targets) pair of tensors, a Dataset or a DataLoader, "
                    f"got {type(data).__name__}")


@dataclass
class History:
    """What happened during training: one record per epoch and the loss of every step.

    Attributes:
        epochs: list of dicts, e.g. ``{"epoch": 1, "train_loss": 0.41, "valid_loss": 0.38,
            "valid_accuracy": 0.9, "seconds": 0.8}``.
        step_losses: training loss of every batch (with ``step_fn``: the first logged value).
        stopped_epoch: the epoch an :class:`EarlyStopping` callback stopped training at, else None.
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    stopped_epoch: int | None = None     # set by EarlyStopping when it ends training early

    def __getitem__(self, key: str) -> list[float]:
        """The per-epoch series of one quantity, e.g. ``history["valid_accuracy"]``."""
        if not self.epochs or key not in self.epochs[0]:
            known = sorted(self.epochs[0]) if self.epochs else []
            raise KeyError(f"no {key!r} in this history; recorded: {known}")
        return [record[key] for record in self.epochs]

    @property
    def last(self) -> dict[str, float]:
        """The record of the final epoch."""
        if not self.epochs:
            raise ValueError("the history is empty: no epoch has finished")
        return self.epochs[-1]

    def plot(self, keys: Sequence[str] | None = None, ax=None, title: str | None = None):
        """Plot losses and metrics per epoch (see :func:`dlcourse.plotting.plot_history`)."""
        from .plotting import plot_history

        return plot_history(self, keys=keys, ax=ax, title=title)


def _to(batch: object, device: torch.device) -> object:
    """``batch`` with every tensor in it (nested in tuples, lists and dicts) moved to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)) and not hasattr(batch, "_fields"):
        return type(batch)(_to(v, device) for v in batch)
    return batch


def _batch_len(*values: object) -> int:
    """The number of rows of the first tensor found in ``values`` (searched in order, nested); 1 if none."""
    for v in values:
        if isinstance(v, torch.Tensor):
            return int(v.shape[0]) if v.ndim else 1
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, (tuple, list)) and v:
            n = _batch_len(*v)
            if n:
                return n
    return 1


def _pair_batch(model: nn.Module, batch: object) -> tuple[object, object]:
    """The default ``batch_fn``: a batch is ``(X, y)``; the output is ``model(X)``."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError("a batch must be an (inputs, targets) pair; for other batches pass "
                        f"batch_fn(model, batch) -> (output, target) (got a {type(batch).__name__})")
    X, y = batch
    return model(X), y


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, loss_fn: Callable | None = None,
             metrics: Mapping[str, Metric] | None = None, batch_size: int = 1024,
             device: torch.device | str | None = None, *, batch_fn: BatchFn | None = None) -> dict[str, float]:
    """Average loss and metrics of ``model`` over ``data``, in eval mode.

    The loss is averaged over examples: each batch's (mean) loss is weighted by its number of rows (of the target,
    else of the first tensor in the batch), so a short last batch counts for what it holds. Metrics are computed
    once on all outputs and targets concatenated.
    """
    device = get_device(device) if not isinstance(device, torch.device) else device
    batch_fn = batch_fn or _pair_batch
    loader = make_loader(data, batch_size=batch_size)
    was_training = model.training
    model.eval()
    outputs, targets, total_loss, count = [], [], 0.0, 0
    for batch in loader:
        out, y = batch_fn(model, _to(batch, device))
        n = _batch_len(y, out)
        if loss_fn is not None:
            total_loss += loss_fn(out, y).item() * n
        count += n
        if metrics:
            outputs.append(out)
            targets.append(y)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the data is empty")
    result = {}
    if loss_fn is not None:
        result["loss"] = total_loss / count
    if metrics:
        out, y = torch.cat(outputs), torch.cat(targets)
        for name, metric in metrics.items():
            result[name] = float(metric(out, y))
    return result


class Callback:
    """Hooks :func:`fit` calls; override what you need. ``on_epoch_end`` returns True to stop training."""

    def on_train_begin(self, model: nn.Module, history: History) -> None:
        """Before the first epoch."""

    def on_step_end(self, model: nn.Module, history: History, step: int) -> None:
        """After each optimizer step; ``step`` counts them from 1 over the whole run."""

    def on_epoch_end(self, model: nn.Module, history: History) -> bool | None:
        """After each epoch's record (``history.last``) is complete; return True to stop."""
        return None

    def on_train_end(self, model: nn.Module, history: History) -> None:
        """After the last epoch, also when stopped early (not after an exception)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` (a key of the epoch record, e.g. ``"valid_loss"``) has not improved by more than
    ``min_delta`` for ``patience`` epochs; with ``restore_best``, reload the best epoch's weights at the end.

    After training, ``best_epoch``, ``best`` (the monitored value) and ``stopped_epoch`` (None if it never fired)
    tell what happened; ``history.stopped_epoch`` is set too.
    """

    def __init__(self, monitor: str = "valid_loss", patience: int = 3, min_delta: float = 0.0, mode: str = "min",
                 restore_best: bool = True):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be a non-negative int, got {patience!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.restore_best = restore_best

    def on_train_begin(self, model: nn.Module, history: History) -> None:
        self.best, self.best_epoch, self.stopped_epoch, self._wait, self._state = None, None, None, 0, None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta

    def on_epoch_end(self, model: nn.Module, history: History) -> bool:
        record = history.last
        if self.monitor not in record:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, which is not recorded; recorded: "
                           f"{sorted(record)} (pass valid= to fit for valid_* keys)")
        value = record[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, record["epoch"], 0
            if self.restore_best:
                self._state = copy.deepcopy(model.state_dict())
            return False
        self._wait += 1
        if self._wait > self.patience:
            self.stopped_epoch = history.stopped_epoch = record["epoch"]
            return True
        return False

    def on_train_end(self, model: nn.Module, history: History) -> None:
        if self.restore_best and self._state is not None:
            model.load_state_dict(self._state)


def _train_loader(train: Data, batch_size: int, generator: torch.Generator | None) -> DataLoader | TensorBatches:
    """The shuffled training loader of a run without ``seed=``: the order comes from ``generator``."""
    return make_loader(train, batch_size=batch_size, shuffle=True, generator=generator)


class SeededBatches:
    """The batches of one epoch in the order ``(seed, epoch)`` fixes, for this process's rank.

    Epoch ``e`` (0-based) draws ``randperm(n)`` from a generator seeded with ``seed + e``, and rank ``r`` of ``W``
    takes ``perm[r::W]`` (:func:`dlcourse.distributed.shard_indices`, ``DistributedSampler``'s order); its shard is
    cut into batches of ``batch_size``. ``skip`` leaves out the first batches (a resumed run).
    """

    def __init__(self, data: Data, batch_size: int, seed: int, world: distributed.World):
        if isinstance(data, DataLoader):
            raise TypeError("fit(seed=...) draws its own order, so train must be (X, y) tensors or a Dataset, "
                            "not a DataLoader")
        self.dataset = make_loader(data, batch_size=batch_size).dataset
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size, self.seed, self.world = batch_size, seed, world
        self.n = len(self.dataset)

    def __len__(self) -> int:
        per_rank = math.ceil(self.n / self.world.size)
        return math.ceil(per_rank / self.batch_size)

    def epoch(self, epoch: int, skip: int = 0):
        """Yield the batches of ``epoch`` (0-based), leaving out the first ``skip``."""
        order = distributed.shard_indices(self.n, self.seed, epoch, self.world.rank, self.world.size)
        for start in range(skip * self.batch_size, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset):
                yield tuple(t[idx] for t in self.dataset.tensors)
            else:
                yield default_collate([self.dataset[int(i)] for i in idx])


def _check_finite(values: Mapping[str, float], epoch: int) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise FloatingPointError(f"{name} became {value} at epoch {epoch}; try a smaller learning rate")


def fit(model: nn.Module, train: Data, *, loss_fn: Callable | None = None, optimizer,
        epochs: int = 1, batch_size: int = 64, valid: Data | None = None,
        metrics: Mapping[str, Metric] | None = None, scheduler=None, scheduler_interval: str = "batch",
        device: torch.device | str | None = None, generator: torch.Generator | None = None,
        progress: bool = True, desc: str = "training", batch_fn: BatchFn | None = None,
        step_fn: StepFn | None = None, clip_grad_norm: float | None = None, accumulate: int = 1,
        amp: bool = False, callbacks: Sequence[Callback] = (), max_steps: int | None = None,
        seed: int | None = None, checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int | None = None, resume: bool = False) -> History:
    """Train ``model`` for ``epochs`` passes over ``train`` and return its :class:`History`.

    Args:
        model: any ``nn.Module``; it is moved to ``device``.
        train: ``(X, y)`` tensors (shuffled each epoch), a Dataset, or a ready DataLoader.
        loss_fn: ``loss_fn(output, target)`` returns a scalar tensor (the mean over the batch).
        optimizer: anything with torch's ``zero_grad()``/``step()`` (``torch.optim``, ``dlcourse.optim``); with
            ``step_fn``, any object (e.g. ``{"G": opt_g, "D": opt_d}``), handed to ``step_fn`` untouched.
        epochs: number of passes over the training data.
        batch_size: minibatch size when ``train`` is not already a DataLoader.
        valid: optional held-out data, evaluated after every epoch (``valid_loss``, ``valid_<metric>``).
        metrics: name -> ``metric(outputs, targets)``, computed on ``train`` batches (not with ``step_fn``)
            and on ``valid``.
        scheduler: optional learning-rate scheduler, stepped after every optimizer step or every epoch
            (``scheduler_interval`` = ``"batch"`` or ``"epoch"``).
        device: where to train; ``None`` picks cuda, then mps, then cpu.
        generator: random generator for shuffling (see :func:`dlcourse.seeding.seed_everything`).
        progress: show a progress bar (tqdm, on stderr).
        batch_fn: ``batch_fn(model, batch) -> (output, target)`` for batches that are not ``(X, y)`` pairs;
            used for training and for ``valid``.
        step_fn: ``step_fn(model, batch, optimizer) -> {name: float}`` does a whole training step itself (zero the
            gradients, forward, backward, step) and returns the losses to log: each becomes ``train_<name>`` per
            epoch (averaged over examples); the first is also ``history.step_losses``. Excludes ``loss_fn`` for
            training (it still scores ``valid``), ``clip_grad_norm``, ``accumulate`` and ``amp``, which
            ``step_fn`` does itself if it wants them.
        clip_grad_norm: clip the norm of all gradients together to at most this before each step.
        accumulate: sum the gradients of this many batches before each optimizer step.
        amp: mixed precision on CUDA (autocast to float16, dynamic loss scaling); a warning elsewhere.
        callbacks: :class:`Callback` objects, e.g. :class:`EarlyStopping`.
        max_steps: stop after this many optimizer steps (batches with ``step_fn``), even mid-epoch; the partial
            epoch is recorded. ``epochs`` still bounds the run.
        seed: fix the data order of every epoch by ``(seed, epoch)`` (see :class:`SeededBatches`) instead of
            ``generator``; needed to resume mid-epoch and to train on several processes.
        checkpoint_dir: folder of ``checkpoint.pt``, written every ``checkpoint_every`` optimizer steps and at the
            end (rank 0 only; needs ``seed``).
        checkpoint_every: optimizer steps between checkpoints.
        resume: continue from ``checkpoint_dir/checkpoint.pt`` if it exists (model, optimizer, scheduler, random
            generators, history, position in the data).

    Returns:
        A :class:`History` with per-epoch ``train_loss`` (or ``train_<name>``), metrics, ``seconds`` and
        validation numbers.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if scheduler_interval not in ("batch", "epoch"):
        raise ValueError(f"scheduler_interval must be 'batch' or 'epoch', got {scheduler_interval!r}")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be a positive int or None, got {max_steps!r}")
    if not isinstance(accumulate, int) or accumulate < 1:
        raise ValueError(f"accumulate must be a positive int, got {accumulate!r}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be a positive number or None, got {clip_grad_norm!r}")
    if step_fn is not None:
        extras = {"clip_grad_norm": clip_grad_norm is not None, "accumulate": accumulate != 1, "amp": amp}
        if any(extras.values()):
            raise ValueError(f"step_fn does the whole step itself; drop {[k for k, v in extras.items() if v]} "
                             "(apply them inside step_fn)")
    elif loss_fn is None:
        raise ValueError("fit needs loss_fn(output, target), or step_fn(model, batch, optimizer) for a custom step")
    for name in ("zero_grad", "step") if step_fn is None else ():
        if not callable(getattr(optimizer, name, None)):
            raise TypeError(f"optimizer must have torch's {name}() (torch.optim or dlcourse.optim), "
                            f"got {type(optimizer).__name__}")
    device = get_device(device) if not isinstance(device, torch.device) else device
    world = distributed.init_from_env(device)
    if checkpoint_every is not None and (not isinstance(checkpoint_every, int) or checkpoint_every < 1):
        raise ValueError(f"checkpoint_every must be a positive int, got {checkpoint_every!r}")
    if (checkpoint_dir is None) != (checkpoint_every is None):
        raise ValueError("pass checkpoint_dir and checkpoint_every together")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir")
    if seed is None and (checkpoint_dir is not None or world.distributed):
        raise ValueError("pass seed= to fit: resuming mid-epoch and training on several processes need a data "
                         "order fixed by (seed, epoch)")
    if amp and device.type != "cuda":
        warnings.warn(f"amp=True: mixed precision runs on CUDA only; training in float32 on {device.type}",
                      RuntimeWarning, stacklevel=2)
        amp = False
    batch_fn = batch_fn or _pair_batch
    scaler = torch.amp.GradScaler("cuda") if amp else None

    def autocast():
        return torch.autocast("cuda", dtype=torch.float16) if amp else contextlib.nullcontext()

    model.to(device)
    net = distributed.wrap_model(model, device)          # DistributedDataParallel under torchrun, else the model
    seeded = SeededBatches(train, batch_size, seed, world) if seed is not None else None
    loader = seeded if seeded is not None else _train_loader(train, batch_size, generator)
    history = History()
    first_epoch, skip, step, partial = 1, 0, 0, None
    checkpoint = Path(checkpoint_dir) / "checkpoint.pt" if checkpoint_dir is not None else None
    if resume and checkpoint.exists():
        saved = load_checkpoint(checkpoint, model=model, optimizer=optimizer, scheduler=scheduler,
                                map_location=device)
        first_epoch, skip, step = (saved["position"][k] for k in ("epoch", "batch", "step"))
        history.epochs, history.step_losses = saved["history"]["epochs"], saved["history"]["step_losses"]
        partial = saved["extra"]
    for cb in callbacks:
        cb.on_train_begin(model, history)
    main = world.rank == 0
    total_batches = (epochs - first_epoch + 1) * len(loader) - skip
    if max_steps is not None:
        total_batches = min(total_batches, max(max_steps - step, 0) * accumulate)
    bar = tqdm(total=total_batches, desc=desc, disable=not (progress and main), mininterval=0.5, leave=False)

    def save(epoch: int, batch: int, totals: dict, count: int, sums: dict, start: float) -> None:
        if checkpoint is not None and main:
            save_checkpoint(checkpoint, model=model, optimizer=optimizer, scheduler=scheduler,
                            position={"epoch": epoch, "batch": batch, "step": step},
                            history={"epochs": history.epochs, "step_losses": history.step_losses},
                            extra={"totals": totals, "count": count, "sums": sums,
                                   "seconds": time.perf_counter() - start})

    def optimizer_step() -> None:
        if clip_grad_norm is not None:
            if scaler is not None:
                scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], clip_grad_norm)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        if scheduler is not None and scheduler_interval == "batch":
            scheduler.step()

    try:
        for epoch in range(first_epoch, epochs + 1):
            model.train()
            start = time.perf_counter()
            totals: dict[str, float] = {}
            count = 0
            sums = {name: 0.0 for name in (metrics or {})} if step_fn is None else {}
            if partial is not None:          # resuming mid-epoch: the sums of the batches already done
                totals, count, sums = dict(partial["totals"]), partial["count"], dict(partial["sums"])
                start -= partial["seconds"]
                partial = None
            n_batches = len(loader)
            batches = seeded.epoch(epoch - 1, skip) if seeded is not None else loader
            for index, batch in enumerate(batches, start=skip):
                batch = _to(batch, device)
                stepped = False
                if step_fn is not None:
                    logged = {k: float(v) for k, v in step_fn(net, batch, optimizer).items()}
                    stepped = True
                    _check_finite(logged, epoch)
                    n = _batch_len(batch)
                    if scheduler is not None and scheduler_interval == "batch":
                        scheduler.step()
                else:
                    group_start = index - index % accumulate
                    group = min(accumulate, n_batches - group_start)      # batches in this accumulation group
                    if index == group_start:
                        optimizer.zero_grad()
                    with autocast():
                        out, y = batch_fn(net, batch)
                        loss = loss_fn(out, y)
                    value = loss.item()
                    if not math.isfinite(value):
                        raise FloatingPointError(f"loss became {value} at epoch {epoch}; try a smaller learning rate")
                    scaled = loss / group if group > 1 else loss
                    sync = index == group_start + group - 1 or not hasattr(net, "no_sync")
                    with contextlib.nullcontext() if sync else net.no_sync():   # DDP: all-reduce on the last one
                        (scaler.scale(scaled) if scaler is not None else scaled).backward()
                    if index == group_start + group - 1:
                        optimizer_step()
                        stepped = True
                    logged = {"loss": value}
                    n = _batch_len(y, out)
                    for name, metric in (metrics or {}).items():
                        sums[name] += float(metric(out.detach(), y)) * n
                first = next(iter(logged.values()), float("nan"))
                history.step_losses.append(first)
                for k, v in logged.items():
                    totals[k] = totals.get(k, 0.0) + v * n
                count += n
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{first:.4f}", refresh=False)
                if stepped:
                    step += 1
                    if checkpoint is not None and step % checkpoint_every == 0:
                        save(epoch, index + 1, totals, count, sums, start)
                    for cb in callbacks:
                        cb.on_step_end(model, history, step)
                if max_steps is not None and step >= max_steps:
                    break
            skip = 0
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            record: dict[str, float] = {"epoch": epoch}
            record.update({f"train_{k}": distributed.all_reduce_mean(v / max(count, 1), device)
                           for k, v in totals.items()})
            record.update({f"train_{name}": distributed.all_reduce_mean(s / max(count, 1), device)
                           for name, s in sums.items()})
            if valid is not None and (loss_fn is not None or metrics):
                scores = evaluate(model, valid, loss_fn, metrics, device=device, batch_fn=batch_fn)
                record.update({f"valid_{name}": value for name, value in scores.items()})
            record["seconds"] = time.perf_counter() - start
            history.epochs.append(record)
            stop = [bool(cb.on_epoch_end(model, history)) for cb in callbacks]
            if any(stop) or (max_steps is not None and step >= max_steps):
                break
    finally:
        bar.close()
    save(epochs + 1, 0, {}, 0, {}, time.perf_counter())
    for cb in callbacks:
        cb.on_train_end(model, history)
    return history
