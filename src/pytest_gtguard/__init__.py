"""pytest-gtguard: run a task's tests against one side, split them into F2P/P2P, gate and judge them."""

from __future__ import annotations

from pytest_gtguard.errors import ConfigError, GtguardError, GtguardWarning, InvalidMarker, TaskLayoutError
from pytest_gtguard.perf.budget import PerfBudget
from pytest_gtguard.side.task import Side, SideKind, Task

__all__ = [
    "ConfigError",
    "GtguardError",
    "GtguardWarning",
    "InvalidMarker",
    "PerfBudget",
    "Side",
    "SideKind",
    "Task",
    "TaskLayoutError",
]

__version__ = "0.1.0"
