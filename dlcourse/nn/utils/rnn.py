"""Variable-length batches for recurrent layers, mirroring ``torch.nn.utils.rnn`` (book: Chapter 5, "Layers").

A batch of sequences of different lengths is padded to the longest one; a recurrent layer should not run over
the padding, and each sequence's final state must be taken at its own last step. A :class:`PackedSequence` stores
only the real steps, time-major, with the sequences sorted from longest to shortest, so that at step ``t`` the
first ``batch_sizes[t]`` rows are exactly the sequences still running::

    lengths 3, 2, 1   ->   data = [a0 b0 c0 | a1 b1 | a2],   batch_sizes = [3, 2, 1]

``sorted_indices`` remembers how the batch was reordered and ``unsorted_indices`` undoes it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "invert_permutation"]


class PackedSequence(NamedTuple):
    """The packed steps of a batch (see the module docstring). Fields and order as torch's ``PackedSequence``.

    Attributes:
        data: (sum of lengths, *) the real steps, time-major.
        batch_sizes: (T_max,) int64 on the CPU: how many sequences are running at each step.
        sorted_indices: (N,) the original batch index of each sorted position, or ``None`` if the batch was
            already sorted.
        unsorted_indices: (N,) the inverse permutation, or ``None``.
    """

    data: torch.Tensor
    batch_sizes: torch.Tensor
    sorted_indices: torch.Tensor | None = None
    unsorted_indices: torch.Tensor | None = None


def invert_permutation(permutation: torch.Tensor | None) -> torch.Tensor | None:
    """The inverse of a permutation of ``0..N-1`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    output = torch.empty_like(permutation, memory_format=torch.legacy_contiguous_format)
    output.scatter_(0, permutation, torch.arange(0, permutation.numel(), device=permutation.device))
    return output


def pack_padded_sequence(input: torch.Tensor, lengths: torch.Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch: input (T, N, *) or, with ``batch_first``, (N, T, *); lengths (N,) on the CPU.

    With ``enforce_sorted=True`` the lengths must already decrease; otherwise the batch is sorted here and
    ``sorted_indices`` records how.
    """
    lengths = torch.as_tensor(lengths, dtype=torch.int64, device="cpu")
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be 1-D (one length per sequence), got shape {tuple(lengths.shape)}")
    if input.ndim < 2:
        raise ValueError(f"input must be (T, N, *) or, with batch_first=True, (N, T, *); got {tuple(input.shape)}")
    batch_dim = 0 if batch_first else 1
    if lengths.numel() != input.shape[batch_dim]:
        raise ValueError(f"got {lengths.numel()} lengths for a batch of {input.shape[batch_dim]} sequences "
                         f"(input {tuple(input.shape)}, batch_first={batch_first})")
    if lengths.numel() and int(lengths.min()) <= 0:
        raise ValueError("every sequence length must be greater than 0")
    if enforce_sorted:
        if bool((lengths[1:] > lengths[:-1]).any()):
            raise ValueError("lengths must be sorted in decreasing order when enforce_sorted=True; sort them or "
                             "pass enforce_sorted=False")
        sorted_indices = None
    else:
        lengths, sorted_indices = torch.sort(lengths, descending=True)
        input = input.index_select(batch_dim, sorted_indices.to(input.device))
    if int(lengths[0]) > input.shape[1 - batch_dim]:
        raise ValueError(f"the longest length {int(lengths[0])} exceeds the padded length "
                         f"{input.shape[1 - batch_dim]}")
    if batch_first:
        input = input.transpose(0, 1)                                  # (T, N, *)
    T = int(lengths[0])
    batch_sizes = (lengths[None, :] > torch.arange(T)[:, None]).sum(1)  # (T,)
    data = torch.cat([input[t, :int(batch_sizes[t])] for t in range(T)])
    return PackedSequence(data, batch_sizes, sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Undo :func:`pack_padded_sequence`: returns the padded batch (T, N, *) (or (N, T, *)) in the original
    order, and the lengths (N,) int64."""
    data, batch_sizes = sequence.data, sequence.batch_sizes
    T, N = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"total_length={total_length} is shorter than the longest sequence ({T} steps)")
        T_out = total_length
    else:
        T_out = T
    out = data.new_full((T_out, N, *data.shape[1:]), padding_value)
    offset = 0
    for t in range(T):
        bs = int(batch_sizes[t])
        out[t, :bs] = data[offset:offset + bs]
        offset += bs
    lengths = (batch_sizes[None, :] > torch.arange(N)[:, None]).sum(1)  # (N,) in sorted order
    if sequence.unsorted_indices is not None:
        out = out.index_select(1, sequence.unsorted_indices.to(out.device))
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return (out.transpose(0, 1) if batch_first else out), lengths


def pad_sequence(sequences: Sequence[torch.Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> torch.Tensor:
    """Stack tensors of shapes (L_i, *) into (L_max, N, *) (or (N, L_max, *)), padding on ``padding_side``."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    T = max(len(s) for s in sequences)
    first = sequences[0]
    out = first.new_full((len(sequences), T, *first.shape[1:]), padding_value)
    for i, s in enumerate(sequences):
        if padding_side == "right":
            out[i, :len(s)] = s
        else:
            out[i, T - len(s):] = s
    return out if batch_first else out.transpose(0, 1)


def pack_sequence(sequences: Sequence[torch.Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors: :func:`pad_sequence` then :func:`pack_padded_sequence`."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
