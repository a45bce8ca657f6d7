"""Every notebook is executed once per test command, by nbval, and the book build reuses those executions.

How it works (registered as a plugin by ``tests/conftest.py``):

1. nbval executes each notebook under ``book/`` cell by cell (one pytest item per code cell). After each cell this
   plugin keeps the outputs nbval collected (``item.test_outputs``) in the notebook object nbval read, and reads
   the CPU time of the kernel process and its children (psutil).
2. When the last cell of a notebook has passed, the executed notebook is stored in a jupyter-cache folder for this
   test session, with its wall time as ``execution_seconds`` (what myst-nb's ``{nb-exec-table}`` shows). A notebook
   with a failing cell is not stored.
3. ``tests/test_book.py`` builds the book with ``execute_notebooks: cache`` pointed at that folder: every notebook
   that passed under nbval is a cache hit, so the build executes nothing again. It counts the executions in the
   build log and fails if a notebook that nbval already ran was executed a second time.
4. ``tests/test_budgets.py`` asserts the allowances of ``shared/COURSE.md`` on the kernels' CPU time (a busy
   machine stretches wall time, not CPU time), and the table is printed at the end of every run.

Notebook items are moved ahead of every other test so that the build and the budget checks find their results.
"""
from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Allowances (CPU seconds of notebook execution, kernel start included) from shared/COURSE.md.
NOTEBOOK_BUDGET_S = 60.0
GROUP_BUDGETS_S = {"chapters 1-4": 150.0, "chapter 5": 120.0, "chapter 6": 120.0, "chapter 7": 120.0,
                   "chapter 8": 120.0, "scale-out": 30.0}


def budget_group(path: str) -> str:
    """The allowance a notebook counts against: ``book/ch3_backprop/x.ipynb`` -> ``"chapters 1-4"``."""
    match = re.match(r"book/ch(\d+)_", path)
    if match:
        chapter = int(match.group(1))
        return "chapters 1-4" if chapter <= 4 else f"chapter {chapter}"
    if path.startswith("book/scale_out"):
        return "scale-out"
    return "other"


@dataclass
class NotebookRun:
    """What one notebook's execution under nbval cost and whether every cell passed."""

    path: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    cells: int = 0
    failed: bool = False
    stored: bool = False
    executions: int = 0  # kernels started for this notebook in this session


