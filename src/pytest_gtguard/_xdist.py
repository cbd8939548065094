"""The one place that knows about pytest-xdist: whether this process is a worker."""

from __future__ import annotations

import pytest

__all__ = ["distributes", "is_worker"]


def is_worker(config: pytest.Config) -> bool:
    """Return True in an xdist worker (workers never write files: the controller does)."""
    return hasattr(config, "workerinput")


def distributes(config: pytest.Config) -> bool:
    """Return True in an xdist controller that hands the tests to workers (it imports no test code)."""
    return not is_worker(config) and getattr(config.option, "dist", "no") != "no"
