"""dlcourse.data.text and dlcourse.data.dates: the standard-library corpus, the vocabulary, the date task."""
import datetime as dt

import pytest
import torch

from dlcourse.data import text as T
from dlcourse.data.dates import DATE_VOCAB, FORMATS, format_date, make_dates, spell_ordinal, spell_year


def test_vocab_round_trip_and_specials():
    v = T.Vocab("abc")
    assert (v.pad, v.unk, v.bos, v.eos) == (0, 1, 2, 3) and len(v) == 7
    assert v.encode("cab", bos=True, eos=True) == [2, 6, 4, 5, 3]
    assert v.decode([6, 4, 5, 3, 4]) == "cab"            # stops at <eos>
    assert v.encode("az") == [4, 1]                      # unknown -> <unk>
    ids, lengths = v.encode_batch(["ab", "c"], eos=True)
    assert ids.tolist() == [[4, 5, 3], [6, 3, 0]] and lengths.tolist() == [3, 2]
    w = T.Vocab.from_text("aabbbc", min_count=2)
    assert w.itos[4:] == ["b", "a"]


def test_corpus_sizes_hold_across_python_versions():
    src = T.stdlib_source()
    assert len(src) >= 0.95 * len(T.STDLIB_MODULES)
    total = sum(map(len, src.values()))
    assert 1.5e6 < total < 4e6, total                    # 3.11: ~2.6 MB; wide margin for other versions
    docs = T.stdlib_docstrings()
    assert 2e5 < sum(map(len, docs.values())) < 1.5e6
    assert T.words("Don't STOP, x2") == ["don't", "stop", "x"]


def test_char_corpus_split_and_batches():
    c = T.load_char_corpus(max_chars=20000, min_count=1)
    assert len(c.train) == 20000 and 2000 <= len(c.valid) <= 2300
    assert 50 < len(c.vocab) < 110
    assert c.vocab.decode(c.train[:30]) == c.text[:30]
    X, Y = T.lm_batches(c.train, 100)
    assert X.shape == (199, 100) and torch.equal(X[0, 1:], Y[0, :-1]) and Y[0, -1] == X[1, 0]
    with pytest.raises(ValueError, match="1-D"):
        T.lm_batches(X, 10)
    with pytest.raises(ValueError, match="kind"):
        T.load_char_corpus(kind="poems")


def test_spelled_numbers_and_dates():
    assert spell_ordinal(21) == "twenty-first" and spell_ordinal(30) == "thirtieth" and spell_ordinal(12) == "twelfth"
    assert spell_year(1987) == "nineteen eighty-seven" and spell_year(2005) == "two thousand five"
    assert spell_year(1900) == "nineteen hundred" and spell_year(1905) == "nineteen oh five"
    d = dt.date(1987, 3, 21)
    assert format_date(d, FORMATS[0]) == "21.03.1987"
    assert format_date(d, FORMATS[-1]) == "saturday, the twenty-first of march, nineteen eighty-seven"


def test_make_dates_deterministic_and_encoded():
    a, b = make_dates(200, seed=1), make_dates(200, seed=1)
    assert a.pairs() == b.pairs() and a.pairs() != make_dates(200, seed=2).pairs()
    lengths = [len(s) for s in a.sources]
    assert min(lengths) <= 12 and max(lengths) >= 45
    assert all(DATE_VOCAB.decode(row) == s for row, s in zip(a.src, a.sources))
    assert a.tgt.shape == (200, 12) and (a.tgt[:, 0] == 2).all() and (a.tgt[:, -1] == 3).all()
    assert all(DATE_VOCAB.decode(row) == t for row, t in zip(a.tgt, a.targets))
    assert (a.src_lengths == torch.tensor(lengths) + 1).all()
    assert all(dt.date.fromisoformat(t) for t in a.targets)
