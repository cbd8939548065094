"""The one place that knows about pytest-cov: asking it to stay out where gtguard runs its own processes.

Under ``--meta`` gtguard measures per-test coverage with coverage.py itself (to pick the tests each
mutant needs); coverage.py has one collector per process (``sys.settrace``, or ``sys.monitoring``'s
coverage tool id), so pytest-cov's, started first, left gtguard's off, and its figure counted the
mutation phase's forks, not a run of the suite. Under the split the parent runs no test. In both,
pytest-cov stands down with one header line that says why and what to run instead (docs/xdist.md).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pytest_gtguard import _header

if TYPE_CHECKING:  # annotations only: `gtguard` commands import this without loading pytest
    import pytest

__all__ = ["requested", "stand_down"]


def requested(config: pytest.Config) -> bool:
    """Return True when pytest-cov is asked to measure (``--cov``, on the command line or in addopts)."""
    namespace = config.known_args_namespace
    return bool(getattr(namespace, "cov_source", None)) and not getattr(namespace, "no_cov", False)


def stand_down(config: pytest.Config, line: str | None) -> bool:
    """Stop pytest-cov's measurement in this process and say ``line`` in the header; False if it was not asked.

    Works whether pytest-cov started already (its plugin is stopped and unregistered: it reports and
    writes nothing) or starts later (``no_cov`` is set on the namespace its plugin reads).
    """
    if not requested(config):
        return False
    config.known_args_namespace.no_cov = True
    config.option.no_cov = True
    plugin = config.pluginmanager.get_plugin("_cov")
    if plugin is not None:
        cov = getattr(getattr(plugin, "cov_controller", None), "cov", None)
        if cov is not None:
            with contextlib.suppress(Exception):  # whatever state it is in, it must not go on measuring
                cov.stop()
        config.pluginmanager.unregister(plugin)
    if line is not None:
        _header.add_line(config, "cov", line)
    return True
