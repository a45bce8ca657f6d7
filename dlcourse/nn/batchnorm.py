"""Batch normalisation from scratch, mirroring ``torch.nn.BatchNorm1d`` and ``BatchNorm2d``
(book: Chapter 6, "Batch normalisation").

Ioffe and Szegedy (2015): normalise every channel with the mean and variance of the current mini-batch, then let
the network rescale it (``weight``, ``bias``). In training mode, for a channel's values ``x`` in the batch::

    mu = mean(x),  var = mean((x - mu)^2)                       (biased: used to normalise)
    y = (x - mu) / sqrt(var + eps) * weight + bias
    running_mean = (1 - momentum) * running_mean + momentum * mu
    running_var  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)   (unbiased)

``momentum=None`` replaces ``momentum`` by ``1 / num_batches_tracked``: a plain average over all batches so far.
In eval mode the running statistics replace the batch's, so an example's output no longer depends on the others
in its batch. Without ``track_running_stats`` there are no running statistics and eval uses the batch's too.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["batch_norm", "BatchNorm1d", "BatchNorm2d"]


def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> torch.Tensor:
    """Normalise ``input`` (N, C, *) per channel C; with ``training`` use the batch's statistics and update
    ``running_mean``/``running_var`` in place (if given), otherwise use the running statistics."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, *), got shape {tuple(input.shape)}")
    dims = [0, *range(2, input.ndim)]
    shape = [1, input.shape[1]] + [1] * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        mean = input.mean(dim=dims)
        var = (input - mean.view(shape)).square().mean(dim=dims)        # biased, to normalise
        if running_mean is not None and running_var is not None:
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach(), alpha=momentum)
                running_var.mul_(1 - momentum).add_(var.detach() * count / (count - 1), alpha=momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in eval mode needs running_mean and running_var")
        mean, var = running_mean, running_var
    out = (input - mean.view(shape)) * torch.rsqrt(var.view(shape) + eps)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out


class _BatchNorm(nn.Module):
    _expected: tuple[int, ...] = ()
    _expected_text = ""

    def __init__(self, num_features: int, eps: float = 1e-05, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **factory))
            self.bias = nn.Parameter(torch.zeros(num_features, **factory)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked",
                                 torch.tensor(0, dtype=torch.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.ndim not in self._expected:
            raise ValueError(f"expected {self._expected_text} input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) got {input.shape[1]} channels in input "
                             f"of shape {tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats   # update the buffers only when tracking them
        return batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                          self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """``torch.nn.BatchNorm1d``: input (N, C) or (N, C, L); parameters ``weight``, ``bias``; buffers
    ``running_mean``, ``running_var``, ``num_batches_tracked``."""

    _expected = (2, 3)
    _expected_text = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """``torch.nn.BatchNorm2d``: input (N, C, H, W); statistics per channel over N, H and W."""

    _expected = (4,)
    _expected_text = "4D"
