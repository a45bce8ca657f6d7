"""Chapter 5's from-scratch pieces outside dlcourse.nn: BPTT by hand, data generators, n-gram, BLEU, captioner."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import dlcourse.nn as dn
from dlcourse.autograd.bptt import rnn_bptt, rnn_forward
from dlcourse.data.adding import make_adding, make_recall
from dlcourse.data.shapes import CAPTION_VOCAB, COLOURS, make_shapes
from dlcourse.exercises.ch5 import clip_by_norm
from dlcourse.experiments.captioning import bleu
from dlcourse.experiments.gradient_flow import exploding_run, gradient_by_distance, set_forget_bias
from dlcourse.models.captioning import Captioner
from dlcourse.models.language_model import NGramLM


@settings(max_examples=15, deadline=None)
@given(T=st.integers(1, 5), N=st.integers(1, 3), I=st.integers(1, 4), H=st.integers(1, 4), seed=st.integers(0, 99))
def test_bptt_by_hand_equals_autograd(T, N, I, H, seed):
    g = torch.Generator().manual_seed(seed)
    shapes = ((T, N, I), (N, H), (H, I), (H, H), (H,), (H,))
    tensors = [torch.randn(*s, dtype=torch.float64, generator=g) for s in shapes]
    grad_hs = torch.randn(T, N, H, dtype=torch.float64, generator=g)
    ours = rnn_bptt(*tensors, grad_hs)
    leaves = [t.clone().requires_grad_() for t in tensors]
    (rnn_forward(*leaves) * grad_hs).sum().backward()
    for name, leaf in zip(["x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"], leaves):
        torch.testing.assert_close(ours[name], leaf.grad, msg=name)


def test_long_range_data():
    X, y = make_recall(50, delay=7, num_symbols=3, seed=1)
    assert X.shape == (50, 8, 4) and torch.equal(X[:, 0, :3].argmax(1), y)
    assert X[:, 1:-1].abs().sum() == 0 and (X[:, -1, 3] == 1).all()
    assert set(y.tolist()) == {0, 1, 2}
    X, y = make_adding(40, 20, seed=2)
    assert X.shape == (40, 20, 2) and (X[:, :, 1].sum(1) == 2).all()
    torch.testing.assert_close((X[:, :, 0] * X[:, :, 1]).sum(1), y)
    with pytest.raises(ValueError):
        make_adding(3, 5)


def test_ngram_is_a_distribution_and_learns():
    ids = torch.tensor([4, 5, 6, 4, 5, 6, 4, 5, 7] * 20)
    lm = NGramLM(3, 8).fit(ids)
    for ctx in [(), (4,), (4, 5), (7, 7)]:
        assert sum(lm.prob(ctx, c) for c in range(8)) == pytest.approx(1.0)
    assert lm.prob((4, 5), 6) > 0.6 and lm.prob((5, 6), 4) > 0.9
    assert math.exp(lm.nll(ids)) < math.exp(NGramLM(1, 8).fit(ids).nll(ids))


def test_bleu():
    ref = "a red circle left of a blue square".split()
    assert bleu([ref], [ref]) == pytest.approx(1.0)
    swapped = "a blue circle left of a red square".split()
    # 1-grams 8/8, 2-grams 5/7, 3-grams 2/6, 4-grams 1/5 clipped matches; equal lengths, no brevity penalty
    assert bleu([swapped], [ref]) == pytest.approx((1 * 5 / 7 * 2 / 6 * 1 / 5) ** 0.25)
    short = "a red circle".split()
    assert bleu([short], [ref]) == 0.0                       # no 4-gram at all
    assert 0 < bleu([ref[:5]], [ref]) < 1                    # brevity penalty


def test_shapes_and_captioner():
    data = make_shapes(20, seed=3)
    assert data.images.shape == (20, 3, 32, 32) and data.tokens.shape[1] in (9, 10)
    assert make_shapes(20, seed=3).captions == data.captions
    for img, cap, tok in zip(data.images, data.captions, data.tokens):
        words = cap.split()
        assert len(words) in (7, 8) and words[0] == "a" and ("left" in words) != ("above" in words)
        assert CAPTION_VOCAB.decode(tok, sep=" ") == cap
        for colour in (words[1], words[-2]):
            rgb = torch.tensor(COLOURS[colour])[:, None]
            assert ((img.view(3, -1) - rgb).abs().sum(0) < 1e-6).any(), colour
    torch.manual_seed(0)
    model = Captioner(len(CAPTION_VOCAB), 8, 16)
    T = data.tokens.shape[1] - 1
    assert model(data.images, data.tokens[:, :-1]).shape == (20, T, len(CAPTION_VOCAB))
    assert model.caption(data.images[:4], max_len=9).shape == (4, 9)
    with pytest.raises(ValueError, match=r"\(N, 3, S, S\)"):
        model.encoder(torch.zeros(2, 1, 32, 32))


def test_gradient_flow_and_clipping():
    torch.manual_seed(0)
    rnn = gradient_by_distance(dn.RNN(4, 16, batch_first=True), T=40)
    lstm = gradient_by_distance(set_forget_bias(dn.LSTM(4, 16, batch_first=True), 2.0), T=40)
    assert rnn[0] < 1e-6 * rnn[-1] and lstm[0] > 1e-3 * lstm[-1]
    plain, clipped = exploding_run(None, steps=10), exploding_run(1.0, steps=10)
    assert math.isinf(plain["loss"][-1]) and clipped["loss"][-1] < clipped["loss"][0]


def test_clip_by_norm_reference():
    grads = [torch.tensor([3.0, 4.0]), torch.tensor([12.0])]
    clipped, norm = clip_by_norm(grads, 6.5)
    assert norm.item() == pytest.approx(13.0)
    assert torch.allclose(torch.cat(clipped), torch.tensor([1.5, 2.0, 6.0]), atol=1e-5)
    assert grads[0].tolist() == [3.0, 4.0]                   # inputs untouched
