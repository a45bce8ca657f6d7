"""Transformer encoder/decoder layers against torch's with torch's weights (both norm orders, activations,
masks), and the positional encodings."""
import math

import pytest
import torch
import torch.nn.functional as F

from dlcourse.nn import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEncoding,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from dlcourse.nn.attention import causal_mask
from dlcourse.nn.positional import sinusoidal_positional_encoding
from dlcourse.testing import assert_matches_torch

DT = torch.float64


def _pair(ours_cls, theirs_cls, *args, **kwargs):
    torch.manual_seed(0)
    theirs = theirs_cls(*args, **kwargs, dtype=DT)
    ours = ours_cls(*args, **kwargs, dtype=DT)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", F.silu])
def test_encoder_layer_matches_torch(norm_first, activation):
    ours, theirs = _pair(TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, 12, 3, dim_feedforward=20,
                         dropout=0.0, activation=activation, norm_first=norm_first, batch_first=True)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 5, 12, dtype=DT, generator=g)
    pad = torch.zeros(2, 5, dtype=torch.bool)
    pad[1, 3:] = True
    assert_matches_torch(ours, theirs, x)
    assert_matches_torch(ours, theirs, x, kwargs=dict(src_mask=~causal_mask(5), is_causal=True))
    assert_matches_torch(ours, theirs, x, kwargs=dict(src_key_padding_mask=pad))


def test_encoder_layer_eval_mode_with_dropout_and_seq_first():
    ours, theirs = _pair(TransformerEncoderLayer, torch.nn.TransformerEncoderLayer, 8, 2, 16, dropout=0.3,
                         bias=False)
    ours.eval()
    theirs.eval()
    x = torch.randn(4, 3, 8, dtype=DT)
    with torch.no_grad():                       # torch's fused fast path in eval mode must agree too
        torch.testing.assert_close(ours(x), theirs(x))
    assert_matches_torch(ours, theirs, x)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(norm_first):
    ours, theirs = _pair(TransformerDecoderLayer, torch.nn.TransformerDecoderLayer, 10, 5, dim_feedforward=16,
                         dropout=0.0, norm_first=norm_first, activation="gelu")
    g = torch.Generator().manual_seed(2)
    tgt, mem = torch.randn(4, 2, 10, dtype=DT, generator=g), torch.randn(6, 2, 10, dtype=DT, generator=g)
    mem_pad = torch.zeros(2, 6, dtype=torch.bool)
    mem_pad[0, 4:] = True
    assert_matches_torch(ours, theirs, tgt, mem,
                         kwargs=dict(tgt_mask=~causal_mask(4), tgt_is_causal=True, memory_key_padding_mask=mem_pad))
    assert_matches_torch(ours, theirs, tgt, mem, kwargs=dict(memory_mask=torch.randn(4, 6, dtype=DT, generator=g)))


def test_layer_errors():
    with pytest.raises(ValueError, match="'relu' or 'gelu'"):
        TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="divisible"):
        TransformerDecoderLayer(10, 3)
    layer = TransformerEncoderLayer(8, 2, 16, batch_first=True)
    with pytest.raises(ValueError, match="features"):
        layer(torch.randn(2, 5, 6))


def test_sinusoidal_table_values_and_relative_shift():
    pe = sinusoidal_positional_encoding(50, 8, dtype=DT)
    assert pe.shape == (50, 8)
    pos, i = 7, 1
    assert math.isclose(pe[pos, 2 * i].item(), math.sin(pos / 10000 ** (2 * i / 8)), rel_tol=1e-12)
    assert math.isclose(pe[pos, 2 * i + 1].item(), math.cos(pos / 10000 ** (2 * i / 8)), rel_tol=1e-12)
    torch.testing.assert_close(pe[0], torch.tensor([0.0, 1.0] * 4, dtype=DT))
    # PE[pos + k] is a fixed rotation of PE[pos] in each (sin, cos) pair
    k = 3
    freq = 10000 ** (-torch.arange(0, 8, 2, dtype=DT) / 8)
    c, s = torch.cos(k * freq), torch.sin(k * freq)
    rotated = torch.empty_like(pe[:40])
    rotated[:, 0::2] = pe[:40, 0::2] * c + pe[:40, 1::2] * s
    rotated[:, 1::2] = pe[:40, 1::2] * c - pe[:40, 0::2] * s
    torch.testing.assert_close(rotated, pe[k:40 + k])
    with pytest.raises(ValueError, match="even d_model"):
        sinusoidal_positional_encoding(4, 5)


def test_positional_modules():
    enc = SinusoidalPositionalEncoding(6, max_len=10, dtype=DT)
    x = torch.zeros(2, 4, 6, dtype=DT)
    torch.testing.assert_close(enc(x, start=3)[1], sinusoidal_positional_encoding(10, 6, dtype=DT)[3:7])
    assert "pe" not in enc.state_dict()
    learned = LearnedPositionalEmbedding(10, 6, dtype=DT)
    torch.testing.assert_close(learned(x)[0], learned.weight[:4])
    with pytest.raises(ValueError, match="max_len"):
        learned(torch.zeros(1, 11, 6, dtype=DT))
    with pytest.raises(ValueError, match=r"\(N, L, 6\)"):
        enc(torch.zeros(4, 5, dtype=DT))
