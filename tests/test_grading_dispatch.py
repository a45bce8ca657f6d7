"""Forbidden operations caught at torch's dispatcher (issue 11), on exercise 1.1 (a matrix product by loops,
which forbids the built-in products): each shortcut the name-based checks cannot see, and each way to switch
the dispatcher check off from inside, is caught at run time; an honest answer is not charged.
"""
from __future__ import annotations

import pytest

from dlcourse import exercises as E
from dlcourse.grading.dispatch import PRODUCT_OPS, forbidden_ops
from dlcourse.grading.forbidden import find_forbidden
from dlcourse.grading.sandbox import run_exercise

EX = E.get("1.1")
OPS = forbidden_ops(EX.forbidden)
HONEST = ("import torch\ndef matmul(A, B):\n    C = torch.zeros(A.shape[0], B.shape[1], dtype=A.dtype)\n"
          "    for i in range(A.shape[0]):\n        for j in range(B.shape[1]):\n"
          "            s = 0.0\n            for k in range(A.shape[1]):\n                s = s + A[i, k] * B[k, j]\n"
          "            C[i, j] = s\n    return C\n")
WITH = "import importlib, torch\ndef matmul(A, B):\n    {setup}\n    with {guard}:\n        return A @ B\n"
PD = "importlib.import_module('torch.utils.' + '_python_' + 'dispatch')"
SHORTCUTS = {  # name: source whose entry reaches a product without naming a forbidden function
    "at_operator": "def matmul(A, B):\n    return A @ B\n",
    "c_base_method": "import torch\ndef matmul(A, B):\n    return torch._C.TensorBase.__dict__['m' + 'm'](A, B)\n",
    "aten_op": "import torch\ndef matmul(A, B):\n    return torch.ops.aten.mm(A, B)\n",
    "variable_functions": "import torch\ndef matmul(A, B):\n    return torch._C._VariableFunctions.mm(A, B)\n",
    "einsum": "import torch\ndef matmul(A, B):\n    return torch.einsum('ik,kj->ij', A, B)\n",
}
TAMPER = {  # the four ways to switch a dispatch mode off, each reached by a name built at run time
    "_disable_current_modes": WITH.format(setup=f"pd = {PD}", guard="getattr(pd, '_disable_' + 'current_modes')()"),
    "_pop_mode_temporarily": WITH.format(setup=f"pd = {PD}", guard="getattr(pd, '_pop_mode_' + 'temporarily')()"),
    "_DisableTorchDispatch": WITH.format(setup="pass", guard="getattr(torch._C, '_Disable' + 'TorchDispatch')()"),
    "_ExcludeDispatchKeyGuard": WITH.format(
        setup="ks = torch._C.DispatchKeySet(torch._C.DispatchKey.Python)",
        guard="getattr(torch._C, '_Exclude' + 'DispatchKeyGuard')(ks)"),
}


def test_products_arrive_as_these_operators():
    assert set(OPS) >= {"mm", "dot", "mv", "bmm", "addmm", "addmv", "baddbmm", "addbmm"} == set(PRODUCT_OPS) - {
        "vdot", "addr", "outer", "matmul", "_mm_plus_mm"}
    assert forbidden_ops(("torch.clamp",)) == ()  # no mode (and no cost) for exercises without operators


@pytest.mark.parametrize("name", sorted(SHORTCUTS))
def test_shortcut_unseen_by_names_is_caught_at_the_dispatcher(name):
    src = SHORTCUTS[name]
    assert find_forbidden(src, "matmul", EX.forbidden) == []  # the static check does not see it
    res = run_exercise(EX.id, src, timeout=10, forbidden=EX.forbidden, ops=OPS)
    assert res.failure is None and res.forbidden, res
    assert any("aten operator" in t for t in res.forbidden), res.forbidden


@pytest.mark.parametrize("name", sorted(TAMPER))
def test_switching_the_check_off_is_caught(name):
    res = run_exercise(EX.id, TAMPER[name], timeout=10, forbidden=EX.forbidden, ops=OPS)
    assert res.forbidden and any(name in t and "switches off" in t for t in res.forbidden), res


def test_tamper_names_are_also_refused_statically():
    src = "from torch.utils._python_dispatch import _disable_current_modes\ndef matmul(A, B):\n" \
          "    with _disable_current_modes():\n        return A @ B\n"
    assert find_forbidden(src, "matmul", EX.forbidden)


def test_honest_loops_pass_under_the_mode():
    res = run_exercise(EX.id, HONEST, timeout=20, forbidden=EX.forbidden, ops=OPS)
    assert res.failure is None and not res.forbidden and all(k == "ok" for k, _ in res.outcomes), res
