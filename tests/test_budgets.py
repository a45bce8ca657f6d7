"""The notebook budgets of shared/COURSE.md, asserted on the CPU time of each kernel and its children.

CPU time rather than wall time: a busy machine stretches the wall clock of every notebook, while the work a
notebook does (with the one-thread policy of ``dlcourse.setup``) stays the same. The numbers come from the nbval
runs of this same test command (``tests/notebook_runs.py``); a notebook that did not run in this session skips.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from notebook_runs import GROUP_BUDGETS_S, NOTEBOOK_BUDGET_S, budget_group

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)


def _runs(request):
    return request.config.pluginmanager.get_plugin("dlcourse-notebook-runs").runs


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_within_budget(request, notebook):
    run = _runs(request).get(notebook)
    if run is None or run.cells == 0:
        pytest.skip(f"{notebook} was not executed in this test session")
    if run.failed:
        pytest.fail(f"{notebook} failed under nbval, so its time is not a measurement")
    assert run.cpu_s > 0, f"{notebook}: no CPU time was measured for its kernel"
    assert run.cpu_s <= NOTEBOOK_BUDGET_S, (
        f"{notebook} used {run.cpu_s:.1f} s of CPU, over the {NOTEBOOK_BUDGET_S:.0f} s budget per notebook")


@pytest.mark.parametrize("group", sorted(GROUP_BUDGETS_S))
def test_chapter_within_allowance(request, group):
    members = [nb for nb in NOTEBOOKS if budget_group(nb) == group]
    if not members:
        pytest.skip(f"no notebook belongs to {group} yet")
    runs = _runs(request)
    missing = [nb for nb in members if nb not in runs or runs[nb].cells == 0]
    if missing:
        pytest.skip(f"{group}: not every notebook ran in this session (missing {missing})")
    total = sum(runs[nb].cpu_s for nb in members)
    assert total <= GROUP_BUDGETS_S[group], (
        f"{group} used {total:.1f} s of CPU over {len(members)} notebooks, over its {GROUP_BUDGETS_S[group]:.0f} s "
        f"allowance: " + ", ".join(f"{nb} {runs[nb].cpu_s:.1f} s" for nb in members))


def test_budget_groups():
    assert budget_group("book/ch3_backprop/training.ipynb") == "chapters 1-4"
    assert budget_group("book/ch7_attention/attention.ipynb") == "chapter 7"
    assert budget_group("book/scale_out/ddp.ipynb") == "scale-out"
    assert budget_group("book/intro.md") == "other"
