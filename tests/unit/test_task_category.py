"""task_category: a testing task is recognised from the ini key, the instance, or its layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_gtguard.task.category import is_test_file, task_category

META_TEST = """import subprocess, sys
from pathlib import Path

SUITE = Path(__file__).parent.parent / "repository_after"


def test_reference_suite_passes():
    run = subprocess.run([sys.executable, "-m", "pytest", str(SUITE)], check=False)
    assert run.returncode == 0
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _testing_layout(root: Path) -> Path:
    return _write(
        root,
        {
            "repository_before/calc.py": "def add(a, b):\n    return a + b\n",
            "repository_after/calc.py": "def add(a, b):\n    return a + b\n",
            "repository_after/tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2)\n",
            "tests/test_meta.py": META_TEST,
        },
    )


def test_category_testing_layout_is_recognised_from_a_meta_test_that_runs_the_after_suite(tmp_path: Path) -> None:
    found = task_category(_testing_layout(tmp_path))

    assert found.is_testing
    assert found.where == "layout: tests/test_meta.py runs pytest on repository_after/"


def test_category_testing_layout_is_recognised_from_a_meta_test_naming_the_suite_file(tmp_path: Path) -> None:
    _testing_layout(tmp_path)
    (tmp_path / "tests" / "test_meta.py").write_text("SUITE = 'test_calc.py'\n\ndef test_x():\n    assert SUITE\n")

    found = task_category(tmp_path)

    assert found.is_testing
    assert "names test_calc" in found.where


def test_category_code_task_with_tests_in_both_sides_is_not_testing(tmp_path: Path) -> None:
    _testing_layout(tmp_path)
    _write(tmp_path, {"repository_before/tests/test_calc.py": "def test_old():\n    assert True\n"})

    assert not task_category(tmp_path).is_testing


def test_category_code_task_with_ordinary_tests_is_not_testing(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "repository_before/wc.py": "def count(t):\n    return 0\n",
            "repository_after/wc.py": "def count(t):\n    return len(t.split())\n",
            "tests/test_wc.py": "from wc import count\n\ndef test_count():\n    assert count('a b') == 2\n",
        },
    )

    found = task_category(tmp_path)

    assert (found.name, found.where, found.is_testing) == ("", "", False)


@pytest.mark.parametrize("value", ["Testing", "test-writing", "unit tests"])
def test_category_instance_field_names_a_testing_task(tmp_path: Path, value: str) -> None:
    _write(tmp_path, {"instances/instance.json": json.dumps({"instance_id": "x", "category": value})})

    found = task_category(tmp_path)

    assert found.is_testing
    assert found.where == "instances/instance.json"


def test_category_ini_key_wins_over_the_layout(tmp_path: Path) -> None:
    _testing_layout(tmp_path)
    _write(tmp_path, {"pytest.ini": "[pytest]\ngtguard_category = bugfix\n"})

    found = task_category(tmp_path)

    assert (found.name, found.where, found.is_testing) == ("bugfix", "gtguard_category", False)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("test_x.py", True), ("x_test.py", True), ("a.spec.ts", True), ("conftest.py", False), ("testing.py", False)],
)
def test_category_test_file_names(name: str, expected: bool) -> None:
    assert is_test_file(name) is expected


def test_category_meta_hint_points_a_testing_task_to_meta(tmp_path: Path) -> None:
    from pytest_gtguard.task.category import meta_hint

    assert meta_hint(tmp_path) is None
    hint = meta_hint(_testing_layout(tmp_path))

    assert hint == (
        "this is a testing task (layout: tests/test_meta.py runs pytest on repository_after/): its suite in "
        "repository_after/ is judged with `pytest --meta` (mutants of the ground truth), not by a before/after split"
    )
