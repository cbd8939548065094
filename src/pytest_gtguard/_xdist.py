"""The one place that knows about pytest-xdist: whether this process is a worker, and turning workers off."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `gtguard` commands import this without loading pytest
    import pytest

__all__ = ["distributes", "is_worker", "no_workers", "requested", "workers_count", "workers_value"]


def is_worker(config: pytest.Config) -> bool:
    """Return True in an xdist worker (workers never write files: the controller does)."""
    return hasattr(config, "workerinput")


def distributes(config: pytest.Config) -> bool:
    """Return True in an xdist controller that hands the tests to workers (it imports no test code)."""
    return not is_worker(config) and getattr(config.option, "dist", "no") != "no"


def workers_value(config: pytest.Config) -> object:
    """Return the ``-n`` value pytest parsed (an int, "auto" or "logical"; the ini's addopts included), or None.

    Read from the early namespace, so it is there from ``pytest_load_initial_conftests`` on.
    """
    return getattr(config.known_args_namespace, "numprocesses", None)


def requested(config: pytest.Config) -> bool:
    """Return True when the command line (or the ini's addopts) asks xdist for workers or a distribution."""
    namespace = config.known_args_namespace
    return (
        bool(workers_value(config)) or getattr(namespace, "dist", "no") != "no" or bool(getattr(namespace, "tx", None))
    )


def no_workers(config: pytest.Config) -> None:
    """Have xdist start no worker in this process (gtguard runs its own processes: split runs, meta mutants).

    Call it from ``pytest_configure``, before xdist's own (``trylast``) registers its distributed session.
    """
    option = config.option
    if hasattr(option, "numprocesses"):
        option.numprocesses = 0
        option.dist = "no"
        option.tx = []
        option.distload = False


def workers_count(value: object) -> int | None:
    """Return how many processes ``-n VALUE`` asks for: N, every core for auto/logical, None for 0 or none."""
    if value in ("auto", "logical"):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else max(1, os.cpu_count() or 1)
    try:
        count = int(str(value))
    except ValueError:
        return None
    return count if count > 0 else None
