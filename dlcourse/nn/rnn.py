"""Recurrent cells and layers from scratch, mirroring ``torch.nn`` (book: Chapter 5, "Recurrent networks").

A recurrent network reads a sequence one step at a time and carries a state ``h`` from step to step. In the book's
notation (rows are examples; ``W_*`` stored as torch stores them, (out, in)):

* plain RNN (Elman 1990)::

      h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)

* LSTM (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), gates stacked in torch's order i, f, g, o::

      i = sigmoid(.)  f = sigmoid(.)  g = tanh(.)  o = sigmoid(.)    of  x W_ih^T + b_ih + h W_hh^T + b_hh
      c' = f * c + i * g                h' = o * tanh(c')

* GRU (Cho et al. 2014), gates stacked r, z, n. torch applies the reset gate *after* the hidden projection;
  the paper applies it *before* (``reset_after=False``, keyword-only)::

      r = sigmoid(.)  z = sigmoid(.)
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn))      torch, reset_after=True
      n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)      Cho et al. 2014, reset_after=False
      h' = (1 - z) * n + z * h

The layers (:class:`RNN`, :class:`LSTM`, :class:`GRU`) stack ``num_layers`` of these, optionally in both directions,
and accept a :class:`~dlcourse.nn.utils.rnn.PackedSequence`. For speed, a layer multiplies the input of *all* time
steps by ``W_ih`` in one matrix product before the loop; only ``h W_hh^T`` is computed step by step.
Autograd differentiates the loop: that is backpropagation through time.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .utils.rnn import PackedSequence

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --------------------------------------------------------------------------------------------- one step
# Each step function takes the input projection ``xi = x W_ih^T + b_ih`` already computed, (N, G*H).

def _rnn_step(xi, state, w_hh, b_hh, mode, reset_after=True):
    if mode == "LSTM":
        h, c = state
        gates = xi + F.linear(h, w_hh, b_hh)                           # (N, 4H)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    h = state
    if mode == "GRU":
        H = h.shape[1]
        x_r, x_z, x_n = xi.chunk(3, dim=1)
        w_n, b_n = w_hh[2 * H:], (None if b_hh is None else b_hh[2 * H:])
        hh_rz = F.linear(h, w_hh[:2 * H], None if b_hh is None else b_hh[:2 * H])    # (N, 2H)
        h_r, h_z = hh_rz.chunk(2, dim=1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        if reset_after:
            n = torch.tanh(x_n + r * F.linear(h, w_n, b_n))
        else:
            n = torch.tanh(x_n + F.linear(r * h, w_n, b_n))
        return (1 - z) * n + z * h
    pre = xi + F.linear(h, w_hh, b_hh)
    return torch.tanh(pre) if mode == "RNN_TANH" else torch.relu(pre)


def _init_uniform(module: nn.Module, hidden_size: int) -> None:
    """torch's initialisation: every weight and bias uniform in (-1/sqrt(H), 1/sqrt(H))."""
    k = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in module.parameters():
        nn.init.uniform_(p, -k, k)


# --------------------------------------------------------------------------------------------- cells

class _CellBase(nn.Module):
    mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int, device=None, dtype=None):
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden_size, input_size, **kw))
        self.weight_hh = nn.Parameter(torch.empty(gates * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gates * hidden_size, **kw))
            self.bias_hh = nn.Parameter(torch.empty(gates * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _check(self, input: torch.Tensor, hx: torch.Tensor | None, name: str = "hx") -> tuple[torch.Tensor, bool]:
        """Validate shapes; return the batched input and whether it was unbatched."""
        cls = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{cls}: expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                             f"got {tuple(input.shape)}; a cell takes ONE time step (use the layer for sequences)")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{cls}: input has {input.shape[-1]} features in its last dimension, expected "
                             f"input_size={self.input_size} (input shape {tuple(input.shape)})")
        batched = input.ndim == 2
        expected = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is not None and tuple(hx.shape) != expected:
            raise ValueError(f"{cls}: expected {name} of shape {expected}, got {tuple(hx.shape)}")
        return (input if batched else input[None]), not batched

    def _zeros(self, input: torch.Tensor) -> torch.Tensor:
        return torch.zeros(input.shape[0], self.hidden_size, device=input.device, dtype=input.dtype)


