"""Exception and warning types raised by gtguard's pure modules; the pytest glue translates them."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "GtguardDeprecationWarning",
    "GtguardError",
    "GtguardWarning",
    "InvalidMarker",
    "MetaSetupError",
    "TaskLayoutError",
]


class GtguardError(Exception):
    """Base class of every error gtguard raises on purpose; its message says what, where and how to fix."""


class ConfigError(GtguardError):
    """A bad option, ini value or environment variable; the glue raises it as ``pytest.UsageError``."""


class TaskLayoutError(ConfigError):
    """The task directory or a side directory is missing or unusable."""


class InvalidMarker(GtguardError):
    """A gtguard marker was given bad arguments; reported as a failure of that one test."""


class MetaSetupError(GtguardError):
    """``--meta`` cannot judge the suite (bad ground truth, suite fails on it, mutants unreachable)."""


class GtguardWarning(UserWarning):
    """Base class of gtguard's warnings, so users can filter them as a group."""


class GtguardDeprecationWarning(GtguardWarning, DeprecationWarning):
    """An old spelling (an option renamed to the ``--gtguard-...`` rule) that goes away in the next release."""
