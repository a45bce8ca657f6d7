"""dlcourse.nn.rnn against torch.nn in float64: cells and layers, forward and backward, packed batches, errors."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import dlcourse.nn as dn
from dlcourse.nn.utils import rnn as ours_rnn
from dlcourse.testing import assert_matches_torch

DT = torch.float64


def _pair(name, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(nn, name)(*args, **kwargs).double()
    ours = getattr(dn, name)(*args, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _randn(*shape, seed=0):
    return torch.randn(*shape, dtype=DT, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(["RNNCell", "LSTMCell", "GRUCell"]), n=st.integers(1, 4), i=st.integers(1, 5),
       h=st.integers(1, 5), bias=st.booleans(), with_state=st.booleans(), batched=st.booleans())
def test_cells_match_torch(name, n, i, h, bias, with_state, batched):
    ours, theirs = _pair(name, i, h, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = _randn(n, i) if batched else _randn(i)
    args = [x]
    if with_state:
        state = _randn(*((n, h) if batched else (h,)), seed=1)
        args.append((state, state.flip(-1)) if name == "LSTMCell" else state)
    assert_matches_torch(ours, theirs, *args)


def test_rnn_cell_relu_and_bad_nonlinearity():
    ours, theirs = _pair("RNNCell", 3, 4, nonlinearity="relu")
    assert_matches_torch(ours, theirs, _randn(2, 3), _randn(2, 4, seed=1))
    with pytest.raises(ValueError, match="nonlinearity"):
        dn.RNNCell(3, 4, nonlinearity="sigmoid")


layer_cases = st.fixed_dictionaries(dict(
    name=st.sampled_from(["RNN", "LSTM", "GRU"]), T=st.integers(1, 5), N=st.integers(1, 3), i=st.integers(1, 4),
    h=st.integers(1, 4), num_layers=st.integers(1, 3), bidirectional=st.booleans(), batch_first=st.booleans(),
    bias=st.booleans(), with_state=st.booleans()))


@settings(max_examples=30, deadline=None)
@given(c=layer_cases)
def test_layers_match_torch(c):
    kwargs = dict(num_layers=c["num_layers"], bias=c["bias"], batch_first=c["batch_first"],
                  bidirectional=c["bidirectional"])
    ours, theirs = _pair(c["name"], c["i"], c["h"], **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = _randn(c["N"], c["T"], c["i"]) if c["batch_first"] else _randn(c["T"], c["N"], c["i"])
    args = [x]
    if c["with_state"]:
        D = 2 if c["bidirectional"] else 1
        h0 = _randn(D * c["num_layers"], c["N"], c["h"], seed=1)
        args.append((h0, -h0) if c["name"] == "LSTM" else h0)
    assert_matches_torch(ours, theirs, *args)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_and_dropout_in_eval(name):
    ours, theirs = _pair(name, 3, 4, num_layers=2, dropout=0.5)
    ours.eval(), theirs.eval()
    assert_matches_torch(ours, theirs, _randn(5, 3))
    ours.train()
    torch.manual_seed(1)
    out, _ = ours(_randn(5, 2, 3))            # training mode: dropout between the layers changes the output
    ours.eval()
    assert not torch.allclose(out, ours(_randn(5, 2, 3))[0])


class _Packed(nn.Module):
    """pad -> pack -> layer -> pad, with one library's utilities, so assert_matches_torch sees plain tensors."""

    def __init__(self, layer, utils, lengths, enforce_sorted):
        super().__init__()
        self.rnn, self.utils, self.lengths, self.enforce_sorted = layer, utils, lengths, enforce_sorted

    def forward(self, x, h0):
        packed = self.utils.pack_padded_sequence(x, self.lengths, batch_first=True, enforce_sorted=self.enforce_sorted)
        out, state = self.rnn(packed, h0)
        padded, lengths = self.utils.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return padded, lengths, state


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(["RNN", "LSTM", "GRU"]), lengths=st.lists(st.integers(1, 6), min_size=1, max_size=4),
       bidirectional=st.booleans(), num_layers=st.integers(1, 2), sort=st.booleans())
