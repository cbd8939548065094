from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path

import pytest

from pytest_gtguard import cli
from pytest_gtguard.cli import ExitCode, build_parser, main
from pytest_gtguard.reward.model import Grade, Status
from pytest_gtguard.task.findings import CODES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "cli.md"


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_cli_docs_describe_every_subcommand_and_option() -> None:
    text = DOCS.read_text()
    for name, sub in _subparsers().items():
        assert f"## `gtguard {name}" in text, f"docs/cli.md has no section for gtguard {name}"
        section = text.split(f"## `gtguard {name}", 1)[1].split("\n## ", 1)[0]
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in section, f"gtguard {name} {flag} is not documented in its section"


def test_cli_docs_list_every_finding_code_and_exit_code() -> None:
    text = DOCS.read_text()
    for code in CODES:
        assert f"`{code}`" in text, f"{code} is not documented"
    for exit_code in ExitCode:
        assert re.search(rf"\|\s*{int(exit_code)}\s*\|\s*`{exit_code.name}`", text), f"{exit_code!r} not documented"


def test_cli_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])

    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in _subparsers():
        assert name in out


def test_cli_imports_pure_modules_only() -> None:
    sources = [ROOT / "src/pytest_gtguard/cli.py", *sorted((ROOT / "src/pytest_gtguard/task").glob("*.py"))]
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for name in names:
                assert not name.endswith("plugin") and name.split(".")[0] not in ("pytest", "_pytest"), (
                    f"{source.name} imports {name}"
                )


def test_cli_bad_usage_exits_4_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "--no-such-flag"])

    assert info.value.code == ExitCode.USAGE_ERROR
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["validate", "patch", "patch --check"])
def test_cli_missing_task_folder_is_one_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code = main([*command.split(), str(tmp_path / "nope")])

    err = capsys.readouterr().err
    assert code == ExitCode.USAGE_ERROR
    assert "no such directory" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_init_then_validate_reports_only_todos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "ab12cd-thing", "--category", "performance", "--dir", str(tmp_path)]) == ExitCode.OK
    assert "created" in capsys.readouterr().out

    code = main(["validate", str(tmp_path / "ab12cd-thing")])

    out = capsys.readouterr().out
    assert code == ExitCode.TODO
    assert "only parts a person has to write remain" in out
    assert "todo GT201" in out


def test_cli_validate_json_reports_findings_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["init", "t", "--category", "bugfix", "--dir", str(tmp_path)])
    (tmp_path / "t" / "instances" / "instance.json").write_text('{"problem_statement": "a\nb"}')
    capsys.readouterr()

    code = main(["validate", "--json", "--ignore", "GT201,GT301", str(tmp_path / "t")])

    data = json.loads(capsys.readouterr().out)
    assert code == ExitCode.FINDINGS == data["exit_code"]
    assert {f["code"] for f in data["findings"]} == {"GT002", "GT102"}
    (bad,) = (f for f in data["findings"] if f["code"] == "GT102")
    assert bad["line"] == 1 and "strict=False" in bad["fix"]


def test_cli_validate_uses_gtguard_task_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["init", "t", "--category", "bugfix", "--dir", str(tmp_path)])
    monkeypatch.setenv("GTGUARD_TASK", str(tmp_path / "t"))
    monkeypatch.chdir(tmp_path)

    assert main(["validate"]) == ExitCode.TODO


def _patch_task(root: Path) -> None:
    (root / "repository_before").mkdir(parents=True)
    (root / "repository_after").mkdir()
    (root / "repository_before" / "m.py").write_text("x = 1\n")
    (root / "repository_after" / "m.py").write_text("x = 2\n")
    (root / "repository_after" / "data.bin").write_bytes(b"\0\1\2")


def test_cli_patch_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _patch_task(tmp_path)

    assert main(["patch", str(tmp_path)]) == ExitCode.OK
    written = tmp_path / "patches" / f"{tmp_path.name}.patch"
    assert written.is_file()
    assert "wrote" in capsys.readouterr().out
    assert main(["patch", "--check", str(tmp_path)]) == ExitCode.OK

    (tmp_path / "repository_after" / "m.py").write_text("x = 3\n")
    assert main(["patch", "--check", str(tmp_path)]) == ExitCode.FINDINGS
    assert "differs m.py" in capsys.readouterr().out


