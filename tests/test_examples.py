"""The bundled examples are model tasks: validate finds nothing, their first runs give no warning, and
the reports they write conform to the shipped schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gtguard.schemas import schema_errors

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    # The outer run's pytest, xdist and gtguard variables must not reach the example's own runs.
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GTGUARD_", "COV_CORE_"))}


def _copy(example: str, tmp_path: Path) -> Path:
    root = tmp_path / example
    shutil.copytree(ROOT / "examples" / example, root, ignore=shutil.ignore_patterns("__pycache__", "20??-??-??"))
    return root


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)


def test_examples_are_the_two_model_tasks() -> None:
    assert [p.name for p in EXAMPLES] == ["leapyear", "wordstats"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_gtguard_validate_finds_nothing_in_an_example(example: Path) -> None:
    result = _run([str(BIN / "gtguard"), "validate", str(example)], ROOT)  # validate only reads the task

    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean: nothing an ingestion check would reject" in result.stdout


def test_the_bug_fix_examples_first_split_is_valid_without_a_warning_and_its_report_conforms(tmp_path: Path) -> None:
    root = _copy("wordstats", tmp_path)
    report = tmp_path / "report.json"

    result = _run([sys.executable, "-m", "pytest", "--before", "--after", "--gtguard-report", str(report)], root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout
    assert "FAIL_TO_PASS 3  PASS_TO_PASS 2" in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert schema_errors("report", data) == []
    listed = json.loads((root / "instances" / "instance.json").read_text(encoding="utf-8"))
    assert data["split"]["FAIL_TO_PASS"] == listed["FAIL_TO_PASS"]


def test_the_testing_examples_meta_run_passes_and_its_report_conforms(tmp_path: Path) -> None:
    root = _copy("leapyear", tmp_path)

    result = _run([sys.executable, "-m", "pytest", "--meta", "-p", "no:cacheprovider"], root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "meta verdict: PASSED" in result.stdout
    (report,) = (root / "evaluation").glob("20*/*/report.json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert schema_errors("report", data) == []
    assert (data["kind"], data["meta"]["score"]) == ("meta", 100.0)