@dataclass(eq=False)  # a pytest plugin must be hashable
class NotebookRuns:
    cache_dir: Path
    runs: dict[str, NotebookRun] = field(default_factory=dict)
    last_cell: dict[str, str] = field(default_factory=dict)  # notebook path -> nodeid of its last cell item
    build_executions: list[str] | None = None  # notebooks the book build executed (None: no build ran)
    _started: dict[int, float] = field(default_factory=dict)

    # --------------------------------------------------------------------------- collection: notebooks first
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        notebooks = [i for i in items if _is_cell(i)]
        others = [i for i in items if not _is_cell(i)]
        items[:] = notebooks + others
        for item in notebooks:
            self.last_cell[_path(item)] = item.nodeid

    # --------------------------------------------------------------------------- per cell
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        if not _is_cell(item):
            yield
            return
        run = self.runs.setdefault(_path(item), NotebookRun(_path(item)))
        kernel = getattr(item.parent, "kernel", None)
        if kernel is not None and id(kernel) not in self._started:
            self._started[id(kernel)] = time.time()
            run.executions += 1
        yield
        cpu = _kernel_cpu_seconds(kernel)
        if cpu is not None:
            run.cpu_s = max(run.cpu_s, cpu)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if not _is_cell(item):
            return
        report = outcome.get_result()
        run = self.runs.setdefault(_path(item), NotebookRun(_path(item)))
        if report.when == "call":
            run.wall_s += call.duration
            run.cells += 1
            if report.failed:
                run.failed = True
            outputs = getattr(item, "test_outputs", None)
            if outputs is not None:
                item.cell.outputs = _as_a_notebook_shows(item.cell.source, outputs)
                item.cell.execution_count = item.cell_num + 1
        elif report.when == "setup" and report.failed:
            run.failed = True
        if report.when == "call" and item.nodeid == self.last_cell.get(run.path) and not run.failed:
            run.stored = self._store(item.parent.nb, run)

    def pytest_runtest_logreport(self, report):
        path = report.nodeid.split("::")[0]
        if path.endswith(".ipynb") and report.when == "setup":  # the first cell's setup starts the kernel
            self.runs.setdefault(path, NotebookRun(path)).wall_s += report.duration

    def _store(self, nb, run: NotebookRun) -> bool:
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        cache = get_cache(str(self.cache_dir))
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(ROOT / run.path), data={"execution_seconds": run.wall_s}),
                                    check_validity=False, overwrite=True)
        return True

    # --------------------------------------------------------------------------- the table
    def pytest_terminal_summary(self, terminalreporter):
        if not self.runs:
            return
        tr = terminalreporter
        tr.section("notebook executions (nbval; CPU = kernel and its children, kernel start included)")
        tr.write_line("runs = executions in this test command: nbval's kernels + the book build's (when it ran)")
        tr.write_line(f"{'CPU s':>7} {'wall s':>7}  runs  result  notebook")
        totals: dict[str, float] = {}
        for path, run in sorted(self.runs.items()):
            totals[budget_group(path)] = totals.get(budget_group(path), 0.0) + run.cpu_s
            flag = f"  OVER THE {NOTEBOOK_BUDGET_S:.0f} s BUDGET" if run.cpu_s > NOTEBOOK_BUDGET_S else ""
            result = "failed" if run.failed else "passed"
            count = run.executions + (self.build_executions or []).count(path)
            tr.write_line(f"{run.cpu_s:7.1f} {run.wall_s:7.1f}  {count:4d}  {result:6s}  {path}{flag}")
        for group, total in sorted(totals.items()):
            budget = GROUP_BUDGETS_S.get(group)
            limit = f" of {budget:.0f} s" if budget else ""
            flag = "  OVER BUDGET" if budget and total > budget else ""
            tr.write_line(f"{total:7.1f} s CPU  {group}{limit}{flag}")


def _as_a_notebook_shows(source: str, outputs: list) -> list:
    """The outputs a notebook front end keeps for this cell.

    nbval executes with ``store_history=False``, and IPython then cannot see a cell's trailing ``;``, which in a
    notebook silences the value of the last expression. Drop that value here, as Jupyter and myst-nb's executor
    would, so a figure cell ending in ``plot(...);`` does not show its figure twice (twice the same figure label).
    """
    from IPython.core.displayhook import DisplayHook

    try:
        quiet = DisplayHook.semicolon_at_end_of_expression(source)
    except Exception:  # noqa: BLE001 - a cell that does not tokenize keeps what it printed
        quiet = False
    return [o for o in outputs if not (quiet and o.get("output_type") == "execute_result")]


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def _path(item) -> str:
    return item.nodeid.split("::")[0]


def _kernel_cpu_seconds(kernel) -> float | None:
    """User + system CPU seconds of the kernel process, its reaped children and its live descendants."""
    try:
        import psutil

        pid = kernel.km.provisioner.process.pid
        proc = psutil.Process(pid)
        t = proc.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in proc.children(recursive=True):
            with _suppress_psutil():
                c = child.cpu_times()
                total += c.user + c.system
        return total
    except Exception:  # noqa: BLE001 - the measurement must never break a notebook's test
        return None


class _suppress_psutil:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import psutil

        return exc_type is not None and issubclass(exc_type, psutil.Error)


def register(config) -> NotebookRuns:
    """Create the plugin (once per session) with a fresh jupyter-cache folder."""
    plugin = config.pluginmanager.get_plugin("dlcourse-notebook-runs")
    if plugin is None:
        plugin = NotebookRuns(Path(tempfile.mkdtemp(prefix="dlcourse-nbcache-")))
        config.pluginmanager.register(plugin, "dlcourse-notebook-runs")
    return plugin
