"""The small decoder-only Transformer: causality, the KV cache gives the same logits and tokens, shapes, errors."""
import pytest
import torch

from dlcourse.models.transformer import GPT, GPTConfig, KVCache, lm_loss

CFG = GPTConfig(vocab_size=11, block_size=16, n_layer=2, n_head=3, n_embd=12)


def _model(seed=0, cfg=CFG):
    torch.manual_seed(seed)
    return GPT(cfg).double().eval()


def test_logits_shape_tying_and_causality():
    model = _model()
    idx = torch.randint(0, 11, (2, 10), generator=torch.Generator().manual_seed(1))
    logits = model(idx)
    assert logits.shape == (2, 10, 11)
    assert model.lm_head.weight is model.wte.weight
    changed = idx.clone()
    changed[:, 6] = (changed[:, 6] + 1) % 11                  # change token 6: logits before it must not move
    out = model(changed)
    torch.testing.assert_close(out[:, :6], logits[:, :6])
    assert (out[:, 6:] - logits[:, 6:]).abs().max().item() > 1e-6


def test_kv_cache_gives_the_same_logits():
    model = _model()
    idx = torch.randint(0, 11, (2, 12), generator=torch.Generator().manual_seed(2))
    full = model(idx)
    cache = KVCache(CFG.n_layer)
    parts = [model(idx[:, :5], cache), model(idx[:, 5:6], cache), model(idx[:, 6:9], cache),
             model(idx[:, 9:], cache)]
    assert len(cache) == 12
    torch.testing.assert_close(torch.cat(parts, dim=1), full)


def test_generate_with_and_without_cache_agree():
    model = _model()
    prompt = torch.randint(0, 11, (3, 4), generator=torch.Generator().manual_seed(3))
    a = model.generate(prompt, 10, temperature=0, use_cache=True)
    b = model.generate(prompt, 10, temperature=0, use_cache=False)
    assert a.shape == (3, 14) and torch.equal(a, b)
    c = model.generate(prompt, 10, top_k=3, generator=torch.Generator().manual_seed(0))
    d = model.generate(prompt, 10, top_k=3, use_cache=False, generator=torch.Generator().manual_seed(0))
    assert torch.equal(c, d)
    long = model.generate(prompt, 30, temperature=0)          # past block_size: the cache restarts, no error
    assert long.shape == (3, 34)


def test_learns_a_repeating_sequence():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=5, block_size=8, n_layer=1, n_head=2, n_embd=16))
    seq = torch.arange(40) % 5
    x, y = seq[:-1].unfold(0, 8, 1), seq[1:].unfold(0, 8, 1)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    first = lm_loss(model(x), y).item()
    for _ in range(60):
        opt.zero_grad()
        loss = lm_loss(model(x), y)
        loss.backward()
        opt.step()
    assert first > 1.3 and loss.item() < 0.1


def test_errors():
    model = _model()
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 17, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model(torch.zeros(17))
    with pytest.raises(ValueError, match="divisible"):
        GPT(GPTConfig(vocab_size=5, n_embd=10, n_head=3))


def test_start_pos_shifts_positions_and_cache_agrees():
    model = _model()
    idx = torch.randint(0, 11, (2, 6), generator=torch.Generator().manual_seed(4))
    shifted = model(idx, start_pos=5)
    assert (shifted - model(idx)).abs().max().item() > 1e-6
    # the same as feeding the tokens after 5 cached positions whose keys nobody may see: compare layer inputs
    x = model.wte(idx) + model.wpe(torch.arange(5, 11))
    torch.testing.assert_close(shifted, model.lm_head(model.ln_f(_blocks(model, x))))
    a = model.generate(idx, 4, temperature=0, start_pos=5)
    b = model.generate(idx, 4, temperature=0, start_pos=5, use_cache=False)
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="block_size"):
        model(idx, start_pos=11)


def _blocks(model, x):
    for block in model.h:
        x = block(x)
    return x


def test_benchmark_functions_run_and_the_cache_gives_the_same_tokens():
    from dlcourse.benchmarks.attention_speed import generation_benchmark, mha_benchmark, sdpa_benchmark

    rows = sdpa_benchmark([("tiny", 1, 2, 4, 4, 8, True)], repeats=1)
    assert rows[0]["ours_ms"] > 0 and rows[0]["math_ms"] > 0 and rows[0]["fused_ms"] > 0
    assert mha_benchmark([("tiny", 1, 4, 8, 2)], repeats=1)[0]["ratio"] > 0
    gen = generation_benchmark(GPTConfig(vocab_size=11, block_size=16, n_layer=1, n_head=2, n_embd=8),
                               prompt_len=2, new_tokens=6, repeats=1)
    assert gen["same_tokens"] and gen["tokens"] == 6
    with pytest.raises(ValueError, match="block_size"):
        generation_benchmark(CFG, prompt_len=10, new_tokens=10)
