"""dlcourse.models.seq2seq: the thought vector is each source's own last state; step-by-step == whole sequence."""
import torch

from dlcourse.data.dates import make_dates
from dlcourse.models.seq2seq import Seq2Seq, accuracy_by_length, make_seq2seq, sequence_loss, train_seq2seq


def _model(rnn="gru"):
    torch.manual_seed(0)
    return make_seq2seq(len(make_dates(1).vocab), 8, 16, num_layers=2, rnn=rnn).double()


def test_thought_vector_ignores_padding():
    data = make_dates(6, seed=3)
    for rnn in ("gru", "lstm"):
        m = _model(rnn)
        _, state, mask = m.encode(data.src, data.src_lengths)
        h = state[0] if isinstance(state, tuple) else state
        assert mask.sum(1).tolist() == data.src_lengths.tolist()
        for i in range(len(data)):
            n = int(data.src_lengths[i])
            _, alone = m.encoder(data.src[i:i + 1, :n], data.src_lengths[i:i + 1])
            alone = alone[0] if isinstance(alone, tuple) else alone
            torch.testing.assert_close(h[:, i], alone[:, 0])


def test_decoder_unroll_equals_forward_and_decode_shapes():
    data = make_dates(5, seed=4)
    m = _model()
    outputs, state, mask = m.encode(data.src, data.src_lengths)
    tgt_in = data.tgt[:, :-1]
    torch.testing.assert_close(m.decoder(tgt_in, state, outputs, mask), m.decoder.unroll(tgt_in, state, outputs, mask))
    logits = m(data.src, data.src_lengths, tgt_in)
    assert logits.shape == (5, 11, len(data.vocab))
    assert abs(sequence_loss(logits, data.tgt[:, 1:]).item() - torch.log(torch.tensor(len(data.vocab))).item()) < 1.0
    pred = m.greedy_decode(data.src, data.src_lengths, 11)
    assert pred.shape == (5, 11) and pred.dtype == torch.int64


def test_training_lowers_loss_and_reports_by_length():
    train, valid = make_dates(256, seed=0), make_dates(64, seed=1)
    torch.manual_seed(0)
    m = make_seq2seq(len(train.vocab), 16, 32)
    assert isinstance(m, Seq2Seq)
    h = train_seq2seq(m, train, epochs=3, batch_size=32, lr=1e-2, valid=valid, progress=False)
    assert len(h.valid_accuracy) == 3 and len(h.step_losses) == 24
    assert sum(h.step_losses[-4:]) / 4 < 0.8 * sum(h.step_losses[:4]) / 4
    rows = accuracy_by_length(m, valid, [0, 20, 40, 80])
    assert sum(r[3] for r in rows) == 64 and all(0.0 <= r[2] <= 1.0 for r in rows)
