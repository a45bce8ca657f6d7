"""Loss against model size and against data for a family of tiny Transformers (book: Chapter 7, "Scaling").

Kaplan et al. (2020) found that a language model's test loss falls as a power law in the number of (non-embedding)
parameters N when data is plentiful, ``L(N) = (N_c / N)^alpha_N`` with ``alpha_N ~ 0.076``, and likewise in the
number of training tokens D (``alpha_D ~ 0.095``). Here, at toy scale, each :class:`~dlcourse.models.transformer.GPT`
of a family of widths trains for the same number of steps on Chapter 5's character corpus; then one width trains
on growing slices of the text. A straight line in log-log coordinates is fitted to each series; its slope is minus
the exponent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import runtime
from ..data.text import load_char_corpus
from ..models.transformer import GPT, GPTConfig
from .transformer_lm import train_lm

__all__ = ["Config", "QUICK", "FULL", "config", "fit_power_law", "ScalingResult", "run"]


@dataclass(frozen=True)
class Config:
    widths: tuple[int, ...]          # n_embd of the model-size series
    data_width: int                  # n_embd of the data series
    data_chars: tuple[int, ...]      # training characters of the data series
    n_layer: int
    n_head: int
    seq_len: int
    batch_size: int
    steps: int
    lr: float
    max_chars: int


QUICK = Config(widths=(4, 8, 16, 32), data_width=32, data_chars=(500, 4_000, 32_000), n_layer=2, n_head=2,
               seq_len=32, batch_size=32, steps=120, lr=5e-3, max_chars=200_000)
FULL = Config(widths=(16, 32, 64, 128, 256, 512), data_width=256,
              data_chars=(30_000, 100_000, 300_000, 1_000_000, 3_000_000), n_layer=4, n_head=4, seq_len=128,
              batch_size=64, steps=5_000, lr=3e-3, max_chars=3_000_000)


def config(size: str | None = None) -> Config:
    """QUICK (CPU, within the notebook budget) or FULL (a GPU), chosen by ``dlcourse.runtime.size()``."""
    return FULL if (size or runtime.size()) == "full" else QUICK


def fit_power_law(x: list[float], loss: list[float]) -> tuple[float, float]:
    """Least-squares line through ``(log x, log loss)``: returns ``(alpha, a)`` with ``loss ~ a * x^(-alpha)``."""
    lx, ly = torch.tensor(x, dtype=torch.float64).log(), torch.tensor(loss, dtype=torch.float64).log()
    A = torch.stack([lx, torch.ones_like(lx)], dim=1)
    slope, intercept = torch.linalg.lstsq(A, ly[:, None]).solution[:, 0].tolist()
    return -slope, math.exp(intercept)


@dataclass
class ScalingResult:
    config: Config
    params: list[int]               # non-embedding parameters of each width
    size_losses: list[float]        # validation loss of each width
    data_chars: list[int]
    data_losses: list[float]
    alpha_n: float
    alpha_d: float


def run(cfg: Config | None = None, seed: int = 0, device: torch.device | str | None = None,
        progress: bool = True) -> ScalingResult:
    """Train the model-size series and the data series; fit both exponents."""
    cfg = cfg or config()
    corpus = load_char_corpus("source", max_chars=cfg.max_chars)
    V = len(corpus.vocab)

    def train(width: int, text: torch.Tensor, name: str) -> tuple[int, float]:
        torch.manual_seed(seed)
        model = GPT(GPTConfig(vocab_size=V, block_size=cfg.seq_len, n_layer=cfg.n_layer, n_head=cfg.n_head,
                              n_embd=width))
        if device is not None:
            model.to(device)
        r = train_lm(model, text, corpus.valid, seq_len=cfg.seq_len, batch_size=cfg.batch_size, lr=cfg.lr,
                     steps=cfg.steps, seed=seed, name=name, eval_batches=4, progress=progress)
        non_embedding = model.num_params() - model.wte.weight.numel()
        return non_embedding, r.valid_loss

    sizes = [train(w, corpus.train, f"n_embd={w}") for w in cfg.widths]
    data = [train(cfg.data_width, corpus.train[:n], f"{n} chars")[1] for n in cfg.data_chars]
    params, size_losses = [p for p, _ in sizes], [loss for _, loss in sizes]
    alpha_n, _ = fit_power_law(params, size_losses)
    alpha_d, _ = fit_power_law(list(cfg.data_chars), data)
    return ScalingResult(cfg, params, size_losses, list(cfg.data_chars), data, alpha_n, alpha_d)
