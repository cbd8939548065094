"""Build a task layout for the checks pytester tests (imported by name: tests/plugin is on sys.path)."""

from __future__ import annotations

import textwrap

import pytest

BEFORE = {"pkg/__init__.py": "", "pkg/core.py": "def answer():\n    return 0\n"}


def make_task(
    pytester: pytest.Pytester,
    after: dict[str, str],
    tests: str,
    *,
    before: dict[str, str] | None = None,
    ini: str = "",
) -> None:
    """Lay out a task: repository_before/, repository_after/ and tests/test_task.py."""
    files = {f"repository_after/{name}": text for name, text in after.items()}
    files |= {f"repository_before/{name}": text for name, text in (before or BEFORE).items()}
    files["tests/test_task.py"] = tests
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    pytester.makeini(f"[pytest]\ntestpaths = tests\n{textwrap.dedent(ini)}")
