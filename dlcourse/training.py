"""A small, device-agnostic training loop with a progress bar and a history (book: Preface).

Every chapter trains models the same way, so the loop lives here once::

    history = fit(model, (X_train, y_train), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.Adam(model.parameters(), 1e-3), epochs=10,
                  valid=(X_test, y_test), metrics={"accuracy": accuracy})
    history.plot()

The model is moved to ``device`` (default: :func:`dlcourse.device.get_device`) and each batch follows it,
so the same call runs on cpu, cuda or mps.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from tqdm import tqdm

from .device import get_device

__all__ = ["History", "fit", "evaluate", "accuracy", "make_loader"]

Metric = Callable[[torch.Tensor, torch.Tensor], float]
Data = tuple[torch.Tensor, torch.Tensor] | Dataset | DataLoader


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


def make_loader(data: Data, batch_size: int = 64, shuffle: bool = False,
                generator: torch.Generator | None = None) -> DataLoader:
    """Wrap ``(X, y)`` tensors or a Dataset in a DataLoader; pass a DataLoader through unchanged."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        dataset = data
    elif isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        X, y = data
        if len(X) != len(y):
            raise ValueError(f"inputs and targets differ in length: {len(X)} vs {len(y)}")
        dataset = TensorDataset(X, y)
    else:
        raise TypeError("data must be an (inputs, targets) pair of tensors, a Dataset or a DataLoader, "
                        f"got {type(data).__name__}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


@dataclass
class History:
    """What happened during training: one record per epoch and the loss of every step.

    Attributes:
        epochs: list of dicts, e.g. ``{"epoch": 1, "train_loss": 0.41, "valid_loss": 0.38,
            "valid_accuracy": 0.9, "seconds": 0.8}``.
        step_losses: training loss of every optimisation step.
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)

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


def _to(batch: Iterable[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    return [t.to(device, non_blocking=True) for t in batch]


@torch.no_grad()
def evaluate(model: nn.Module, data: Data, loss_fn: Callable | None = None,
             metrics: Mapping[str, Metric] | None = None, batch_size: int = 1024,
             device: torch.device | str | None = None) -> dict[str, float]:
    """Average loss and metrics of ``model`` over ``data`` (weighted by batch size), in eval mode."""
    device = get_device(device) if not isinstance(device, torch.device) else device
    loader = make_loader(data, batch_size=batch_size)
    was_training = model.training
    model.eval()
    outputs, targets, total_loss, count = [], [], 0.0, 0
    for X, y in loader:
        X, y = _to((X, y), device)
        out = model(X)
        if loss_fn is not None:
            total_loss += loss_fn(out, y).item() * len(X)
        count += len(X)
        outputs.append(out)
        targets.append(y)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the data is empty")
    result = {}
    if loss_fn is not None:
        result["loss"] = total_loss / count
    out, y = torch.cat(outputs), torch.cat(targets)
    for name, metric in (metrics or {}).items():
        result[name] = float(metric(out, y))
    return result


def fit(model: nn.Module, train: Data, *, loss_fn: Callable, optimizer: torch.optim.Optimizer,
        epochs: int = 1, batch_size: int = 64, valid: Data | None = None,
        metrics: Mapping[str, Metric] | None = None, scheduler=None, scheduler_interval: str = "batch",
        device: torch.device | str | None = None, generator: torch.Generator | None = None,
        progress: bool = True, desc: str = "training") -> History:
    """Train ``model`` for ``epochs`` passes over ``train`` and return its :class:`History`.

    Args:
        model: any ``nn.Module``; it is moved to ``device``.
        train: ``(X, y)`` tensors (shuffled each epoch), a Dataset, or a ready DataLoader.
        loss_fn: ``loss_fn(model(X), y)`` returns a scalar tensor.
        optimizer: built on ``model.parameters()``.
        epochs: number of passes over the training data.
        batch_size: minibatch size when ``train`` is not already a DataLoader.
        valid: optional held-out data, evaluated after every epoch (``valid_loss``, ``valid_<metric>``).
        metrics: name -> ``metric(outputs, targets)``, computed on ``train`` batches and ``valid``.
        scheduler: optional learning-rate scheduler, stepped every batch or every epoch
            (``scheduler_interval`` = ``"batch"`` or ``"epoch"``).
        device: where to train; ``None`` picks cuda, then mps, then cpu.
        generator: random generator for shuffling (see :func:`dlcourse.seeding.seed_everything`).
        progress: show a progress bar (tqdm, on stderr).

    Returns:
        A :class:`History` with per-epoch ``train_loss``, metrics, ``seconds`` and validation numbers.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if scheduler_interval not in ("batch", "epoch"):
        raise ValueError(f"scheduler_interval must be 'batch' or 'epoch', got {scheduler_interval!r}")
    device = get_device(device) if not isinstance(device, torch.device) else device
    model.to(device)
    loader = make_loader(train, batch_size=batch_size, shuffle=True, generator=generator)
    history = History()
    bar = tqdm(total=epochs * len(loader), desc=desc, disable=not progress, mininterval=0.5, leave=False)
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            start = time.perf_counter()
            total, count = 0.0, 0
            sums = {name: 0.0 for name in (metrics or {})}
            for X, y in loader:
                X, y = _to((X, y), device)
                optimizer.zero_grad(set_to_none=True)
                out = model(X)
                loss = loss_fn(out, y)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch}; "
                                             "try a smaller learning rate")
                loss.backward()
                optimizer.step()
                if scheduler is not None and scheduler_interval == "batch":
                    scheduler.step()
                value = loss.item()
                history.step_losses.append(value)
                total += value * len(X)
                count += len(X)
                for name, metric in (metrics or {}).items():
                    sums[name] += float(metric(out.detach(), y)) * len(X)
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{value:.4f}", refresh=False)
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            record = {"epoch": epoch, "train_loss": total / max(count, 1)}
            record.update({f"train_{name}": s / max(count, 1) for name, s in sums.items()})
            if valid is not None:
                scores = evaluate(model, valid, loss_fn, metrics, device=device)
                record.update({f"valid_{name}": value for name, value in scores.items()})
            record["seconds"] = time.perf_counter() - start
            history.epochs.append(record)
    finally:
        bar.close()
    return history
