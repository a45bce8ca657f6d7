"""AlexNet's two-GPU split, at laptop scale: one network's units divided between two processes (book: "Scaling out").

Krizhevsky et al. (2012) could not fit their network on one 3 GB GTX 580, so they put half of every layer's kernels
on each of two GPUs. The GPUs exchanged activations only at some layers (into the third convolution and the fully
connected layers); elsewhere each half saw only the maps on its own GPU. :class:`TwoTowerMLP` keeps that pattern
with fully connected layers:

    x -> [fc1: each tower computes half of the hidden units from the whole input]      (no communication)
      -> [fc2: each tower maps its own half to its own half: block-diagonal weights]   (no communication)
      -> [all-gather: each tower receives the other's half]                            (communication)
      -> [fc3: each tower computes half of the outputs from the whole hidden layer]    (no communication)

:func:`split_forward` runs one tower per process with ``torch.distributed`` and counts what crossed between the
processes; :meth:`TwoTowerMLP.forward` computes the same network in one process. With a loss that is a sum over
output units (squared error), each tower computes the loss of its own outputs, and the two losses add up to the
unsplit network's. Outputs and gradients are equal (the test and the book's page check it with torchrun on two
CPU processes): one all-gather forward and one all-reduce backward per step is all that crosses.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["TwoTowerMLP", "AllGather", "split_forward", "Traffic"]


class TwoTowerMLP(nn.Module):
    """The unsplit network: ``fc2`` is block-diagonal, as if its two halves lived on two devices.

    Shapes: input (N, in_features) -> output (N, out_features); ``hidden`` must be even.
    """

    def __init__(self, in_features: int, hidden: int, out_features: int):
        super().__init__()
        if hidden % 2 or out_features % 2:
            raise ValueError(f"hidden and out_features must be even to split them between two towers, got {hidden} "
                             f"and {out_features}")
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, out_features)
        half = hidden // 2
        mask = torch.zeros(hidden, hidden)
        mask[:half, :half] = 1
        mask[half:, half:] = 1
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(x))
        h = torch.relu(nn.functional.linear(h, self.fc2.weight * self.mask, self.fc2.bias))
        return self.fc3(h)


class Traffic:
    """Counts the tensors and bytes one process sent to the others."""

    def __init__(self):
        self.messages = 0
        self.bytes = 0

    def add(self, t: torch.Tensor) -> None:
        self.messages += 1
        self.bytes += t.numel() * t.element_size()


class AllGather(torch.autograd.Function):
    """Concatenate every rank's piece along dim 1; backward hands each rank the gradient of its own piece.

    After the gather each rank computes only part of what follows (its half of the outputs), so the gradient that
    reaches the gathered tensor on one rank is only that part's contribution. The full gradient is their sum over
    ranks (an all-reduce); each rank keeps the slice of its own piece.
    """

    @staticmethod
    def forward(ctx, piece: torch.Tensor, traffic: Traffic) -> torch.Tensor:
        ctx.traffic, ctx.width = traffic, piece.shape[1]
        pieces = [torch.empty_like(piece) for _ in range(dist.get_world_size())]
        dist.all_gather(pieces, piece.contiguous())
        traffic.add(piece)
        return torch.cat(pieces, dim=1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous()
        dist.all_reduce(grad)
        ctx.traffic.add(grad)
        rank = dist.get_rank()
        return grad[:, rank * ctx.width:(rank + 1) * ctx.width], None


def split_forward(full: TwoTowerMLP, x: torch.Tensor, traffic: Traffic) -> tuple[torch.Tensor, dict[str, nn.Parameter]]:
    """Run this rank's tower of ``full``: rank 0 holds the first half of every layer's units, rank 1 the second.

    Args:
        full: the unsplit network, identical on both ranks (its weights are sliced, not shared).
        x: the input, (N, in_features), the same on both ranks.
        traffic: counts what this rank sends.

    Returns:
        This rank's half of the outputs, (N, out_features / 2), and its own parameters by name (copies of its
        slices of ``full``'s), e.g. ``"fc1.weight"`` of shape (hidden / 2, in_features).
    """
    if dist.get_world_size() != 2:
        raise ValueError(f"the two-tower split needs exactly 2 processes, got {dist.get_world_size()}")
    rank = dist.get_rank()
    h_half, o_half = full.fc1.out_features // 2, full.fc3.out_features // 2
    rows = slice(rank * h_half, (rank + 1) * h_half)
    outs = slice(rank * o_half, (rank + 1) * o_half)

    def own(t: torch.Tensor) -> nn.Parameter:
        return nn.Parameter(t.detach().clone())

    p = {"fc1.weight": own(full.fc1.weight[rows]), "fc1.bias": own(full.fc1.bias[rows]),
         "fc2.weight": own(full.fc2.weight[rows, rows]), "fc2.bias": own(full.fc2.bias[rows]),
         "fc3.weight": own(full.fc3.weight[outs]), "fc3.bias": own(full.fc3.bias[outs])}
    h = torch.relu(nn.functional.linear(x, p["fc1.weight"], p["fc1.bias"]))   # (N, hidden/2): this tower's units
    h = torch.relu(nn.functional.linear(h, p["fc2.weight"], p["fc2.bias"]))   # (N, hidden/2): no communication
    h = AllGather.apply(h, traffic)                                            # (N, hidden): the one exchange
    return nn.functional.linear(h, p["fc3.weight"], p["fc3.bias"]), p        # (N, out/2): this tower's outputs


def check_against_unsplit(seed: int = 0, n: int = 16, sizes: tuple[int, int, int] = (12, 16, 6)) -> dict:
    """On each of two ranks: run its tower, back-propagate its half of the squared error, and compare outputs and
    gradients with the unsplit network computed in this process. Returns the largest differences and the traffic.
    """
    torch.manual_seed(seed)
    full = TwoTowerMLP(*sizes).double()
    x = torch.randn(n, sizes[0], dtype=torch.float64)
    y = torch.randn(n, sizes[2], dtype=torch.float64)
    traffic = Traffic()
    out_half, params = split_forward(full, x, traffic)
    rank, o_half = dist.get_rank(), sizes[2] // 2
    outs = slice(rank * o_half, (rank + 1) * o_half)
    ((out_half - y[:, outs]) ** 2).sum().backward()

    reference = full(x)                                       # the whole network, in this process
    ((reference - y) ** 2).sum().backward()
    h_half = sizes[1] // 2
    rows = slice(rank * h_half, (rank + 1) * h_half)
    expected = {"fc1.weight": full.fc1.weight.grad[rows], "fc1.bias": full.fc1.bias.grad[rows],
                "fc2.weight": full.fc2.weight.grad[rows, rows], "fc2.bias": full.fc2.bias.grad[rows],
                "fc3.weight": full.fc3.weight.grad[outs], "fc3.bias": full.fc3.bias.grad[outs]}
    return {"rank": rank,
            "output_max_diff": (out_half - reference[:, outs]).abs().max().item(),
            "grad_max_diff": max((params[k].grad - v).abs().max().item() for k, v in expected.items()),
            "messages": traffic.messages, "bytes": traffic.bytes,
            "parameters_here": sum(p.numel() for p in params.values()),
            "parameters_unsplit": sum(p.numel() for p in full.parameters())}


def main(argv: list[str] | None = None) -> int:
    """Under torchrun with 2 processes: check the split against the unsplit network; rank 0 writes JSON."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description="AlexNet-style two-tower split vs the unsplit network")
    parser.add_argument("--out", required=True, help="JSON file rank 0 writes the results of both ranks to")
    args = parser.parse_args(argv)
    dist.init_process_group(backend="gloo")
    try:
        result = check_against_unsplit()
        results = [None, None]
        dist.all_gather_object(results, result)
        if dist.get_rank() == 0:
            with open(args.out, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