def test_packed_sequences_match_torch(name, lengths, bidirectional, num_layers, sort):
    if sort:
        lengths = sorted(lengths, reverse=True)
    ours, theirs = _pair(name, 3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    x = _randn(len(lengths), max(lengths), 3)
    D = 2 if bidirectional else 1
    h0 = _randn(D * num_layers, len(lengths), 4, seed=2)
    h0 = (h0, h0.flip(0)) if name == "LSTM" else h0
    lengths = torch.tensor(lengths)
    assert_matches_torch(_Packed(ours, ours_rnn, lengths, sort), _Packed(theirs, nn.utils.rnn, lengths, sort), x, h0)


def test_pack_and_pad_match_torch():
    x, lengths = _randn(6, 4, 2), torch.tensor([2, 6, 1, 6])
    mine = ours_rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    torchs = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    for field in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        assert torch.equal(getattr(mine, field), getattr(torchs, field)), field
    padded, got_lengths = ours_rnn.pad_packed_sequence(mine, padding_value=-1.0)
    expected, exp_lengths = nn.utils.rnn.pad_packed_sequence(torchs, padding_value=-1.0)
    assert torch.equal(padded, expected) and torch.equal(got_lengths, exp_lengths)
    seqs = [_randn(n, 2, seed=n) for n in (3, 1, 2)]
    assert torch.equal(ours_rnn.pad_sequence(seqs, batch_first=True, padding_side="left"),
                       nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_side="left"))
    assert torch.equal(ours_rnn.pack_sequence(seqs, enforce_sorted=False).data,
                       nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False).data)
    with pytest.raises(ValueError, match="decreasing order"):
        ours_rnn.pack_padded_sequence(x, lengths)


def test_gru_paper_form_differs_and_matches_the_formula():
    torch.manual_seed(0)
    cell = dn.GRUCell(3, 4, reset_after=False).double()
    layer = dn.GRU(3, 4, reset_after=False).double()
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x, h = _randn(2, 3), _randn(2, 4, seed=1)
    W_ir, W_iz, W_in = cell.weight_ih.chunk(3)
    W_hr, W_hz, W_hn = cell.weight_hh.chunk(3)
    b_ir, b_iz, b_in = cell.bias_ih.chunk(3)
    b_hr, b_hz, b_hn = cell.bias_hh.chunk(3)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)      # Cho et al. 2014: reset before W_hn
    expected = (1 - z) * n + z * h
    torch.testing.assert_close(cell(x, h), expected)
    torch.testing.assert_close(layer(x[None], h[None])[1][0], expected)
    torchs = nn.GRUCell(3, 4).double()
    torchs.load_state_dict(cell.state_dict())
    assert (torchs(x, h) - expected).abs().max() > 1e-3                # torch's form is a different function


def test_shape_errors_name_the_expected_shape():
    lstm = dn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"input_size=3, got 5"):
        lstm(torch.randn(7, 2, 5))
    with pytest.raises(ValueError, match=r"\(T, N, input_size\)"):
        lstm(torch.randn(3))
    h = torch.randn(2, 7, 4)     # the batch of a batch-first input (7, 2, 3): the layout is the likely mistake
    with pytest.raises(ValueError, match=r"= \(2, 2, 4\), got \(2, 7, 4\).*batch_first=True"):
        lstm(torch.randn(7, 2, 3), (h, h))
    gru = dn.GRU(3, 4, num_layers=2, batch_first=True)
    with pytest.raises(ValueError, match="never batch-first"):
        gru(torch.randn(5, 6, 3), torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match=r"expected hx of shape \(2, 4\)"):
        dn.GRUCell(3, 4)(torch.randn(2, 3), torch.randn(4, 2))
    with pytest.raises(ValueError, match="ONE time step"):
        dn.LSTMCell(3, 4)(torch.randn(5, 2, 3))
    with pytest.raises(ValueError, match="pair"):
        lstm(torch.randn(7, 2, 3), torch.randn(2, 2, 4))
    with pytest.raises(ValueError, match="proj_size"):
        dn.LSTM(3, 4, proj_size=2)


def test_layer_signatures_follow_torch():
    import inspect
    for name in ("RNNCell", "LSTMCell", "GRUCell", "Embedding"):
        ours = [p for p in inspect.signature(getattr(dn, name)).parameters.values() if p.kind != p.KEYWORD_ONLY]
        assert [p.name for p in ours] == list(inspect.signature(getattr(nn, name)).parameters), name
    base = list(inspect.signature(nn.RNNBase).parameters)
    lstm = [p for p in inspect.signature(dn.LSTM).parameters]
    assert lstm == [p for p in base if p != "mode"]
    assert list(inspect.signature(dn.RNN).parameters)[3] == "nonlinearity"
