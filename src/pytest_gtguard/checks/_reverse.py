"""Child-run plugin (``-p pytest_gtguard.checks._reverse``): run the collected tests in reverse order.

Determinism re-runs use it to run a test after the rest of its file instead of before it; no
pytest import is needed, pytest passes the item list.
"""

from __future__ import annotations

__all__ = ["pytest_collection_modifyitems"]


def pytest_collection_modifyitems(items: list[object]) -> None:
    """Reverse the run order in place."""
    items.reverse()