def test_cli_patch_keeps_the_existing_patch_name(tmp_path: Path) -> None:
    _patch_task(tmp_path)
    (tmp_path / "patches").mkdir()
    (tmp_path / "patches" / "diff.patch").write_text("")

    assert main(["patch", "--no-git", str(tmp_path)]) == ExitCode.OK
    assert [p.name for p in (tmp_path / "patches").iterdir()] == ["diff.patch"]
    assert (tmp_path / "patches" / "diff.patch").read_bytes().startswith(b"diff --git")


def test_cli_patch_refuses_identical_sides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for side in ("repository_before", "repository_after"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "m.py").write_text("x = 1\n")

    assert main(["patch", str(tmp_path)]) == ExitCode.FINDINGS
    assert "nothing to diff" in capsys.readouterr().err


def test_cli_calibrate_bad_attempts_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["calibrate", str(tmp_path), "--attempts", str(tmp_path / "none")])

    assert code == ExitCode.USAGE_ERROR
    assert "--attempts" in capsys.readouterr().err


CALC_TESTS = """
from calc import add, sub


def test_add():
    assert add(2, 3) == 5


def test_sub():
    assert sub(5, 3) == 2


def test_add_negative():
    assert add(-1, -1) == -2
"""
GOOD = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
WRONG_SUB = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return b - a\n"
WRONG_ADD = "def add(a, b):\n    return abs(a) + abs(b)\n\n\ndef sub(a, b):\n    return a - b\n"
BROKEN = "def add(a, b):\n    return a + b\n"  # sub is missing: the test module fails to import


def _calibration_task(root: Path, attempts: list[str]) -> None:
    (root / "repository_before").mkdir(parents=True)
    (root / "repository_after").mkdir()
    (root / "repository_after" / "calc.py").write_text(GOOD)
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(CALC_TESTS)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    for i, code in enumerate(attempts, start=1):
        (root / "attempts" / f"attempt-{i}").mkdir(parents=True)
        (root / "attempts" / f"attempt-{i}" / "calc.py").write_text(code)
    (root / "reference").mkdir()
    (root / "reference" / "calc.py").write_text(GOOD)


def test_cli_calibrate_five_attempts_of_mixed_quality_is_goldilocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Real sandboxed runs: calibrate grades every attempt as gtguard grade does.
    task = tmp_path / "task"
    _calibration_task(task, [GOOD, WRONG_SUB, GOOD, WRONG_ADD, BROKEN])
    files_before = sorted(p.relative_to(task) for p in task.rglob("*"))

    code = main(
        [
            "calibrate",
            str(task),
            "--attempts",
            str(task / "attempts"),
            "--reference",
            str(task / "reference"),
            "--jobs",
            "3",
            "--json",
        ]
    )

    data = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK
    assert data["verdict"] == "Goldilocks"
    assert [a["passed"] for a in data["attempts"]] == [True, False, True, False, False]
    assert data["attempts"][1]["failing"] == ["tests/test_calc.py::test_sub"]
    assert data["attempts"][3]["failing"] == ["tests/test_calc.py::test_add_negative"]
    assert data["attempts"][4]["failing"] == sorted(
        f"tests/test_calc.py::{t}" for t in ("test_add", "test_sub", "test_add_negative")
    )
    assert [a["status"] for a in data["attempts"]] == ["resolved", "unresolved", "resolved", "unresolved", "unresolved"]
    assert data["pass_at_k"] == {"1": 0.4, "5": 1.0}
    assert data["references"][0]["passed"] is True
    assert sorted(p.relative_to(task) for p in task.rglob("*")) == files_before  # no caches, no reports


def test_cli_calibrate_text_output_says_too_hot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake(prepared: object, attempt: Path, **kwargs: object) -> Grade:
        if attempt.name != "attempt-5":
            return Grade(attempt.name, Status.RESOLVED, 1.0, {"tests/test_calc.py::test_sub": "passed"})
        return Grade(attempt.name, Status.UNRESOLVED, -1.0, {"tests/test_calc.py::test_sub": "failed"})

    monkeypatch.setattr(cli, "grade_prepared", fake)
    _calibration_task(tmp_path, [GOOD] * 5)

    code = main(["calibrate", str(tmp_path), "--attempts", str(tmp_path / "attempts")])

    out = capsys.readouterr().out
    assert code == ExitCode.FINDINGS
    assert "attempt attempt-5: FAIL [unresolved] (1 failed)" in out
    assert "    failed: tests/test_calc.py::test_sub" in out
    assert "verdict: Too Hot (target passed 4 of 5; no --reference given)" in out


