"""Fixture tasks for the task package's unit tests: a clean task that each test breaks in one way."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_gtguard.task.patch import make_patch
from pytest_gtguard.task.scaffold import Category, create_task

BEFORE_WC = "def count(text):\n    return len(text.split(' '))\n"
AFTER_WC = "def count(text):\n    return len(text.split())\n"
TESTS = """from wc import count


def test_count():
    assert count("a  b") == 2


class TestWc:
    def test_split(self):
        assert count("a b") == 2
"""
TRAJECTORY = """# Trajectory

## Analysis
count() split on single spaces, so double spaces counted empty words.

## Strategy
Split on any whitespace with str.split().

## Execution
Changed one line; test_count covers the bug.

## Resources
- https://docs.python.org/3/library/stdtypes.html#str.split
"""
README = """# AB12CD - Word count

count() miscounts words separated by several spaces.

## Before
```bash
docker compose run --rm before
```

## After
```bash
docker compose run --rm after
```

## Evaluation
```bash
docker compose run --rm evaluation
```
"""

TaskFactory = Callable[..., Path]


def write_instance(root: Path, **changes: object) -> None:
    """Rewrite the task's instance.json with ``changes`` applied (a value of None deletes the key)."""
    path = root / "instances" / "instance.json"
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data, indent=2))


@pytest.fixture
def task_factory(tmp_path: Path) -> TaskFactory:
    """Return ``make(name=...)``: build a complete task that `gtguard validate` finds clean."""

    def make(name: str = "ab12cd-word-count") -> Path:
        root = create_task(tmp_path, name, Category.BUGFIX)
        for keep in ("repository_before", "repository_after", "tests", "patches"):
            (root / keep / ".gitkeep").unlink()
        (root / "repository_before" / "wc.py").write_text(BEFORE_WC)
        (root / "repository_after" / "wc.py").write_text(AFTER_WC)
        (root / "tests" / "test_wc.py").write_text(TESTS)
        (root / "README.md").write_text(README)
        (root / "trajectory" / "trajectory.md").write_text(TRAJECTORY)
        write_instance(
            root,
            problem_statement="count() must count words separated by any whitespace.",
            github_url=f"https://github.com/example/tasks/tree/main/{name}",
            FAIL_TO_PASS=["tests/test_wc.py::test_count"],
            PASS_TO_PASS=["tests/test_wc.py::TestWc::test_split"],
        )
        (root / "patches" / "diff.patch").write_bytes(make_patch(root))
        return root

    return make
