from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gtguard.settings import ALL_OPTIONS
from pytest_gtguard.side.flags import claimed_flags
from pytest_gtguard.side.plugin import declared_options

FLAGS = ("--repo", "--before", "--after")


@pytest.mark.parametrize(
    ("where", "text", "claimed"),
    [
        (
            "conftest.py",
            "def pytest_addoption(parser):\n    parser.addoption('--repo', default='after')\n",
            {"--repo"},
        ),
        (
            "tests/conftest.py",
            'parser.addoption(\n    "--before",\n    action="store_true",\n)\n',
            {"--before"},
        ),
        ("conftest.py", "parser.addoption('--repository', help='see (--repo)')\n", set()),
        ("conftest.py", "# --repo is ours\nparser.getoption('--repo')\n", set()),
        ("deep/x/conftest.py", "parser.addoption('--repo')\n", set()),
    ],
    ids=["root", "tests-dir", "other-flag", "no-addoption", "not-initial"],
)
def test_side_claimed_flags_reads_initial_conftests(tmp_path: Path, where: str, text: str, claimed: set[str]) -> None:
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(text)

    assert claimed_flags(tmp_path, FLAGS) == claimed


def test_side_claimed_flags_looks_in_parent_folders(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("parser.addoption('--after')\n")
    (tmp_path / "sub").mkdir()

    assert claimed_flags(tmp_path / "sub", FLAGS) == {"--after"}


def test_side_declared_options_keeps_namespaced_flag(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("parser.addoption('--repo')\n")

    flags = {opt.dest: opt.flags for opt in declared_options(tmp_path)}

    assert flags["gtguard_repo"] == ("--gtguard-repo",)
    assert flags["gtguard_before"] == ("--before", "--gtguard-before")


def test_side_declared_options_unchanged_without_conftest(tmp_path: Path) -> None:
    assert declared_options(tmp_path) == ALL_OPTIONS


def test_side_declared_options_looks_at_paths_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "task" / "tests").mkdir(parents=True)
    (tmp_path / "task" / "tests" / "conftest.py").write_text("parser.addoption('--repo')\n")
    (tmp_path / "elsewhere").mkdir()

    options = declared_options(tmp_path / "elsewhere", ["-q", str(tmp_path / "task" / "tests") + "::x"])

    assert {opt.dest: opt.flags for opt in options}["gtguard_repo"] == ("--gtguard-repo",)
