"""read_ini: a task's gtguard ini keys read without pytest, exactly as pytest itself reads them."""

from __future__ import annotations

import shlex
import textwrap
from pathlib import Path

import pytest

from pytest_gtguard.task.ini import read_ini

CONTINUED = """
    [pytest]
    gtguard_category = testing  # inline: pytest keeps this text in the value
    gtguard_meta_variants =
        leapyear.py=tests/broken/a.py
        # a comment line inside the value is dropped
        leapyear.py=tests/broken/b.py
"""


def _write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def test_continuation_lines_and_comment_lines_read_as_pytest_reads_them(pytester: pytest.Pytester) -> None:
    _write(pytester.path, "pytest.ini", CONTINUED)
    config = pytester.parseconfig()

    raw = read_ini(pytester.path, "gtguard_meta_variants")

    assert raw == "leapyear.py=tests/broken/a.py\nleapyear.py=tests/broken/b.py"  # no leading empty line
    assert shlex.split(raw) == config.getini("gtguard_meta_variants")


def test_an_inline_comment_stays_in_the_value_as_in_pytest(pytester: pytest.Pytester) -> None:
    _write(pytester.path, "pytest.ini", CONTINUED)
    config = pytester.parseconfig()

    assert read_ini(pytester.path, "gtguard_category") == config.getini("gtguard_category")
    assert read_ini(pytester.path, "gtguard_category") == "testing  # inline: pytest keeps this text in the value"


def test_a_pytest_ini_without_a_pytest_section_still_ends_the_search(tmp_path: Path) -> None:
    # pytest takes pytest.ini as the configuration file even when it has no [pytest] section.
    _write(tmp_path, "pytest.ini", "[other]\nx = 1\n")
    _write(tmp_path, "tox.ini", "[pytest]\ngtguard_expect_f2p = false\n")

    assert read_ini(tmp_path, "gtguard_expect_f2p") is None


def test_tox_ini_without_a_pytest_section_is_skipped_for_setup_cfg(tmp_path: Path) -> None:
    _write(tmp_path, "tox.ini", "[tox]\nenvlist = py311\n")
    _write(tmp_path, "setup.cfg", "[metadata]\nname = x\n\n[tool:pytest]\ngtguard_expect_f2p = false\n")

    assert read_ini(tmp_path, "gtguard_expect_f2p") == "false"


def test_pyproject_native_tool_pytest_list_reads_one_item_a_line(tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[tool.pytest]\ngtguard_env = ["A={side}", "B={path}"]\n')

    assert read_ini(tmp_path, "gtguard_env") == "A={side}\nB={path}"


def test_pytest_toml_comes_before_pytest_ini(tmp_path: Path) -> None:
    _write(tmp_path, "pytest.toml", '[pytest]\ngtguard_category = "testing"\n')
    _write(tmp_path, "pytest.ini", "[pytest]\ngtguard_category = bugfix\n")

    assert read_ini(tmp_path, "gtguard_category") == "testing"


def test_a_broken_ini_file_gives_no_value_instead_of_a_traceback(tmp_path: Path) -> None:
    _write(tmp_path, "pytest.ini", "gtguard_category = testing\n")  # no section header

    assert read_ini(tmp_path, "gtguard_category") is None
