"""Test modules pytest passes over: a task's tests in a file whose name is outside ``python_files``.

Some real tasks run their tests with unittest (``python -m unittest tests.test``), which imports any
module it is named, and keep them in ``tests/test.py`` or ``tests/tests.py``. pytest collects only the
files its ``python_files`` patterns match (``test_*.py`` and ``*_test.py`` by default), so every run of a
split collects nothing and each ends with pytest's "no tests ran". This module finds such files: Python
files under ``tests/`` (or the ini's ``testpaths``) that define test functions or test classes and that
no pattern matches. Pure: it reads file names and text, and imports nothing.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path

from pytest_gtguard.task.findings import Finding, Severity, rel
from pytest_gtguard.task.ini import read_ini

__all__ = ["check_collectable", "collect_fix", "uncollected_test_files"]

DEFAULT_PATTERNS = ("test_*.py", "*_test.py")
# A module-level test function, or a class pytest or unittest would run (``class TestX`` / ``(TestCase)``).
_TESTS_INSIDE = re.compile(r"^(?:async\s+)?def test\w*\s*\(|^class \w+\(.*TestCase\s*\)|^class Test\w*\b", re.M)
_NOT_TESTS = {"__init__.py", "conftest.py"}
_LIMIT = 200  # files read per task: enough for any real tests folder


def _patterns(root: Path) -> list[str]:
    return (read_ini(root, "python_files") or "").split() or list(DEFAULT_PATTERNS)


def uncollected_test_files(root: Path) -> list[Path]:
    """Return the files under the task's test paths that hold tests but match none of its ``python_files``."""
    patterns = _patterns(root)
    folders = [root / p for p in (read_ini(root, "testpaths") or "").split()] or [root / "tests"]
    found: list[Path] = []
    seen = 0
    for folder in folders:
        if not folder.is_dir() or not folder.resolve().is_relative_to(root.resolve()):
            continue
        for path in sorted(folder.rglob("*.py")):
            if path.name in _NOT_TESTS or any(fnmatch.fnmatch(path.name, p) for p in patterns):
                continue
            seen += 1
            if seen > _LIMIT:
                return found
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if _TESTS_INSIDE.search(text):
                found.append(path)
    return found


def collect_fix(root: Path, files: list[Path]) -> str:
    """Return how to make pytest collect ``files``: name them, or widen ``python_files``."""
    patterns = _patterns(root)
    names = " ".join(rel(f, root) for f in files[:3])
    widen = " ".join([*patterns, *sorted({f.name for f in files})])
    return (
        f"pytest collects only files named {' or '.join(patterns)} (python_files): name the tests "
        f"(`pytest --before --after {names}`), rename them test_<name>.py, or set "
        f"`python_files = {widen}` in the task's pytest ini"
    )


def check_collectable(root: Path) -> Iterator[Finding]:
    """Yield GT007 for each test file pytest would not collect."""
    files = uncollected_test_files(root)
    for path in files:
        yield Finding(
            "GT007",
            Severity.WARNING,
            rel(path, root),
            "the file holds tests, but its name matches none of pytest's python_files patterns, so "
            "pytest --before/--after and the split never run them",
            collect_fix(root, [path]),
        )
