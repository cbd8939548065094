from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.side.conventions import EnvGuess, scan_conventions, template_for_default
from pytest_gtguard.side.task import Task


@pytest.mark.parametrize(
    ("default", "template"),
    [
        ("repository_after", "{rel}"),
        ("repository_before", "{rel}"),
        ("after", "{side}"),
        ("AFTER", "{SIDE}"),
        ("/app/repository_after", "{path}"),
        ("/app/repository_after/", "{path}"),
        ("", None),
        ("localhost", None),
        ("After", None),
    ],
)
def test_side_conventions_template_for_default(default: str, template: str | None) -> None:
    assert template_for_default(default) == template


def _task(tmp_path: Path, files: dict[str, str]) -> Task:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return Task(tmp_path)


def test_side_conventions_scan_reads_env_defaults_from_tests(tmp_path: Path) -> None:
    task = _task(
        tmp_path,
        {
            "tests/conftest.py": "import os\nREPO = os.environ.get('REPO_PATH', 'repository_after')\n",
            "tests/sub/test_x.py": 'import os\nIMPL = os.getenv("TEST_IMPLEMENTATION", "after")\n',
            "conftest.py": "import os\nos.environ.setdefault('TARGET', '/app/repository_after')\n",
        },
    )

    found = scan_conventions(task)

    assert set(found.env) == {
        EnvGuess("REPO_PATH", "{rel}", "tests/conftest.py:2"),
        EnvGuess("TEST_IMPLEMENTATION", "{side}", "tests/sub/test_x.py:2"),
        EnvGuess("TARGET", "{path}", "conftest.py:2"),
    }
    assert (found.names_after, found.names_before) == (True, False)


def test_side_conventions_scan_ignores_other_variables_and_folders(tmp_path: Path) -> None:
    task = _task(
        tmp_path,
        {
            "tests/test_x.py": "import os\nos.environ.get('DB_HOST', 'localhost')\n"
            "os.environ.get('PYTHONPATH', 'after')\nos.environ.get('GTGUARD_SIDE', 'after')\n",
            "evaluation/evaluation.py": "import os\nos.environ.get('REPO_PATH', 'repository_before')\n",
            "repository_after/x.py": "import os\nos.environ.get('IMPL', 'after')\n",
        },
    )

    found = scan_conventions(task)

    assert found.env == ()
    assert (found.names_after, found.names_before) == (False, False)


def test_side_conventions_first_read_wins(tmp_path: Path) -> None:
    task = _task(
        tmp_path,
        {"tests/test_a.py": "os.environ.get('R', 'after')\nos.environ.get('R', 'repository_after')\n"},
    )

    assert [g.item for g in scan_conventions(task).env] == ["R={side}"]
