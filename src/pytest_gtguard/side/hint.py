"""Plain ``pytest`` in a task folder, with no side chosen: say how to choose one when the tests cannot import it.

The tests of most tasks import the solution by its bare name (``from calc import add``), which only a side
makes importable. Without ``--before``, ``--after`` or ``--repo``, such a run ends in collection errors
whose ``ModuleNotFoundError`` does not say what is missing; this plugin adds one line that does.
Registered only in a task with no side chosen (plugin.py), so other runs never pay for it. Imports no pytest:
the logic is plain, and the plugin object only answers two hooks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_gtguard.side.task import Task

if TYPE_CHECKING:
    import pytest

__all__ = ["NoSideHint", "missing_side_module", "register", "side_folders_with"]

_NO_MODULE = re.compile(r"No module named '(?P<name>[\w.]+)'")


def side_folders_with(task: Task, module: str) -> list[str]:
    """Return the side folders (``repository_before``, ``repository_after``) that hold the top package of ``module``."""
    top = module.split(".", 1)[0]

    def holds(side: Path) -> bool:
        if top == side.name:  # `import repository_after.calc` without the task root on sys.path
            return side.is_dir()
        return any((base / top).is_dir() or (base / f"{top}.py").is_file() for base in (side, side / "src"))

    return [side.name for side in (task.before_dir, task.after_dir) if holds(side)]


def missing_side_module(task: Task, text: str) -> tuple[str, list[str]] | None:
    """Return the module a collection error could not import and the sides that hold it, if any does."""
    for match in _NO_MODULE.finditer(text):
        folders = side_folders_with(task, match["name"])
        if folders:
            return match["name"], folders
    return None


class NoSideHint:
    """Collect the collection errors a side would fix; name ``--before``, ``--after`` and ``--repo`` once at the end."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self._missing: dict[str, list[str]] = {}

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Note a collection error whose ModuleNotFoundError names a module that lives in a side folder."""
        if report.failed and report.longrepr is not None:
            found = missing_side_module(self._task, str(report.longrepr))
            if found is not None:
                self._missing.setdefault(*found)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the hint once, after the errors."""
        if not self._missing:
            return
        module, folders = next(iter(self._missing.items()))
        where = " and ".join(f"{name}/" for name in folders)
        others = f" (and {len(self._missing) - 1} more)" if len(self._missing) > 1 else ""
        terminalreporter.write_line(
            f"gtguard: no side was chosen, so {module!r}{others} from {where} cannot be imported: run "
            "pytest --before (repository_before), pytest --after (repository_after) or pytest --repo PATH "
            "(a candidate solution); or set gtguard_side in the ini file (docs/side.md)",
            yellow=True,
            bold=True,
        )


def register(config: pytest.Config, task: Task | None) -> None:
    """Register the hint for a run in ``task`` that chose no side (does nothing outside a task)."""
    if task is not None:
        config.pluginmanager.register(NoSideHint(task), "gtguard-side-hint")
