"""A small bug-fix task and a split runner for the split's pytester tests (tests/plugin is on sys.path)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

BUGGY = "def add(a, b):\n    return a - b\n\ndef neg(a):\n    return -a\n"
FIXED = "def add(a, b):\n    return a + b\n\ndef neg(a):\n    return -a\n"
TESTS = """
from calc import add, neg

def test_add():
    assert add(2, 3) == 5

def test_neg():
    assert neg(2) == -2
"""


def write(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` (dedented) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def instance(**lists: list[str]) -> str:
    """Return an instance file's text with ``lists`` (FAIL_TO_PASS=..., PASS_TO_PASS=...)."""
    data = {
        "instance_id": "T1",
        "problem_statement": "fix add",
        "base_commit": "repository_before/",
        "github_url": "https://github.com/example/calc",
        "FAIL_TO_PASS": [],
        "PASS_TO_PASS": [],
        "extra": {"keep": True},
    }
    data.update(lists)
    return json.dumps(data, indent=4)


def write_bugfix_task(root: Path) -> Path:
    """Lay out the bug-fix task (``add`` broken on before, ``neg`` right on both) under ``root``."""
    write(
        root,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": TESTS,
            "pytest.ini": "[pytest]\n",
        },
    )
    return root


def split(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    """Run ``pytest --before --after`` with 2 runs per side; return the result and the report."""
    report = pytester.path / "out" / "report.json"
    result = pytester.runpytest("--before", "--after", "--gtguard-runs", "2", "--gtguard-report", str(report), *args)
    data = json.loads(report.read_text()) if report.exists() else {}
    return result, data
