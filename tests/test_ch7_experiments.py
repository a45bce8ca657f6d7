"""Chapter 7's experiment modules at toy sizes (the notebooks run the quick sizes and assert their claims)."""
import dataclasses

import pytest
import torch

from dlcourse.data.dates import make_dates
from dlcourse.experiments import mlm_finetune, scaling, transformer_dates, transformer_lm
from dlcourse.models.attention_seq2seq import make_attention_seq2seq, translate_with_attention
from dlcourse.models.bert import TinyBERT, mask_tokens


def test_attention_decoder_teacher_forcing_equals_step_by_step():
    torch.manual_seed(0)
    data = make_dates(6, seed=3)
    model = make_attention_seq2seq(len(data.vocab), embed_dim=8, hidden_size=16).eval()
    outputs, state, mask = model.encode(data.src, data.src_lengths)
    tgt_in = data.tgt[:, :-1]
    torch.testing.assert_close(model.decoder(tgt_in, state, outputs, mask),
                               model.decoder.unroll(tgt_in, state, outputs, mask))
    ids, maps = translate_with_attention(model, data.src, data.src_lengths, 5)
    assert ids.shape == (6, 5) and maps.shape == (6, 5, data.src.shape[1])
    torch.testing.assert_close(maps.sum(-1), torch.ones(6, 5))
    assert maps[mask[:, None, :].expand_as(maps).logical_not()].abs().max() == 0   # no weight on padding
    with pytest.raises(ValueError, match="encoder outputs"):
        model.decoder.step(tgt_in[:, 0], state)


def test_fit_power_law_recovers_the_exponent():
    n = [10.0, 100.0, 1000.0, 10000.0]
    alpha, a = scaling.fit_power_law(n, [3.0 * x ** -0.25 for x in n])
    assert abs(alpha - 0.25) < 1e-9 and abs(a - 3.0) < 1e-9


def test_lstm_is_parameter_matched():
    for params in (50_000, 110_000):
        h = transformer_lm.lstm_hidden_for(params, 90, 32)
        assert abs(transformer_lm.count_parameters(transformer_lm.CharLSTM(90, 32, h)) - params) < 0.02 * params


def test_char_lm_and_scaling_run_at_toy_size():
    cfg = dataclasses.replace(transformer_lm.QUICK, max_chars=20_000, seconds=None, max_steps=3, n_embd=16, n_head=2,
                              eval_batches=1)
    result = transformer_lm.run(cfg, progress=False)
    assert set(result.runs) == {"transformer", "lstm"} and all(r.steps == 3 for r in result.runs.values())
    assert len(result.sample("lstm", length=5)) == len("def ") + 5
    cfg = dataclasses.replace(scaling.QUICK, widths=(4, 8), data_chars=(500, 2000), steps=2, max_chars=20_000)
    sc = scaling.run(cfg, progress=False)
    assert len(sc.size_losses) == 2 and sc.params[0] < sc.params[1] and len(sc.data_losses) == 2


def test_transformer_dates_sequences_and_run():
    data = make_dates(5, seed=1)
    index = torch.arange(5)
    prompts, seqs = transformer_dates.as_sequences(data, index)
    n = int(data.src_lengths[0])
    assert prompts.shape[1] == int(data.src_lengths.max()) and seqs.shape[1] == prompts.shape[1] + 11
    assert data.vocab.decode(prompts[0, -n:]) == data.sources[0]
    assert data.vocab.decode(seqs[0, prompts.shape[1]:]) == data.targets[0]
    cfg = dataclasses.replace(transformer_dates.QUICK, n_train=40, n_valid=20, epochs=1, n_embd=16, n_head=2)
    result = transformer_dates.run(cfg, progress=False)
    assert sum(r["count"] for r in result.rows) == 20


def test_mask_tokens_and_tiny_bert():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(4, 30, (200, 20), generator=g)
    ids[:, 15:] = 0
    corrupted, targets = mask_tokens(ids, 30, 31, 4, g)
    chosen = targets >= 0
    assert (targets[chosen] == ids[chosen]).all() and not chosen[:, 15:].any()
    assert 0.12 < chosen.float().mean().item() / 0.75 < 0.18
    frac_masked = (corrupted[chosen] == 30).float().mean().item()
    assert 0.7 < frac_masked < 0.9
    model = TinyBERT(31, 20, d_model=16, nhead=2, num_layers=1, num_classes=3)
    assert model(ids[:4]).shape == (4, 3) and model.mlm_logits(ids[:4]).shape == (4, 20, 31)


def test_mlm_task_is_disjoint_and_runs():
    cfg = dataclasses.replace(mlm_finetune.QUICK, n_per_class=4, n_test_per_class=4, d_model=16, nhead=2,
                              num_layers=1, pretrain_steps=2, finetune_epochs=3)
    result = mlm_finetune.run(cfg, progress=False)
    task = result.task
    assert task.train_x.shape == (16, cfg.max_len) and task.test_x.shape == (16, cfg.max_len)
    train_lines = {tuple(r.tolist()) for r in task.train_x}
    assert not train_lines & {tuple(r.tolist()) for r in task.test_x}
    assert len(result.pretrained_curve) == len(result.scratch_curve) == 1
