"""pytest-gtguard: run a task's tests against one side, split them into F2P/P2P, gate and judge them.

PYTEST_DONT_REWRITE: the split's runs fork from an interpreter that has already imported this package
(``split.zygote``); without this marker pytest would warn that it cannot rewrite its asserts, and
that warning is an error in every task whose ini says ``filterwarnings = error``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_gtguard.errors import (
    ConfigError,
    GtguardDeprecationWarning,
    GtguardError,
    GtguardWarning,
    InvalidMarker,
    TaskLayoutError,
)

if TYPE_CHECKING:
    from pytest_gtguard.perf.budget import PerfBudget
    from pytest_gtguard.side.task import Side, SideKind, Task

# Imported on first use (PEP 562): pytest imports this package in every run of everyone who installs it.
_LAZY = {
    "PerfBudget": "pytest_gtguard.perf.budget",
    "Side": "pytest_gtguard.side.task",
    "SideKind": "pytest_gtguard.side.task",
    "Task": "pytest_gtguard.side.task",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_gtguard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ConfigError",
    "GtguardDeprecationWarning",
    "GtguardError",
    "GtguardWarning",
    "InvalidMarker",
    "PerfBudget",
    "Side",
    "SideKind",
    "Task",
    "TaskLayoutError",
]

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it (tool.hatch.version)
