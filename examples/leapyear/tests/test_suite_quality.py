"""Meta-tests: the suite in the side's tests/ passes on the correct code and fails on each broken version."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN = sorted((Path(__file__).parent / "resources" / "leapyear").glob("broken_*.py"))


def run_suite(side, tmp_path, replacement=None):
    """Run the side's suite on a copy of the side, with leapyear.py replaced if asked; return pytest's exit code."""
    work = tmp_path / "side"
    shutil.copytree(side, work)
    if replacement is not None:
        shutil.copyfile(replacement, work / "leapyear.py")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # a plain pytest run: no plugins, fast start
    return subprocess.run(command, cwd=work, env=env, capture_output=True, check=False).returncode


def test_suite_passes_on_the_correct_code(gtguard_side, tmp_path):
    assert run_suite(gtguard_side.path, tmp_path) == 0


@pytest.mark.parametrize("broken", BROKEN, ids=lambda path: path.stem)
def test_suite_fails_on_a_broken_version(gtguard_side, tmp_path, broken):
    assert run_suite(gtguard_side.path, tmp_path, broken) == 1  # 1: tests failed (not 4 or 5: no suite)
