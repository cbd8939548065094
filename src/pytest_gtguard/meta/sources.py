"""Find the ground-truth files to mutate and the candidate suite to judge."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["default_suite", "find_sources"]

_SKIP_DIRS = frozenset(
    {
        "tests",
        "test",
        "testing",
        "__pycache__",
        ".git",
        ".venv",
        "venv",
        "env",
        "build",
        "dist",
        "site-packages",
        "node_modules",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "docs",
        "examples",
    }
)
_TEST_FILES = ("test_*.py", "*_test.py", "conftest.py", "setup.py", "noxfile.py", "tasks.py")


def find_sources(roots: Sequence[Path], *, exclude: Iterable[Path] = ()) -> list[Path]:
    """Return the ``.py`` files under ``roots`` that are code, not tests or tooling, sorted.

    A root that is a file is taken as is. Folders named like test or tooling folders are skipped,
    and so is anything under ``exclude`` (the candidate suite).
    """
    excluded = [e.resolve() for e in exclude]
    found: set[Path] = set()
    for root in roots:
        root = root.resolve()
        if root.is_file():
            found.add(root)
            continue
        for path in root.rglob("*.py"):
            relative = path.relative_to(root).parts
            if any(p in _SKIP_DIRS or p.startswith(".") for p in relative[:-1]):
                continue
            if any(fnmatch.fnmatch(path.name, pattern) for pattern in _TEST_FILES):
                continue
            if any(path.is_relative_to(e) for e in excluded):
                continue
            found.add(path)
    return sorted(found)


def default_suite(side_path: Path | None) -> Path | None:
    """Return where a testing task keeps the suite under judgement.

    That is ``<side>/tests``, else the side itself when test files live next to the code, else None
    (bug-fix tasks keep their tests outside the side).
    """
    if side_path is None or not side_path.is_dir():
        return None
    for name in ("tests", "test"):
        candidate = side_path / name
        if candidate.is_dir():
            return candidate
    for pattern in ("test_*.py", "*_test.py"):
        if any(p for p in side_path.rglob(pattern) if not any(part.startswith(".") for part in p.parts)):
            return side_path
    return None
