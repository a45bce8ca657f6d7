"""Every name that mirrors torch takes torch 2.13's parameters: same names, same order, same defaults, same kinds.

Our extras (``implementation=``, ...) may follow torch's parameters, keyword-only. torch's ``_``-prefixed and
deprecated parameters are ignored. torch's signature is read with ``inspect``, else from ``typing.get_overloads``
(the RNN classes), else from the docstring's first line (builtins such as ``F.conv2d``); a signature that cannot
be read fails the test, it never skips.

Chapters add rows to ``MIRRORED`` below: one ``(ours, torch's)`` pair of dotted names per mirrored class or function.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import typing

import pytest

MIRRORED: list[tuple[str, str]] = [
    # Chapter 1
    ("dlcourse.nn.functional.sigmoid", "torch.nn.functional.sigmoid"),
    ("dlcourse.nn.functional.relu", "torch.nn.functional.relu"),
    # Chapter 4
    ("dlcourse.nn.Conv2d", "torch.nn.Conv2d"),
    ("dlcourse.nn.MaxPool2d", "torch.nn.MaxPool2d"),
    ("dlcourse.nn.AvgPool2d", "torch.nn.AvgPool2d"),
    ("dlcourse.nn.functional.conv2d", "torch.nn.functional.conv2d"),
    ("dlcourse.nn.functional.conv2d_loop", "torch.nn.functional.conv2d"),
    ("dlcourse.nn.functional.max_pool2d", "torch.nn.functional.max_pool2d"),
    ("dlcourse.nn.functional.avg_pool2d", "torch.nn.functional.avg_pool2d"),
    # Chapter 5
    ("dlcourse.nn.RNNCell", "torch.nn.RNNCell"),
    ("dlcourse.nn.LSTMCell", "torch.nn.LSTMCell"),
    ("dlcourse.nn.GRUCell", "torch.nn.GRUCell"),
    ("dlcourse.nn.RNN", "torch.nn.RNN"),
    ("dlcourse.nn.LSTM", "torch.nn.LSTM"),
    ("dlcourse.nn.GRU", "torch.nn.GRU"),
    ("dlcourse.nn.Embedding", "torch.nn.Embedding"),
    ("dlcourse.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_norm_"),
    ("dlcourse.nn.utils.clip_grad_value_", "torch.nn.utils.clip_grad_value_"),
    ("dlcourse.nn.utils.rnn.pack_padded_sequence", "torch.nn.utils.rnn.pack_padded_sequence"),
    ("dlcourse.nn.utils.rnn.pad_packed_sequence", "torch.nn.utils.rnn.pad_packed_sequence"),
    ("dlcourse.nn.utils.rnn.pad_sequence", "torch.nn.utils.rnn.pad_sequence"),
    ("dlcourse.nn.utils.rnn.pack_sequence", "torch.nn.utils.rnn.pack_sequence"),
    # Chapter 7
    ("dlcourse.nn.MultiheadAttention", "torch.nn.MultiheadAttention"),
    ("dlcourse.nn.TransformerEncoderLayer", "torch.nn.TransformerEncoderLayer"),
    ("dlcourse.nn.TransformerDecoderLayer", "torch.nn.TransformerDecoderLayer"),
    ("dlcourse.nn.functional.scaled_dot_product_attention", "torch.nn.functional.scaled_dot_product_attention"),
    # Chapter 6
    ("dlcourse.optim.Optimizer", "torch.optim.Optimizer"),
    ("dlcourse.optim.SGD", "torch.optim.SGD"),
    ("dlcourse.optim.RMSprop", "torch.optim.RMSprop"),
    ("dlcourse.optim.Adam", "torch.optim.Adam"),
    ("dlcourse.optim.AdamW", "torch.optim.AdamW"),
    ("dlcourse.optim.lr_scheduler.LRScheduler", "torch.optim.lr_scheduler.LRScheduler"),
    ("dlcourse.optim.lr_scheduler.LambdaLR", "torch.optim.lr_scheduler.LambdaLR"),
    ("dlcourse.optim.lr_scheduler.StepLR", "torch.optim.lr_scheduler.StepLR"),
    ("dlcourse.optim.lr_scheduler.LinearLR", "torch.optim.lr_scheduler.LinearLR"),
    ("dlcourse.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.CosineAnnealingLR"),
    ("dlcourse.optim.lr_scheduler.SequentialLR", "torch.optim.lr_scheduler.SequentialLR"),
    ("dlcourse.optim.lr_scheduler.OneCycleLR", "torch.optim.lr_scheduler.OneCycleLR"),
    ("dlcourse.nn.init.calculate_gain", "torch.nn.init.calculate_gain"),
    ("dlcourse.nn.init.uniform_", "torch.nn.init.uniform_"),
    ("dlcourse.nn.init.normal_", "torch.nn.init.normal_"),
    ("dlcourse.nn.init.constant_", "torch.nn.init.constant_"),
    ("dlcourse.nn.init.ones_", "torch.nn.init.ones_"),
    ("dlcourse.nn.init.zeros_", "torch.nn.init.zeros_"),
    ("dlcourse.nn.init.xavier_uniform_", "torch.nn.init.xavier_uniform_"),
    ("dlcourse.nn.init.xavier_normal_", "torch.nn.init.xavier_normal_"),
    ("dlcourse.nn.init.kaiming_uniform_", "torch.nn.init.kaiming_uniform_"),
    ("dlcourse.nn.init.kaiming_normal_", "torch.nn.init.kaiming_normal_"),
    ("dlcourse.nn.BatchNorm1d", "torch.nn.BatchNorm1d"),
    ("dlcourse.nn.BatchNorm2d", "torch.nn.BatchNorm2d"),
    ("dlcourse.nn.LayerNorm", "torch.nn.LayerNorm"),
    ("dlcourse.nn.Dropout", "torch.nn.Dropout"),
    ("dlcourse.nn.functional.batch_norm", "torch.nn.functional.batch_norm"),
    ("dlcourse.nn.functional.layer_norm", "torch.nn.functional.layer_norm"),
    ("dlcourse.nn.functional.dropout", "torch.nn.functional.dropout"),
]

#: torch parameters that are deprecated (kept by torch for old code) and that we do not mirror.
DEPRECATED = {"size_average", "reduce"}

P = inspect.Parameter


def resolve(dotted: str) -> object:
    """The object behind a dotted name (longest importable module prefix, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _is_generic(sig: inspect.Signature) -> bool:
    kinds = [p.kind for p in sig.parameters.values() if p.name != "self"]
    return not kinds or all(k in (P.VAR_POSITIONAL, P.VAR_KEYWORD) for k in kinds)


def _from_docstring(obj: object) -> inspect.Signature | None:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    name = getattr(obj, "__name__", "")
    if not doc.startswith(name + "("):
        return None
    depth, end = 0, None          # the signature may wrap over several lines: read to its closing parenthesis
    for i, ch in enumerate(doc):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ")" and depth == 0:
            end = i + 1
            break
    if end is None:
        return None
    head = " ".join(doc[:end].split())
    try:
        tree = ast.parse(f"def {head}: pass")
    except SyntaxError:
        return None
    args = tree.body[0].args
    params: list[P] = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(positional, defaults):
        params.append(P(a.arg, P.POSITIONAL_OR_KEYWORD, default=P.empty if d is None else ast.literal_eval(d)))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append(P(a.arg, P.KEYWORD_ONLY, default=P.empty if d is None else ast.literal_eval(d)))
    return inspect.Signature(params)


def torch_signature(obj: object) -> inspect.Signature:
    """torch's signature of ``obj``, read as the module docstring says; raises if none can be read."""
    try:
        sig = inspect.signature(obj)
        if not _is_generic(sig):
            return sig
    except (ValueError, TypeError):
        pass
    target = obj.__init__ if inspect.isclass(obj) else obj
    for overload in typing.get_overloads(target):
        sig = inspect.signature(overload)
        if not _is_generic(sig):
            return sig
    sig = _from_docstring(obj)
    if sig is None:
        raise AssertionError(f"cannot read torch's signature of {obj!r}: no inspect signature, no overload, no "
                             "'name(...)' first docstring line")
    return sig


def _params(sig: inspect.Signature) -> list[P]:
    return [p for p in sig.parameters.values() if p.name != "self"]


def _same_default(a: object, b: object) -> bool:
    if a is P.empty or b is P.empty:
        return a is b
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("ours, theirs", MIRRORED, ids=[o for o, _ in MIRRORED])
def test_signature_matches_torch(ours, theirs):
    mine = [p for p in _params(inspect.signature(resolve(ours))) if not p.name.startswith("_")]  # as torch's
    torchs = [p for p in _params(torch_signature(resolve(theirs)))
              if not p.name.startswith("_") and p.name not in DEPRECATED]
    names = [p.name for p in mine]
    assert names[:len(torchs)] == [p.name for p in torchs], (
        f"{ours}{[p.name for p in mine]} must start with torch's parameters {[p.name for p in torchs]}, in order")
    for a, b in zip(mine, torchs):
        assert a.kind == b.kind, f"{ours}: {a.name} is {a.kind.description}, torch's is {b.kind.description}"
        assert _same_default(a.default, b.default), (
            f"{ours}: {a.name} defaults to {a.default!r}, torch's to {b.default!r}")
    for extra in mine[len(torchs):]:
        assert extra.kind in (P.KEYWORD_ONLY, P.VAR_KEYWORD), (
            f"{ours}: our extra parameter {extra.name!r} must come after torch's, keyword-only")


def test_the_reader_uses_each_source():
    import torch

    assert [p.name for p in _params(torch_signature(torch.nn.Conv2d))][:3] == ["in_channels", "out_channels",
                                                                              "kernel_size"]     # inspect
    rnn = _params(torch_signature(torch.nn.RNN))                                             # typing overloads
    assert [p.name for p in rnn][:3] == ["input_size", "hidden_size", "num_layers"]
    conv = torch_signature(torch.nn.functional.conv2d)                                       # docstring
    assert list(conv.parameters)[:3] == ["input", "weight", "bias"] and conv.parameters["groups"].default == 1
    def opaque(*args, **kwargs):
        """Takes anything."""

    with pytest.raises(AssertionError, match="cannot read"):
        torch_signature(opaque)         # nothing readable: the test fails, it never skips


def test_a_drifted_signature_fails():
    def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):   # 'x' instead of 'input'
        ...

    import torch

    torchs = _params(torch_signature(torch.nn.functional.conv2d))
    assert [p.name for p in _params(inspect.signature(conv2d))] != [p.name for p in torchs]
