"""One more line in pytest's header, from code that has no plugin of its own to say it (``_cov``, ``_xdist``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `gtguard` commands import this without loading pytest
    import pytest

__all__ = ["add_line"]


class _Line:
    """A plugin that only adds one line to the header."""

    def __init__(self, line: str) -> None:
        self._line = line

    def pytest_report_header(self) -> list[str]:
        """Return the line."""
        return [self._line]


def add_line(config: pytest.Config, name: str, line: str) -> None:
    """Print ``line`` in the header of ``config``'s session, once per ``name``."""
    plugin_name = f"gtguard-header-{name}"
    if not config.pluginmanager.has_plugin(plugin_name):
        config.pluginmanager.register(_Line(line), plugin_name)
