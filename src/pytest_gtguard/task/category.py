"""Recognise a testing-category task: the suite under judgement lives in repository_after/, meta-tests in tests/.

In a testing task the model writes tests, so ``repository_after/`` holds the reference test suite and
the task's ``tests/`` folder holds meta-tests that run that suite (or check it against broken copies
of the code). The before/after split is the wrong tool there (``pytest --meta`` is the right one),
and several checks that assume a code task must not fire. Pure: reads files, imports no pytest.

The answer comes from, first to last: the ``gtguard_category`` ini key, the instance's ``category``
field, and the layout (new test files in repository_after that the task's tests name or run).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.task.ini import read_ini
from pytest_gtguard.task.instance import find_instance_files

__all__ = ["TaskCategory", "is_test_file", "meta_hint", "task_category"]

TESTING = "testing"
_SKIP_DIRS = frozenset({"__pycache__", ".git", "node_modules", ".venv", "venv", ".pytest_cache"})
_MAX_FILES = 2000
_MAX_BYTES = 512 * 1024
_TEST_NAME = re.compile(r"(?:^test_.*\.py$|_test\.py$|\.(?:test|spec)\.[jt]sx?$)")
# A meta-test runs the side's suite: pytest.main([...]), subprocess [..."pytest"...], or `python -m pytest`.
_RUNS_PYTEST = re.compile(r"pytest\.main\(|['\"]pytest['\"]|-m\s+pytest|['\"]-m['\"]\s*,\s*['\"]pytest['\"]")


@dataclass(frozen=True)
class TaskCategory:
    """A task's category and where gtguard read it."""

    name: str  # "testing", "bugfix", ... or "" when nothing says
    where: str  # "pytest.ini gtguard_category", "instances/instance.json", "layout: ...", or ""

    @property
    def is_testing(self) -> bool:
        """Return True for a testing-category task (the suite under judgement is in repository_after/)."""
        return self.name == TESTING


def meta_hint(root: Path) -> str | None:
    """Return the fix a split gives a testing task instead of "add a failing test", or None for other tasks."""
    found = task_category(root)
    if not found.is_testing:
        return None
    return (
        f"this is a testing task ({found.where}): its suite in repository_after/ is judged with `pytest --meta` "
        "(mutants of the ground truth), not by a before/after split"
    )


def is_test_file(name: str) -> bool:
    """Return True for a file name test runners collect (``test_x.py``, ``x_test.py``, ``x.test.ts``)."""
    return bool(_TEST_NAME.search(name))


def task_category(root: Path) -> TaskCategory:
    """Return the category of the task at ``root``: ini key, else instance field, else the layout."""
    value = read_ini(root, "gtguard_category")
    if value and value.strip():
        return TaskCategory(_normalise(value), "gtguard_category")
    for path in find_instance_files(root):
        found = _instance_category(path)
        if found:
            return TaskCategory(_normalise(found), path.relative_to(root).as_posix())
    evidence = _layout_evidence(root)
    if evidence:
        return TaskCategory(TESTING, "layout: " + evidence)
    return TaskCategory("", "")


def _normalise(value: str) -> str:
    text = value.strip().lower()
    # "Testing", "test-writing", "Test Generation", "unit tests": the handbook's testing category.
    return TESTING if text.startswith("test") or text.endswith(("tests", "testing")) else text


def _instance_category(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return ""
    first = data[0] if isinstance(data, list) and data else data
    value = first.get("category") if isinstance(first, dict) else None
    return value if isinstance(value, str) else ""


def _layout_evidence(root: Path) -> str:
    """Return why the layout looks like a testing task, or "" when it does not."""
    after = _test_files(root / "repository_after")
    if not after:
        return ""
    new = sorted(set(after) - set(_test_files(root / "repository_before")))
    if not new:
        return ""  # the suite was there before: a code task that kept the project's own tests
    stems = {Path(name).name.split(".")[0] for name in new}
    for path in _meta_sources(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        named = sorted(stem for stem in stems if stem in text)
        if named:
            return f"{path.relative_to(root).as_posix()} names {named[0]} in repository_after/"
        if "repository_after" in text and _RUNS_PYTEST.search(text):
            return f"{path.relative_to(root).as_posix()} runs pytest on repository_after/"
    return ""


def _test_files(folder: Path) -> list[str]:
    """Return the test files under ``folder``, as paths relative to it (bounded walk)."""
    if not folder.is_dir():
        return []
    found: list[str] = []
    stack, seen = [folder], 0
    while stack and seen < _MAX_FILES:
        here = stack.pop()
        try:
            entries = sorted(here.iterdir())
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif is_test_file(entry.name):
                found.append(entry.relative_to(folder).as_posix())
    return found


def _meta_sources(root: Path) -> list[Path]:
    """Return the task's own test sources (tests/ or test/), small files only."""
    paths: list[Path] = []
    for name in ("tests", "test"):
        folder = root / name
        if folder.is_dir():
            paths.extend(p for p in sorted(folder.rglob("*.py")) if "__pycache__" not in p.parts)
    return [p for p in paths[:_MAX_FILES] if p.is_file() and p.stat().st_size <= _MAX_BYTES]
