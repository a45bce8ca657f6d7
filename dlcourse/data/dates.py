"""A generated translation task: dates written out in words -> ISO dates (book: Chapter 5, "Encoder-decoder").

Source sentences come in several formats whose lengths range from about 8 to about 60 characters, so an
encoder-decoder's accuracy can be plotted against input length; the target is always ``YYYY-MM-DD``::

    >>> make_dates(3, seed=0).pairs()    # doctest: +SKIP
    [('the twenty-first of march, nineteen eighty-seven', '1987-03-21'), ('3 jan 2011', '2011-01-03'), ...]

Both sides are read character by character with one shared :class:`~dlcourse.data.text.Vocab` built from a fixed
alphabet, so the vocabulary never depends on the sample (Chapter 7 trains attention on the same data).
"""
from __future__ import annotations

import datetime as _dt
import random
import string
from dataclasses import dataclass

import torch

from .text import Vocab

__all__ = ["FORMATS", "DATE_VOCAB", "spell_number", "spell_ordinal", "spell_year", "format_date", "DatePairs",
           "make_dates"]

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}

#: The formats, from short to long. ``{d}`` day number, ``{dd}`` two-digit day, ``{m}`` month name,
#: ``{mon}`` its first three letters, ``{mm}`` month number, ``{y}`` year, ``{w}`` weekday, ``{D}`` spelled
#: ordinal day, ``{Y}`` spelled year.
FORMATS: tuple[str, ...] = (
    "{dd}.{mm}.{y}",
    "{d} {mon} {y}",
    "{mon} {d}, {y}",
    "{d} {m} {y}",
    "{m} {d}, {y}",
    "{w}, {m} {d}, {y}",
    "{w} the {D} of {m} {y}",
    "the {D} of {m}, {Y}",
    "{w}, the {D} of {m}, {Y}",
)

#: One vocabulary for sources and targets: lower-case letters, digits, space and ``,.-``.
DATE_VOCAB = Vocab(string.ascii_lowercase + string.digits + " ,.-")


def spell_number(n: int) -> str:
    """0 <= n < 100 in words: ``42 -> 'forty-two'``."""
    if not 0 <= n < 100:
        raise ValueError(f"spell_number takes 0 <= n < 100, got {n}")
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("" if ones == 0 else "-" + _ONES[ones])


def spell_ordinal(n: int) -> str:
    """1 <= n < 100 as an ordinal: ``21 -> 'twenty-first'``, ``30 -> 'thirtieth'``."""
    words = spell_number(n)
    head, _, last = words.rpartition("-")
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}-{last}" if head else last


def spell_year(y: int) -> str:
    """A year as spoken: ``1987 -> 'nineteen eighty-seven'``, ``2005 -> 'two thousand five'``, ``1900 ->
    'nineteen hundred'``."""
    hi, lo = divmod(y, 100)
    if hi == 20 and lo < 10:
        return "two thousand" + ("" if lo == 0 else " " + _ONES[lo])
    if lo == 0:
        return f"{spell_number(hi)} hundred"
    return f"{spell_number(hi)} " + (f"oh {_ONES[lo]}" if lo < 10 else spell_number(lo))


def format_date(date: _dt.date, fmt: str) -> str:
    """Write ``date`` in one of :data:`FORMATS` (or any format using the same fields)."""
    m = MONTHS[date.month - 1]
    return fmt.format(d=date.day, dd=f"{date.day:02d}", m=m, mon=m[:3], mm=f"{date.month:02d}", y=date.year,
                      w=WEEKDAYS[date.weekday()], D=spell_ordinal(date.day), Y=spell_year(date.year))


@dataclass(frozen=True)
class DatePairs:
    """Generated (source, target) sentences and their padded encodings.

    Attributes:
        sources, targets: the strings.
        src (N, S) int64, src_lengths (N,): sources as ids followed by ``<eos>``, right-padded with ``<pad>``.
        tgt (N, 12) int64: ``<bos>`` + 10 target characters + ``<eos>``.
        vocab: :data:`DATE_VOCAB`.
    """

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt: torch.Tensor
    vocab: Vocab

    def __len__(self) -> int:
        return len(self.sources)

    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.sources, self.targets))


def make_dates(n: int, seed: int = 0, formats: tuple[str, ...] = FORMATS, start_year: int = 1900,
               end_year: int = 2099) -> DatePairs:
    """``n`` random dates between ``start_year`` and ``end_year``, each in a random format from ``formats``.

    Deterministic for a given ``seed`` (Python's ``random.Random``, independent of torch's global generator).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = random.Random(seed)
    first, last = _dt.date(start_year, 1, 1).toordinal(), _dt.date(end_year, 12, 31).toordinal()
    sources, targets = [], []
    for _ in range(n):
        date = _dt.date.fromordinal(rng.randint(first, last))
        sources.append(format_date(date, rng.choice(formats)))
        targets.append(date.isoformat())
    src, src_lengths = DATE_VOCAB.encode_batch(sources, eos=True)
    tgt, _ = DATE_VOCAB.encode_batch(targets, bos=True, eos=True)
    return DatePairs(tuple(sources), tuple(targets), src, src_lengths, tgt, DATE_VOCAB)