def test_cli_patch_stdout_prints_without_writing(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    _patch_task(tmp_path)

    assert main(["patch", "--stdout", str(tmp_path)]) == ExitCode.OK

    assert capsysbinary.readouterr().out.startswith(b"diff --git a/repository_after/data.bin")
    assert not (tmp_path / "patches").exists()


def test_cli_patch_check_without_a_patch_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _patch_task(tmp_path)

    assert main(["patch", "--check", str(tmp_path)]) == ExitCode.FINDINGS
    assert "no patch file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--k", "0"], "at least 1"), (["--reference", "missing-ref"], "--reference")],
    ids=["bad-k", "missing-reference"],
)
def test_cli_calibrate_rejects_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    _calibration_task(tmp_path, [GOOD])
    extra = [str(tmp_path / e) if e == "missing-ref" else e for e in extra]

    code = main(["calibrate", str(tmp_path), "--attempts", str(tmp_path / "attempts"), *extra])

    assert code == ExitCode.USAGE_ERROR
    assert message in capsys.readouterr().err


def test_cli_calibrate_accepts_attempts_as_patches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Real sandboxed runs, as above: a patch attempt is applied to a temporary copy of repository_before.
    task = tmp_path / "task"
    _calibration_task(task, [])
    (task / "repository_before" / "calc.py").write_text(WRONG_SUB)
    good = b"--- a/calc.py\n+++ b/calc.py\n@@ -5,2 +5,2 @@\n def sub(a, b):\n-    return b - a\n+    return a - b\n"
    (task / "attempts").mkdir()
    (task / "attempts" / "good.patch").write_bytes(good)
    (task / "attempts" / "stale.diff").write_bytes(good.replace(b"b - a", b"a * b"))

    code = main(["calibrate", str(task), "--attempts", str(task / "attempts"), "--json"])

    data = json.loads(capsys.readouterr().out)
    assert code == ExitCode.FINDINGS
    assert [(a["name"], a["passed"]) for a in data["attempts"]] == [("good", True), ("stale", False)]
    assert "the patch does not apply" in data["attempts"][1]["error"]
    assert data["verdict"] == "Undecided"
    assert not (task / "repository_before" / "__pycache__").exists()
    assert "return b - a" in (task / "repository_before" / "calc.py").read_text()


def test_cli_split_runs_the_split_and_updates_the_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Real subprocesses: the split's isolation is one fresh pytest process per side and run.
    assert main(["init", "t", "--category", "bugfix", "--dir", str(tmp_path)]) == ExitCode.OK
    task = tmp_path / "t"
    (task / "repository_before" / "calc.py").write_text(WRONG_SUB)
    (task / "repository_after" / "calc.py").write_text(GOOD)
    (task / "tests" / "test_calc.py").write_text(CALC_TESTS)
    report = tmp_path / "report.json"
    capsys.readouterr()

    code = main(
        ["split", str(task), "--gtguard-runs", "1", "--gtguard-report", str(report), "--gtguard-update-instance"]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL_TO_PASS 1  PASS_TO_PASS 2" in out
    instance = json.loads((task / "instances" / "instance.json").read_text())
    assert instance["FAIL_TO_PASS"] == ["tests/test_calc.py::test_sub"]
    assert report.is_file()


def test_cli_split_reads_the_tasks_ini_as_pytest_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A pure refactor says gtguard_expect_f2p = false in its pytest.ini: `pytest --before --after` reads it,
    # and so must `gtguard split` (and so `gtguard batch split`, which runs it).
    assert main(["init", "t", "--category", "refactor", "--dir", str(tmp_path)]) == ExitCode.OK
    task = tmp_path / "t"
    for side in ("repository_before", "repository_after"):
        (task / side / "calc.py").write_text(GOOD)
    (task / "tests" / "test_calc.py").write_text(CALC_TESTS)
    (task / "pytest.ini").write_text("[pytest]\ngtguard_expect_f2p = false\ngtguard_runs = 1\n")
    capsys.readouterr()

    code = main(["split", str(task), "--gtguard-report", str(tmp_path / "report.json")])

    out = capsys.readouterr().out
    assert "NO_FAIL_TO_PASS" not in out
    runs = sorted(line.split(" (")[0] for line in out.splitlines() if line.startswith("gtguard: ") and " run " in line)
    assert runs == ["gtguard: after run 1", "gtguard: before run 1"]  # gtguard_runs = 1 from the ini
    assert code == 0, out
