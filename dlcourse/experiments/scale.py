"""The scale figure, reproduced by experiment (book: Chapter 1, "Data: the scale figure").

The lecture's sketch: as the amount of labelled data ``m`` grows, traditional learners (logistic regression, an
SVM) level off, while small, medium and large neural networks keep improving, the large one best at large ``m``.
:func:`run_scale_experiment` measures this on :func:`dlcourse.data.make_interference_task`: every model is
trained on nested prefixes of one training pool (sizes ``m``) and scored on one fixed test set.

Models (``MODELS``):

- ``"logistic regression"``: scikit-learn, lbfgs, on standardised inputs;
- ``"SVM (RBF)"``: scikit-learn ``SVC`` with default ``C`` and ``gamma="scale"``; its fit time grows roughly
  like :math:`m^2`, so it is only run up to ``svm_max_m`` (10,000 by default) and the figure says so;
- ``"small net"`` (one hidden layer of 8 ReLU units), ``"medium net"`` (one of 64), ``"large net"`` (two of 128):
  Adam with a one-cycle learning-rate schedule, ``epochs`` passes of batches of ``batch_size`` and at least
  ``min_steps`` steps, so that small ``m`` still gets a fair number of updates.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..data.synthetic import make_interference_task
from ..device import get_device
from ..models.mlp import MLP
from ..training import fit

__all__ = ["MODELS", "NETWORKS", "DEFAULT_SIZES", "Config", "QUICK", "FULL", "config", "train_mlp",
           "run_scale_experiment", "plot_scale_experiment"]

NETWORKS = {"small net": (8,), "medium net": (64,), "large net": (128, 128)}
MODELS = ("logistic regression", "SVM (RBF)", *NETWORKS)
DEFAULT_SIZES = (100, 300, 1_000, 3_000, 10_000, 25_000, 50_000)


@dataclass(frozen=True)
class Config:
    """Training-set sizes and the SVM's cap; the networks' training length is the same at both sizes."""

    sizes: tuple[int, ...]
    svm_max_m: int = 10_000


#: A CPU within Chapter 1's budget: the curves up to 25,000 examples.
QUICK = Config(sizes=(100, 300, 1_000, 3_000, 10_000, 25_000))
#: A GPU (or patience): up to 100,000 examples, the SVM up to 25,000.
FULL = Config(sizes=(100, 300, 1_000, 3_000, 10_000, 25_000, 50_000, 100_000), svm_max_m=25_000)


def config(size: str | None = None) -> Config:
    """:data:`FULL` when the size (``DLCOURSE_SIZE``, see :func:`dlcourse.runtime.size`) is ``"full"``."""
    from ..runtime import size as current_size

    return FULL if (size or current_size()) == "full" else QUICK


def train_mlp(X: torch.Tensor, y: torch.Tensor, hidden: Sequence[int], *, epochs: int = 20,
              min_steps: int = 300, batch_size: int = 1024, max_lr: float = 1e-2, seed: int = 0,
              device: torch.device | str | None = None) -> nn.Module:
    """Train a binary ReLU MLP with Adam and :class:`torch.optim.lr_scheduler.OneCycleLR`.

    Args:
        X: (m, d) float inputs; y: (m,) labels in {0, 1}.
        hidden: hidden-layer widths.
        epochs: passes over the data; the number of steps is ``max(min_steps, epochs * ceil(m / batch))``.
        batch_size: minibatch size (the whole set when ``m`` is smaller).
        max_lr: peak learning rate of the one-cycle schedule.
        seed: seed of the initial weights and of the batch order.
        device: where to train (``None``: :func:`dlcourse.get_device`).

    Returns:
        The trained model (on ``device``, in eval mode), returning one logit per row.
    """
    device = get_device(device) if not isinstance(device, torch.device) else device
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = MLP(X.shape[1], hidden, 1).to(device)
    X, y = X.to(device), y.to(device=device, dtype=X.dtype)
    m = len(X)
    batch = min(batch_size, m)
    per_epoch = math.ceil(m / batch)
    steps = max(min_steps, epochs * per_epoch)
    optimizer = torch.optim.Adam(model.parameters(), lr=max_lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps)
    fit(model, (X, y), loss_fn=nn.BCEWithLogitsLoss(), optimizer=optimizer, scheduler=scheduler,
        epochs=math.ceil(steps / per_epoch), max_steps=steps, batch_size=batch, device=device, generator=generator,
        batch_fn=lambda net, b: (net(b[0]).squeeze(1), b[1]), progress=False)
    return model.eval()


@torch.no_grad()
def _net_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    device = next(model.parameters()).device
    logits = model(X.to(device)).squeeze(1)
    return ((logits > 0).long().cpu() == y).float().mean().item()


def run_scale_experiment(sizes: Sequence[int] = DEFAULT_SIZES, n_test: int = 10_000, models: Sequence[str] = MODELS,
                         svm_max_m: int = 10_000, epochs: int = 20, min_steps: int = 300, seed: int = 0,
                         pattern_seed: int = 0, device: torch.device | str | None = None,
                         **task_kwargs) -> list[dict]:
    """Train every model on nested training sets of the given sizes and score it on one test set.

    Args:
        sizes: increasing training-set sizes ``m``; the set of size ``m`` is the first ``m`` rows of one pool.
        n_test: size of the fixed test set.
        models: names from :data:`MODELS`.
        svm_max_m: the SVM is skipped above this ``m`` (its fit time grows about like ``m**2``).
        epochs, min_steps: training length of the networks (see :func:`train_mlp`).
        seed: seed of the data and of the networks' initialisation.
        pattern_seed: which hidden pattern (see :func:`~dlcourse.data.make_interference_task`).
        device: where the networks train (``None``: :func:`dlcourse.get_device`).
        **task_kwargs: passed to :func:`~dlcourse.data.make_interference_task` (``dim``, ``omega``, ...).

    Returns:
        A list of rows, one per (model, m) that was run, each a dict
        ``{"model": str, "m": int, "accuracy": float (test, in [0, 1]), "seconds": float (fit time)}``,
        ordered by model (in the order of ``models``) then by ``m``.
    """
    sizes = [int(m) for m in sizes]
    if not sizes or any(m < 2 for m in sizes) or sorted(set(sizes)) != sizes:
        raise ValueError(f"sizes must be strictly increasing ints >= 2, got {sizes}")
    unknown = [name for name in models if name not in MODELS]
    if unknown:
        raise ValueError(f"unknown models {unknown}; expected names from {MODELS}")
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    task = make_interference_task(sizes[-1] + n_test, seed=seed, pattern_seed=pattern_seed, **task_kwargs)
    X_pool, y_pool = task.X[:sizes[-1]], task.y[:sizes[-1]]
    X_test, y_test = task.X[sizes[-1]:], task.y[sizes[-1]:]
    Xn_pool, yn_pool, Xn_test, yn_test = X_pool.numpy(), y_pool.numpy(), X_test.numpy(), y_test.numpy()
    device = get_device(device) if not isinstance(device, torch.device) else device

    rows = []
    for name in models:
        for m in sizes:
            if name == "SVM (RBF)" and m > svm_max_m:
                continue
            start = time.perf_counter()
            if name in NETWORKS:
                model = train_mlp(X_pool[:m], y_pool[:m], NETWORKS[name], epochs=epochs, min_steps=min_steps,
                                  seed=seed, device=device)
                seconds = time.perf_counter() - start
                acc = _net_accuracy(model, X_test, y_test)
            else:
                if len(np.unique(yn_pool[:m])) < 2:
                    raise ValueError(f"the first {m} training examples hold only one class; use a larger m")
                if name == "logistic regression":
                    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
                else:
                    clf = SVC(kernel="rbf", gamma="scale")
                clf.fit(Xn_pool[:m], yn_pool[:m])
                seconds = time.perf_counter() - start
                acc = float((clf.predict(Xn_test) == yn_test).mean())
            rows.append({"model": name, "m": m, "accuracy": acc, "seconds": seconds})
    return rows


def plot_scale_experiment(rows: Sequence[dict], ax=None, svm_max_m: int | None = None):
    """Draw test accuracy against the amount of labelled data ``m`` (log x axis), one curve per model.

    Args:
        rows: the table returned by :func:`run_scale_experiment`.
        ax: matplotlib axes to draw on (a new figure when ``None``).
        svm_max_m: where the SVM curve was cut; marked on the figure (default: its largest ``m`` in ``rows``).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.2))
    styles = {"logistic regression": dict(color="tab:gray", ls="--", marker="s"),
              "SVM (RBF)": dict(color="tab:brown", ls="--", marker="D"),
              "small net": dict(color="tab:cyan", marker="o"),
              "medium net": dict(color="tab:blue", marker="o"),
              "large net": dict(color="navy", marker="o", lw=2.2)}
    names = [n for n in MODELS if any(r["model"] == n for r in rows)]
    for name in names:
        ms = [r["m"] for r in rows if r["model"] == name]
        acc = [100 * r["accuracy"] for r in rows if r["model"] == name]
        ax.plot(ms, acc, label=name, ms=4, **styles.get(name, {}))
    svm_ms = [r["m"] for r in rows if r["model"] == "SVM (RBF)"]
    all_ms = [r["m"] for r in rows]
    if svm_ms and (svm_max_m or max(svm_ms)) < max(all_ms):
        cut = svm_max_m or max(svm_ms)
        svm_last = [100 * r["accuracy"] for r in rows if r["model"] == "SVM (RBF)"][-1]
        ax.axvline(cut, color="tab:brown", lw=0.8, ls=":")
        ax.annotate(f"SVM stopped at m = {cut:,}\n(fit time grows ~ m²)", xy=(cut, svm_last),
                    xytext=(6, -28), textcoords="offset points", fontsize=8, color="tab:brown")
    ax.set_xscale("log")
    ax.set_xlabel("amount of labelled data m (training examples, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Performance vs amount of data")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax
