"""Shared test configuration: a non-interactive matplotlib backend and a per-notebook timing report."""
from __future__ import annotations

from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # this process only: notebooks and the book build keep the inline backend

NOTEBOOK_BUDGET_S = 60.0


class NotebookTimer:
    """Adds up nbval's per-cell durations (kernel start included) for each notebook and prints them.

    Registered as a plugin rather than written as conftest hooks, because a conftest under tests/ only sees
    the items under tests/, and the notebooks live under book/.
    """

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report):
        path = report.nodeid.split("::")[0]
        if path.endswith(".ipynb"):
            self.seconds[path] += report.duration

    def pytest_terminal_summary(self, terminalreporter):
        if not self.seconds:
            return
        terminalreporter.section("notebook execution times (nbval, kernel start included)")
        for path, seconds in sorted(self.seconds.items()):
            flag = f"  OVER THE {NOTEBOOK_BUDGET_S:.0f} s BUDGET" if seconds > NOTEBOOK_BUDGET_S else ""
            terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("dlcourse-notebook-timer"):
        config.pluginmanager.register(NotebookTimer(), "dlcourse-notebook-timer")
