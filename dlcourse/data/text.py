"""Text every Python ships: the standard library's own source and docstrings (book: Chapter 5, "Language models").

Nothing is downloaded. The corpus is a fixed list of pure-Python standard-library modules, read from the running
interpreter's library folder, so its exact size differs a little between Python 3.11 and 3.12 (the modules
change between releases): numbers computed from it are asserted with a tolerance, never exactly.

* :class:`Vocab` maps tokens (characters or words) to integer ids, with four special tokens first:
  ``<pad>`` = 0, ``<unk>`` = 1, ``<bos>`` = 2, ``<eos>`` = 3. Chapter 5's date translation and Chapter 7 share it.
* :func:`stdlib_source` / :func:`stdlib_docstrings` return the text; :func:`load_char_corpus` adds a character
  vocabulary and a train/valid split (the last ``valid_fraction`` of every module is held out, so both parts
  cover every module).
* :func:`lm_batches` cuts a long id sequence into (input, next-token target) rows for a language model.
"""
from __future__ import annotations

import ast
import functools
import importlib.util
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

__all__ = ["Vocab", "STDLIB_MODULES", "stdlib_source", "stdlib_docstrings", "words", "CharCorpus",
           "load_char_corpus", "lm_batches"]

#: Pure-Python modules present (and mostly unchanged) in Python 3.9-3.13, about 1 MB of source.
STDLIB_MODULES: tuple[str, ...] = (
    "abc", "argparse", "base64", "bisect", "calendar", "cmd", "codecs", "colorsys", "configparser", "contextlib",
    "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "dis", "enum", "filecmp", "fileinput",
    "fnmatch", "fractions", "ftplib", "functools", "getopt", "gettext", "glob", "gzip", "heapq", "hmac",
    "inspect", "ipaddress", "json.decoder", "json.encoder", "keyword", "locale", "logging", "mailbox",
    "mimetypes", "numbers", "operator", "optparse", "os", "pathlib", "pickle", "pprint", "queue", "quopri",
    "random", "re", "sched", "secrets", "shlex", "shutil", "smtplib", "socket", "statistics", "string",
    "subprocess", "tarfile", "tempfile", "textwrap", "threading", "timeit", "tokenize", "trace", "traceback",
    "types", "typing", "uuid", "warnings", "weakref", "zipfile",
)


class Vocab:
    """Tokens <-> integer ids. The first four ids are the specials ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``.

    A string passed to :meth:`encode` is read character by character; a list of strings token by token.

    Example::

        v = Vocab("abc")
        v.encode("cab", eos=True)   # [6, 4, 5, 3]
        v.decode([6, 4, 5, 3, 0])   # 'cab' (stops at <eos>, skips specials)
    """

    PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
    SPECIALS = (PAD, UNK, BOS, EOS)

    def __init__(self, tokens: Iterable[str]):
        self.itos: list[str] = list(self.SPECIALS)
        for t in tokens:
            if t not in self.itos:
                self.itos.append(t)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}

    pad = property(lambda self: 0, doc="id of ``<pad>``")
    unk = property(lambda self: 1, doc="id of ``<unk>``")
    bos = property(lambda self: 2, doc="id of ``<bos>``")
    eos = property(lambda self: 3, doc="id of ``<eos>``")

    @classmethod
    def from_text(cls, text: Iterable[str], min_count: int = 1) -> Vocab:
        """The tokens of ``text`` seen at least ``min_count`` times, most frequent first (ties: sorted)."""
        counts = Counter(text)
        return cls(t for t, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {self.itos[4:14]}{'...' if len(self) > 14 else ''})"

    def encode(self, tokens: Iterable[str], *, bos: bool = False, eos: bool = False) -> list[int]:
        """Ids of ``tokens`` (unknown tokens -> ``<unk>``), optionally wrapped in ``<bos>`` ... ``<eos>``."""
        ids = [self.stoi.get(t, 1) for t in tokens]
        return ([2] if bos else []) + ids + ([3] if eos else [])

    def decode(self, ids: Iterable[int] | torch.Tensor, *, sep: str = "", stop_at_eos: bool = True) -> str:
        """Tokens of ``ids`` joined by ``sep``; specials are skipped and decoding stops at the first ``<eos>``."""
        out = []
        for i in (ids.tolist() if isinstance(ids, torch.Tensor) else ids):
            if i == 3 and stop_at_eos:
                break
            if i >= 4:
                out.append(self.itos[i])
            elif i == 1:
                out.append(self.UNK)
        return sep.join(out)

    def encode_batch(self, sequences: Sequence[Iterable[str]], *, bos: bool = False, eos: bool = False,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and right-pad with ``<pad>``: returns ids (N, T_max) int64 and lengths (N,) int64."""
        encoded = [self.encode(s, bos=bos, eos=eos) for s in sequences]
        lengths = torch.tensor([len(e) for e in encoded], dtype=torch.int64)
        ids = torch.zeros(len(encoded), int(lengths.max()) if len(encoded) else 0, dtype=torch.int64)
        for row, e in enumerate(encoded):
            ids[row, :len(e)] = torch.tensor(e, dtype=torch.int64)
        return ids, lengths


def _module_path(name: str) -> str | None:
    spec = importlib.util.find_spec(name)
    origin = getattr(spec, "origin", None)
    return origin if origin and origin.endswith(".py") else None


@functools.cache
def _read(name: str) -> str:
    path = _module_path(name)
    if path is None:
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def stdlib_source(modules: Sequence[str] = STDLIB_MODULES) -> dict[str, str]:
    """The source code of each module that exists here as a ``.py`` file, ``{name: text}`` (missing: skipped)."""
    return {m: text for m in modules if (text := _read(m))}


def stdlib_docstrings(modules: Sequence[str] = STDLIB_MODULES) -> dict[str, str]:
    """Every module, class and function docstring of each module, blank-line separated, ``{name: text}``."""
    return {m: text for m in modules if (text := _docstrings(m))}


@functools.cache
def _docstrings(name: str) -> str:
    source = _read(name)
    if not source:
        return ""
    docs = [ast.get_docstring(node, clean=True) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    return "\n\n".join(d for d in docs if d)


def words(text: str) -> list[str]:
    """Lower-case word tokens: runs of letters (with inner apostrophes), e.g. ``"Don't stop"`` -> don't, stop."""
    return re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())