class RNNCell(_CellBase):
    """One step of the plain RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Inputs: input (N, input_size) or (input_size,); hx (N, hidden_size) or None (zeros). Output: h' like hx.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, unbatched = self._check(input, hx)
        h = self._zeros(x) if hx is None else (hx[None] if unbatched else hx)
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, mode)
        return h[0] if unbatched else h


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o stacked in ``weight_ih`` (4H, input_size), as torch).

    Inputs: input (N, input_size); hx = (h, c), each (N, hidden_size), or None (zeros). Output: (h', c').
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError("LSTMCell: hx must be a pair (h, c) of tensors (N, hidden_size), or None")
        x, unbatched = self._check(input, None if hx is None else hx[0], "h")
        if hx is not None:
            self._check(input, hx[1], "c")
            h, c = (hx[0][None], hx[1][None]) if unbatched else hx
        else:
            h = c = self._zeros(x)
        h, c = _rnn_step(F.linear(x, self.weight_ih, self.bias_ih), (h, c), self.weight_hh, self.bias_hh, "LSTM")
        return (h[0], c[0]) if unbatched else (h, c)


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n stacked, as torch). ``reset_after=False`` (keyword-only, ours) is the form of
    Cho et al. 2014, with the reset gate applied to ``h`` before the projection ``W_hn``.

    Inputs: input (N, input_size); hx (N, hidden_size) or None. Output: h' (N, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
                 reset_after: bool = True) -> None:
        self.reset_after = reset_after
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, unbatched = self._check(input, hx)
        h = self._zeros(x) if hx is None else (hx[None] if unbatched else hx)
        h = _rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, "GRU",
                      self.reset_after)
        return h[0] if unbatched else h


# --------------------------------------------------------------------------------------------- layers

class RNNBase(nn.Module):
    """What :class:`RNN`, :class:`LSTM` and :class:`GRU` share: parameters named as torch's
    (``weight_ih_l{k}``, ``weight_hh_l{k}_reverse``, ...), shape checks, the loop over layers and directions.

    Inputs: input (T, N, input_size) (``batch_first``: (N, T, input_size)), or (T, input_size) unbatched, or a
    PackedSequence; hx (D * num_layers, N, hidden_size) or None (zeros), a pair (h_0, c_0) for the LSTM.
    D = 2 if bidirectional else 1. hx is never batch-first.

    Outputs: output (T, N, D * hidden_size) (or batch-first, or packed like the input): the last layer's h at
    every step, both directions concatenated; h_n (D * num_layers, N, hidden_size): the final state of each layer
    and direction, for packed input taken at each sequence's own last step (and, in reverse, at its first).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None, *, reset_after: bool = True) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unknown mode {mode!r}; expected one of {sorted(_GATES)}")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"dropout must be a number in [0, 1], got {dropout!r}")
        if proj_size != 0:
            raise ValueError(f"proj_size={proj_size} is not supported by dlcourse.nn (LSTM with projections, "
                             "Sak et al. 2014); only proj_size=0")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size, self.reset_after = bidirectional, proj_size, reset_after
        D, G = (2 if bidirectional else 1), _GATES[mode]
        kw = dict(device=device, dtype=dtype)
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else D * hidden_size
            for suffix in ("", "_reverse")[:D]:
                s = f"_l{layer}{suffix}"
                setattr(self, "weight_ih" + s, nn.Parameter(torch.empty(G * hidden_size, layer_in, **kw)))
                setattr(self, "weight_hh" + s, nn.Parameter(torch.empty(G * hidden_size, hidden_size, **kw)))
                if bias:
                    setattr(self, "bias_ih" + s, nn.Parameter(torch.empty(G * hidden_size, **kw)))
                    setattr(self, "bias_hh" + s, nn.Parameter(torch.empty(G * hidden_size, **kw)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    def _weights(self, layer: int, reverse: bool):
        s = f"_l{layer}{'_reverse' if reverse else ''}"
        return (getattr(self, "weight_ih" + s), getattr(self, "weight_hh" + s),
                getattr(self, "bias_ih" + s, None), getattr(self, "bias_hh" + s, None))

    # ------------------------------------------------------------------ checks
    def _check_input(self, x: torch.Tensor) -> None:
        name = type(self).__name__
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: expected input of shape {layout} or (T, input_size) unbatched, got "
                             f"{x.ndim} dimensions {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be input_size={self.input_size}, got {x.shape[-1]} "
                             f"(input shape {tuple(x.shape)}, expected {layout})")

    def _check_state(self, h: torch.Tensor, N: int, what: str, input_shape: tuple, packed: bool) -> None:
        D = 2 if self.bidirectional else 1
        expected = (D * self.num_layers, N, self.hidden_size)
        if tuple(h.shape) == expected:
            return
        name = type(self).__name__
        msg = (f"{name}: expected {what} of shape (num_layers * num_directions, N, hidden_size) = {expected}, "
               f"got {tuple(h.shape)}")
        if not packed and len(input_shape) == 3 and h.ndim == 3 and h.shape[1] == input_shape[int(self.batch_first)]:
            other = "False" if self.batch_first else "True"
            msg += (f". The input {input_shape} with batch_first={self.batch_first} has batch size {N}; its other "
                    f"dimension matches your state, so the input may be laid out for batch_first={other}")
        elif h.ndim == 3 and h.shape[0] == N and h.shape[1] == expected[0]:
            msg += ". The state is never batch-first: put the batch in dimension 1 (h.transpose(0, 1))"
        raise ValueError(msg)

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence) or hasattr(input, "batch_sizes")
        D = 2 if self.bidirectional else 1
        is_lstm = self.mode == "LSTM"
        if packed:
            data, batch_sizes = input.data, input.batch_sizes
            sorted_indices, unsorted_indices = input.sorted_indices, input.unsorted_indices
            if data.ndim != 2 or data.shape[-1] != self.input_size:
                raise ValueError(f"{type(self).__name__}: packed data must be (sum of lengths, input_size="
                                 f"{self.input_size}), got {tuple(data.shape)}")
            N, unbatched, ref = int(batch_sizes[0]), False, data
            sizes = [int(b) for b in batch_sizes]
        else:
            self._check_input(input)
            unbatched = input.ndim == 2
            x = input[:, None] if unbatched else (input.transpose(0, 1) if self.batch_first else input)  # (T, N, I)
            T, N = x.shape[0], x.shape[1]
            sizes, ref, sorted_indices, unsorted_indices = [N] * T, x, None, None
        if hx is None:
            zeros = torch.zeros(D * self.num_layers, N, self.hidden_size, device=ref.device, dtype=ref.dtype)
            h0, c0 = zeros, zeros
        else:
            if is_lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise ValueError("LSTM: hx must be a pair (h_0, c_0), each (num_layers * num_directions, N, "
                                 "hidden_size), or None")
            if not is_lstm and not isinstance(hx, torch.Tensor):
                raise ValueError(f"{type(self).__name__}: hx must be a tensor (num_layers * num_directions, N, "
                                 "hidden_size) or None")
            hs = list(hx) if is_lstm else [hx]
            if unbatched:
                hs = [h[:, None] if h.ndim == 2 else h for h in hs]
            shape = tuple(input.shape) if not packed else ()
            for h, what in zip(hs, ("h_0", "c_0") if is_lstm else ("hx",)):
                self._check_state(h, N, what, shape, packed)
            if sorted_indices is not None:
                hs = [h.index_select(1, sorted_indices.to(h.device)) for h in hs]
            h0, c0 = hs[0], (hs[1] if is_lstm else None)

        # steps: a list of (batch_sizes[t], features) tensors, time-major
        layer_input = data if packed else x.reshape(-1, x.shape[-1])      # (sum of sizes, I)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(D):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction == 1)
                xi = F.linear(layer_input, w_ih, b_ih).split(sizes)        # one product for all steps
                k = layer * D + direction
                state = (h0[k], c0[k]) if is_lstm else h0[k]
                out, state = self._run_direction(xi, state, w_hh, b_hh, reverse=direction == 1)
                outputs.append(out)
                if is_lstm:
                    h_n.append(state[0])
                    c_n.append(state[1])
                else:
                    h_n.append(state)
            layer_input = torch.cat(outputs, dim=1) if D == 2 else outputs[0]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        h_n = torch.stack(h_n)
        c_n = torch.stack(c_n) if is_lstm else None
        if unsorted_indices is not None:
            h_n = h_n.index_select(1, unsorted_indices.to(h_n.device))
            c_n = c_n.index_select(1, unsorted_indices.to(c_n.device)) if is_lstm else None
        if packed:
            output = type(input)(layer_input, batch_sizes, sorted_indices, unsorted_indices)
        else:
            output = layer_input.view(T, N, -1)
            if unbatched:
                output, h_n = output[:, 0], h_n[:, 0]
                c_n = c_n[:, 0] if is_lstm else None
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, ((h_n, c_n) if is_lstm else h_n)

    def _run_direction(self, xi: tuple[torch.Tensor, ...], state, w_hh, b_hh, reverse: bool):
        """Run one direction of one layer over the steps ``xi`` (each (batch_sizes[t], G*H)).

        At step t only the first ``batch_sizes[t]`` sequences are running; the rest keep their state, so the final
        state of each sequence is the one after its own last step (in reverse: it starts from h_0 at its own end).
        """
        T = len(xi)
        outs: list[torch.Tensor] = [None] * T  # type: ignore[list-item]
        lstm = self.mode == "LSTM"
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            bs = xi[t].shape[0]
            full = (state[0] if lstm else state).shape[0]
            cur = (state[0][:bs], state[1][:bs]) if lstm else state[:bs]
            new = _rnn_step(xi[t], cur, w_hh, b_hh, self.mode, self.reset_after)
            if bs < full:
                state = ((torch.cat([new[0], state[0][bs:]]), torch.cat([new[1], state[1][bs:]])) if lstm
                         else torch.cat([new, state[bs:]]))
            else:
                state = new
            outs[t] = new[0] if lstm else new
        return torch.cat(outs), state


class RNN(RNNBase):
    """Elman RNN layer: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu). See
    :class:`RNNBase` for inputs and outputs. Arguments in torch's order (``nonlinearity`` after ``num_layers``)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory layer (see the module docstring and :class:`RNNBase`); ``hx`` and the final state
    are pairs ``(h, c)``. ``proj_size`` is kept for torch's signature; only 0 is supported."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit layer (see the module docstring and :class:`RNNBase`). ``reset_after=False``
    (keyword-only, ours) gives the form of Cho et al. 2014; the default is torch's."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None, *, reset_after: bool = True) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype, reset_after=reset_after)
