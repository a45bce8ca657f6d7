"""dlcourse.nn.attention against torch in float64: scaled dot-product attention (every mask kind, causal with
L != S, scale, grouped-query) and MultiheadAttention (torch's weights, masks, kdim/vdim, bias_kv, zero_attn)."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.nn import AdditiveAttention, MultiheadAttention
from dlcourse.nn.attention import causal_mask
from dlcourse.nn.functional import scaled_dot_product_attention
from dlcourse.testing import assert_matches_torch

DT = torch.float64


def _qkv(N=2, H=3, L=4, S=5, E=6, Ev=None, Hk=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    Hk = Hk or H
    return (torch.randn(N, H, L, E, dtype=DT, generator=g), torch.randn(N, Hk, S, E, dtype=DT, generator=g),
            torch.randn(N, Hk, S, Ev or E, dtype=DT, generator=g))


def _bool_mask(*shape, seed=1):
    m = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) > 0.4
    m[..., 0] = True                      # every query keeps at least one key
    return m


@pytest.mark.parametrize("mask_kind", ["none", "bool", "bool_broadcast", "float", "float_per_head"])
def test_sdpa_masks_match_torch(mask_kind):
    q, k, v = _qkv(Ev=3)
    mask = {"none": None, "bool": _bool_mask(4, 5), "bool_broadcast": _bool_mask(2, 1, 4, 5),
            "float": torch.randn(4, 5, dtype=DT), "float_per_head": torch.randn(2, 3, 4, 5, dtype=DT)}[mask_kind]
    assert_matches_torch(scaled_dot_product_attention, F.scaled_dot_product_attention, q, k, v,
                         kwargs=dict(attn_mask=mask))


@pytest.mark.parametrize("L,S", [(4, 4), (3, 6), (6, 3)])
def test_sdpa_causal_is_top_left_aligned_like_torch(L, S):
    q, k, v = _qkv(L=L, S=S)
    assert_matches_torch(scaled_dot_product_attention, F.scaled_dot_product_attention, q, k, v,
                         kwargs=dict(is_causal=True))
    # the same as an explicit tril mask aligned to the top-left corner
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.ones(L, S, dtype=torch.bool).tril())
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, is_causal=True), expected)
    assert causal_mask(3, 5).sum().item() == 1 + 2 + 3


def test_sdpa_scale_gqa_and_fully_masked_row():
    q, k, v = _qkv()
    assert_matches_torch(scaled_dot_product_attention, F.scaled_dot_product_attention, q, k, v,
                         kwargs=dict(scale=0.3))
    q, k, v = _qkv(H=6, Hk=2)
    assert_matches_torch(scaled_dot_product_attention, F.scaled_dot_product_attention, q, k, v,
                         kwargs=dict(enable_gqa=True))
    q, k, v = _qkv()
    mask = _bool_mask(4, 5)
    mask[2] = False                                   # query 2 may attend to nothing: torch returns zeros
    out = assert_matches_torch(scaled_dot_product_attention, F.scaled_dot_product_attention, q, k, v,
                               kwargs=dict(attn_mask=mask))
    assert out[:, :, 2].abs().max().item() == 0.0


def test_sdpa_dropout_zeroes_weights_and_rescales():
    q, k, v = _qkv(N=1, H=1, L=64, S=64, E=4)
    v = torch.ones_like(v)
    torch.manual_seed(0)
    out = scaled_dot_product_attention(q, k, v, dropout_p=0.5)        # each row: (sum of kept weights) / 0.5
    assert 0.8 < out.mean().item() < 1.2 and out.std().item() > 0.1


@settings(max_examples=20, deadline=None)
@given(N=st.integers(1, 3), H=st.integers(1, 3), L=st.integers(1, 6), S=st.integers(1, 6), E=st.integers(1, 5),
       causal=st.booleans())
def test_sdpa_property_sizes(N, H, L, S, E, causal):
    q, k, v = _qkv(N, H, L, S, E)
    ours = scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, is_causal=causal))


def test_sdpa_clear_errors():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="must share E"):
        scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="same length S"):
        scaled_dot_product_attention(q, k, v[..., :4, :])
    with pytest.raises(ValueError, match="is_causal"):
        scaled_dot_product_attention(q, k, v, attn_mask=_bool_mask(4, 5), is_causal=True)
    with pytest.raises(ValueError, match="does not broadcast"):
        scaled_dot_product_attention(q, k, v, attn_mask=_bool_mask(5, 4))
    with pytest.raises(ValueError, match="multiple of key heads"):
        scaled_dot_product_attention(*_qkv(H=3, Hk=2), enable_gqa=True)
    with pytest.raises(TypeError, match="bool or floating"):
        scaled_dot_product_attention(q, k, v, attn_mask=torch.ones(4, 5, dtype=torch.int64))


def _pair(*args, **kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(*args, **kwargs, dtype=DT)
    ours = MultiheadAttention(*args, **kwargs, dtype=DT)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("heads", [1, 3, 5])
def test_mha_matches_torch_odd_heads(batch_first, heads):
    ours, theirs = _pair(15, heads, batch_first=batch_first)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    g = torch.Generator().manual_seed(2)
    shape_q, shape_k = ((2, 4, 15), (2, 6, 15)) if batch_first else ((4, 2, 15), (6, 2, 15))
    q, k = torch.randn(shape_q, dtype=DT, generator=g), torch.randn(shape_k, dtype=DT, generator=g)
    v = torch.randn(shape_k, dtype=DT, generator=g)
    for avg in (True, False):
        assert_matches_torch(ours, theirs, q, k, v, kwargs=dict(average_attn_weights=avg))


@pytest.mark.parametrize("kind", ["bool", "float", "per_head", "padding", "padding_float", "both", "causal"])
def test_mha_masks_match_torch(kind):
    ours, theirs = _pair(8, 2, batch_first=True)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(3, 5, 8, dtype=DT, generator=g)
    pad = torch.zeros(3, 5, dtype=torch.bool)
    pad[0, 3:] = True
    pad[2, 4] = True
    blocked = ~_bool_mask(5, 5)
    kw = {"bool": dict(attn_mask=blocked), "float": dict(attn_mask=torch.randn(5, 5, dtype=DT, generator=g)),
          "per_head": dict(attn_mask=torch.randn(6, 5, 5, dtype=DT, generator=g)),
          "padding": dict(key_padding_mask=pad),
          "padding_float": dict(key_padding_mask=torch.randn(3, 5, dtype=DT, generator=g)),
          "both": dict(attn_mask=blocked, key_padding_mask=pad),
          "causal": dict(attn_mask=~causal_mask(5), is_causal=True)}[kind]
    assert_matches_torch(ours, theirs, x, x, x, kwargs=kw)
    assert_matches_torch(ours, theirs, x, x, x, kwargs=dict(kw, need_weights=False))


def test_mha_kdim_vdim_bias_kv_zero_attn_no_bias():
    ours, theirs = _pair(6, 3, kdim=4, vdim=5)
    names = set(ours.state_dict())
    assert {"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias"} <= names
    assert "in_proj_weight" not in names and ours.k_proj_weight.shape == (6, 4)
    g = torch.Generator().manual_seed(4)
    q, k, v = (torch.randn(3, 2, 6, dtype=DT, generator=g), torch.randn(7, 2, 4, dtype=DT, generator=g),
               torch.randn(7, 2, 5, dtype=DT, generator=g))
    assert_matches_torch(ours, theirs, q, k, v)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[1, 5:] = True
    for extra in (dict(add_bias_kv=True), dict(add_zero_attn=True), dict(add_bias_kv=True, add_zero_attn=True),
                  dict(bias=False)):
        ours, theirs = _pair(6, 2, **extra)
        x, y = torch.randn(3, 2, 6, dtype=DT, generator=g), torch.randn(7, 2, 6, dtype=DT, generator=g)
        assert_matches_torch(ours, theirs, x, y, y, kwargs=dict(key_padding_mask=pad, attn_mask=~_bool_mask(3, 7)))


def test_mha_unbatched_and_errors():
    ours, theirs = _pair(4, 2)
    x = torch.randn(5, 4, dtype=DT)
    assert_matches_torch(ours, theirs, x, x, x)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="features"):
        ours(torch.randn(5, 2, 3, dtype=DT), torch.randn(5, 2, 4, dtype=DT), torch.randn(5, 2, 4, dtype=DT))
    with pytest.raises(ValueError, match="attn_mask must have shape"):
        ours(x, x, x, attn_mask=torch.zeros(4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="key_padding_mask"):
        y = torch.randn(5, 3, 4, dtype=DT)
        ours(y, y, y, key_padding_mask=torch.zeros(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="hint"):
        ours(x, x, x, is_causal=True)


def test_additive_attention_weights_and_padding():
    torch.manual_seed(0)
    att = AdditiveAttention(3, 4, 8, dtype=DT)
    q, k, v = torch.randn(2, 5, 3, dtype=DT), torch.randn(2, 6, 4, dtype=DT), torch.randn(2, 6, 2, dtype=DT)
    pad = torch.zeros(2, 6, dtype=torch.bool)
    pad[1, 4:] = True
    ctx, w = att(q, k, v, key_padding_mask=pad)
    assert ctx.shape == (2, 5, 2) and w.shape == (2, 5, 6)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 5, dtype=DT))
    assert w[1, :, 4:].abs().max().item() == 0.0
    # the score written out by hand: v^T tanh(W_q q + W_k k)
    s = torch.tanh(q[0, 1] @ att.W_q.weight.T + k[0, 2] @ att.W_k.weight.T) @ att.v.weight[0]
    scores = torch.stack([torch.tanh(q[0, 1] @ att.W_q.weight.T + k[0, j] @ att.W_k.weight.T) @ att.v.weight[0]
                          for j in range(6)])
    torch.testing.assert_close(w[0, 1, 2], torch.softmax(scores, 0)[2])
    assert scores[2] == s
    with pytest.raises(ValueError, match="key_padding_mask"):
        att(q, k, v, key_padding_mask=pad[:, :5])