@dataclass(frozen=True)
class CharCorpus:
    """A character corpus: the text, its vocabulary and the encoded train and valid parts (1-D int64)."""

    text: str
    vocab: Vocab
    train: torch.Tensor
    valid: torch.Tensor
    modules: tuple[str, ...]


def load_char_corpus(kind: str = "source", modules: Sequence[str] = STDLIB_MODULES, valid_fraction: float = 0.1,
                     max_chars: int | None = None, min_count: int = 5) -> CharCorpus:
    """Load the standard-library text as characters, split into train and valid.

    Args:
        kind: ``"source"`` (the code) or ``"docstrings"`` (English prose, see :func:`stdlib_docstrings`).
        modules: which modules; the default is :data:`STDLIB_MODULES`.
        valid_fraction: the last fraction of every module's text is held out for validation.
        max_chars: keep only the first ``max_chars`` characters of each part's concatenation (quick sizes).
        min_count: characters rarer than this in the training text become ``<unk>``.
    """
    if kind not in ("source", "docstrings"):
        raise ValueError(f"kind must be 'source' or 'docstrings', got {kind!r}")
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in (0, 1), got {valid_fraction!r}")
    texts = (stdlib_source if kind == "source" else stdlib_docstrings)(modules)
    if not texts:
        raise ValueError(f"none of the modules {list(modules)[:5]}... was found as Python source")
    train_parts, valid_parts = [], []
    for text in texts.values():
        cut = int(len(text) * (1 - valid_fraction))
        train_parts.append(text[:cut])
        valid_parts.append(text[cut:])
    train, valid = "\n".join(train_parts), "\n".join(valid_parts)
    if max_chars is not None:
        train, valid = train[:max_chars], valid[:max(1, int(max_chars * valid_fraction / (1 - valid_fraction)))]
    vocab = Vocab.from_text(train, min_count=min_count)
    return CharCorpus(text=train + valid, vocab=vocab,
                      train=torch.tensor(vocab.encode(train), dtype=torch.int64),
                      valid=torch.tensor(vocab.encode(valid), dtype=torch.int64), modules=tuple(texts))


def lm_batches(ids: torch.Tensor, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a 1-D id sequence into non-overlapping rows: inputs (N, seq_len) and targets shifted by one (N, seq_len).
    """
    if ids.ndim != 1:
        raise ValueError(f"ids must be 1-D (the whole text), got shape {tuple(ids.shape)}")
    if seq_len < 1 or len(ids) < seq_len + 1:
        raise ValueError(f"need seq_len >= 1 and at least seq_len + 1 = {seq_len + 1} ids, got {len(ids)}")
    n = (len(ids) - 1) // seq_len
    X = ids[: n * seq_len].view(n, seq_len)
    Y = ids[1: n * seq_len + 1].view(n, seq_len)
    return X, Y
