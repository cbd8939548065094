"""Bad inputs and options: one line naming the file or option and the fix, the documented exit, no file changed.

Each test snapshots the task's files before and after: a usage error changes nothing and runs nothing
(no evaluation/ report appears).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from _split_task import write, write_bugfix_task

from pytest_gtguard.cli import ExitCode, main
from pytest_gtguard.settings import ALL_OPTIONS, BOUNDS, Kind

USAGE = 4  # pytest's and gtguard's usage error (docs/cli.md)


@pytest.fixture
def bugfix_task(pytester: pytest.Pytester) -> Path:
    return write_bugfix_task(pytester.path)


def _files(root: Path) -> dict[str, bytes | str]:
    """Return every entry of the task (file bytes, link targets), caches and pytester's output files aside."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        top = path.relative_to(root).parts[0]
        if "__pycache__" in path.parts or top.startswith("runpytest") or top in ("stdout", "stderr"):
            continue
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "error" in line.lower()]


def _one_usage_error(result: pytest.RunResult, *fragments: str) -> None:
    """Assert a pytest run stopped with exit 4 and one ERROR line holding every fragment."""
    assert result.ret == USAGE, result.stdout.str() + result.stderr.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    for fragment in fragments:
        assert fragment in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def _gtguard(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- item 4: side folders that are files, dangling links, or missing ------------------------------------


def _break_before(task: Path, how: str) -> None:
    for entry in (task / "repository_before").rglob("*"):
        entry.unlink()
    (task / "repository_before").rmdir()
    if how == "dangling link":
        (task / "repository_before").symlink_to(task / "gone")
    else:
        (task / "repository_before").write_text("not a folder\n")


@pytest.mark.parametrize("how", ["dangling link", "file"])
@pytest.mark.parametrize("options", [("--before",), ("--before", "--after")], ids=["before", "split"])
def test_inputs_a_before_side_that_is_no_folder_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, bugfix_task: Path, how: str, options: tuple[str, ...]
) -> None:
    _break_before(bugfix_task, how)
    snapshot = _files(bugfix_task)

    result = pytester.runpytest(*options, "--gtguard-runs", "1")

    detail = "is a symbolic link to" if how == "dangling link" else "is a file, not a folder"
    _one_usage_error(result, f"{bugfix_task / 'repository_before'} {detail}")
    assert _files(bugfix_task) == snapshot
    assert not (bugfix_task / "evaluation").exists()


def test_inputs_gtguard_split_refuses_a_dangling_before_link_as_pytest_does(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break_before(bugfix_task, "dangling link")
    snapshot = _files(bugfix_task)

    code, out, err = _gtguard(capsys, "split", str(bugfix_task), "--gtguard-runs", "1")

    assert (code, out) == (ExitCode.USAGE_ERROR, "")
    assert err.count("\n") == 1
    assert f"{bugfix_task / 'repository_before'} is a symbolic link to {bugfix_task / 'gone'}" in err
    assert _files(bugfix_task) == snapshot
    assert not (bugfix_task / "evaluation").exists()


def test_inputs_validate_reports_the_dangling_before_link_the_runs_refuse(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _break_before(bugfix_task, "dangling link")

    code, out, _ = _gtguard(capsys, "validate", str(bugfix_task), "--no-git")

    assert code == ExitCode.FINDINGS
    # What exists: validate and the runs agree.
    assert f"repository_before/: error GT001 repository_before is a symbolic link to {bugfix_task / 'gone'}" in out


@pytest.mark.parametrize("options", [("--after",), ("--before", "--after")], ids=["after", "split"])
def test_inputs_a_missing_after_side_is_a_usage_error_not_an_empty_side(
    pytester: pytest.Pytester, bugfix_task: Path, options: tuple[str, ...]
) -> None:
    (bugfix_task / "repository_after" / "calc.py").unlink()
    (bugfix_task / "repository_after").rmdir()
    snapshot = _files(bugfix_task)

    result = pytester.runpytest(*options, "--gtguard-runs", "1")

    _one_usage_error(result, f"{bugfix_task / 'repository_after'} does not exist", "create repository_after/")
    result.stdout.no_fnmatch_line("*REGRESSION*")
    assert _files(bugfix_task) == snapshot
    assert not (bugfix_task / "evaluation").exists()


def test_inputs_gtguard_split_refuses_a_missing_after_side(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bugfix_task / "repository_after" / "calc.py").unlink()
    (bugfix_task / "repository_after").rmdir()

    code, _, err = _gtguard(capsys, "split", str(bugfix_task))

    assert code == ExitCode.USAGE_ERROR
    assert err.strip() == (
        f"gtguard split: error: TASK_DIR: {bugfix_task / 'repository_after'} does not exist; create "
        "repository_after/ with the ground-truth solution, or run inside the task it belongs to"
    )
    assert not (bugfix_task / "evaluation").exists()


def test_inputs_a_missing_before_side_is_still_a_greenfield_task(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    (bugfix_task / "repository_before" / "calc.py").unlink()
    (bugfix_task / "repository_before").rmdir()

    result = pytester.runpytest("--before")

    assert result.ret == pytest.ExitCode.INTERRUPTED  # the tests ran: nothing to import on an empty side
    result.stdout.fnmatch_lines([f"gtguard: testing before ({bugfix_task / 'repository_before'}, empty)"])


# --- item 6: os._exit in code under test ------------------------------------------------------------------

QUITTER = {
    "repository_after/calc.py": """
        import os

        def add(a, b):
            os._exit(0)
    """,
    "tests/test_calc.py": """
        from calc import add

        def test_add():
            print("captured output")
            assert add(2, 3) == 5

        def test_later():
            assert True
    """,
}


@pytest.mark.parametrize("option", ["--after", "--repo=repository_after"])
def test_inputs_os_exit_zero_in_code_under_test_never_exits_zero(
    pytester: pytest.Pytester, bugfix_task: Path, option: str
) -> None:
    write(bugfix_task, QUITTER)
    snapshot = _files(bugfix_task)

    result = pytester.runpytest_subprocess(option, "-p", "no:cacheprovider")

    assert result.ret == 3
    assert result.stderr.lines[-1] == (
        "gtguard: the test tests/test_calc.py::test_add called os._exit(0) before the session finished: the tests "
        "after it never ran, so the run exits with 3, not 0; remove the os._exit call from the code under test"
    )
    assert _files(bugfix_task) == snapshot


def test_inputs_os_exit_at_import_names_collection(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(bugfix_task, {"repository_after/calc.py": "import os\nos._exit(0)\n"})

    result = pytester.runpytest_subprocess("--after", "-p", "no:cacheprovider")

    assert result.ret == 3
    assert result.stderr.lines[-1].startswith(
        "gtguard: code run before the first test (a conftest, or a module imported during collection) "
        "called os._exit(0)"
    )


def test_inputs_os_exit_in_a_forked_child_is_left_alone(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(
        bugfix_task,
        {
            "tests/test_fork.py": """
                import os

                def test_child_ends_with_os_exit():
                    pid = os.fork()
                    if pid == 0:
                        os._exit(7)
                    _, status = os.waitpid(pid, 0)
                    assert os.waitstatus_to_exitcode(status) == 7
            """
        },
    )

    result = pytester.runpytest_subprocess("--after", "-p", "no:cacheprovider", "tests/test_fork.py")

    assert result.ret == 0
    result.assert_outcomes(passed=1)
    assert "os._exit" not in result.stderr.str()


# --- item 8 and #16: patches -------------------------------------------------------------------------------


def test_inputs_a_patch_with_a_lone_carriage_return_round_trips_without_git(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "\r" inside a line, then a removed line that reads like a header ("--- note"): split on "\r" as
    # str.splitlines does, the hunk ended early and "--- note" was rewritten as a file header.
    (tmp_path / "repository_before").mkdir()
    (tmp_path / "repository_after").mkdir()
    (tmp_path / "repository_before" / "notes.txt").write_bytes(b"a = 1\rb = 2\n-- note\nc\n")
    (tmp_path / "repository_after" / "notes.txt").write_bytes(b"a = 1\rb = 3\n-- other\nc\n")

    written, out, _ = _gtguard(capsys, "patch", str(tmp_path), "--no-git")
    patch = (tmp_path / "patches" / f"{tmp_path.name}.patch").read_bytes()
    checked, out, _ = _gtguard(capsys, "patch", str(tmp_path), "--check", "--no-git")

    assert b"-a = 1\rb = 2\n--- note\n" in patch
    assert (written, checked) == (ExitCode.OK, ExitCode.OK)
    assert "reproduces repository_after" in out


def _patch_task(root: Path, patch: bytes) -> Path:
    write(root, {"repository_before/calc.py": "def add(a, b):\n    return a * b\n"})
    write(root, {"repository_after/calc.py": "def add(a, b):\n    return a + b\n"})
    (root / "patches").mkdir()
    (root / "patches" / "diff.patch").write_bytes(patch)
    return root


GOOD_PATCH = b"--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a * b\n+    return a + b\n"


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
def test_inputs_patch_check_says_a_utf16_patch_is_utf16(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], git: bool
) -> None:
    task = _patch_task(tmp_path, "\ufeff".encode("utf-16-le") + GOOD_PATCH.decode().encode("utf-16-le"))
    snapshot = _files(task)

    code, out, _ = _gtguard(capsys, "patch", str(task), "--check", *([] if git else ["--no-git"]))

    assert code == ExitCode.FINDINGS
    assert out.splitlines()[1].strip() == (
        "the patch is UTF-16 text (what PowerShell's `>` writes), which git and the pipeline cannot read; "
        "write it again with `gtguard patch`, or convert it: iconv -f UTF-16 -t UTF-8"
    )
    assert _files(task) == snapshot


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-git"])
def test_inputs_patch_check_explains_a_patch_of_the_task_repository_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], git: bool
) -> None:
    # The task repository's own diff of repository_after (an old after to the new one), not before -> after.
    history = GOOD_PATCH.replace(b"a/calc.py", b"a/repository_after/calc.py").replace(
        b"b/calc.py", b"b/repository_after/calc.py"
    )
    task = _patch_task(tmp_path, history.replace(b"a * b", b"a - b"))
    snapshot = _files(task)

    code, out, _ = _gtguard(capsys, "patch", str(task), "--check", *([] if git else ["--no-git"]))

    assert code == ExitCode.FINDINGS
    message = out.splitlines()[1].strip()
    assert message.startswith("calc.py: the hunk at line 1 does not match repository_before/calc.py; ")
    assert "(a/repository_after/x.py), so it is a diff of the task repository's history" in message
    assert message.endswith(
        "write it again with `gtguard patch` (the diff from repository_before/ to repository_after/)"
    )
    assert "error:" not in out  # git's raw output stays out
    assert _files(task) == snapshot


# --- item 11: option values and pass-through arguments, checked before any run --------------------------


def test_inputs_every_numeric_option_has_a_range() -> None:
    numeric = {o.dest for o in ALL_OPTIONS if o.kind in (Kind.INT, Kind.FLOAT)}
    assert numeric == set(BOUNDS)


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--gtguard-run-timeout", "0", "pass a number above 0 (the default is 900)"),
        ("--gtguard-run-timeout", "-5", "pass a number above 0"),
        ("--gtguard-run-timeout", "nan", "pass a number above 0"),
        ("--gtguard-runs", "0", "pass a whole number of at least 1 (the default is 3)"),
        ("--gtguard-jobs", "two", "pass a whole number of at least 1"),
        ("--gtguard-seed", "-1", "pass a whole number of at least 0"),
        ("--gtguard-perf-scale", "0", "pass a number above 0"),
        ("--gtguard-determinism-runs", "1", "pass a whole number of at least 2"),
        ("--gtguard-meta-min-score", "101", "pass a number of at least 0 and at most 100"),
    ],
)
def test_inputs_a_bad_numeric_option_stops_the_split_before_any_run(
    pytester: pytest.Pytester, bugfix_task: Path, flag: str, value: str, expected: str
) -> None:
    snapshot = _files(bugfix_task)

    result = pytester.runpytest("--before", "--after", flag, value)

    _one_usage_error(result, f"command-line option {flag}: got {value!r}; {expected}")
    assert _files(bugfix_task) == snapshot
    assert not (bugfix_task / "evaluation").exists()


def test_inputs_a_bad_numeric_value_from_the_environment_names_the_variable(
    pytester: pytest.Pytester, bugfix_task: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTGUARD_RUNS", "-2")

    result = pytester.runpytest("--after")

    _one_usage_error(result, "environment variable GTGUARD_RUNS: got '-2'")


def test_inputs_gtguard_split_refuses_a_zero_timeout_before_any_run(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _gtguard(capsys, "split", str(bugfix_task), "--gtguard-run-timeout", "0")

    assert code == ExitCode.USAGE_ERROR
    assert err == (
        "gtguard split: error: command-line option --gtguard-run-timeout: got '0'; pass a number above 0 "
        "(the default is 900)\n"
    )
    assert out == ""
    assert not (bugfix_task / "evaluation").exists()


def test_inputs_gtguard_split_refuses_pytest_arguments_pytest_rejects(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = _files(bugfix_task)

    code, out, err = _gtguard(capsys, "split", str(bugfix_task), "--", "--bad-option")

    assert code == ExitCode.USAGE_ERROR
    assert err == (
        "gtguard split: error: -- PYTEST_ARGS: pytest rejects the arguments for the runs (--bad-option): "
        "unrecognized arguments: --bad-option; fix or drop them (pytest --help lists the options)\n"
    )
    assert out == ""
    assert _files(bugfix_task) == snapshot


def test_inputs_gtguard_split_accepts_an_option_the_tasks_conftest_declares(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        bugfix_task,
        {"tests/conftest.py": 'def pytest_addoption(parser):\n    parser.addoption("--slow", action="store_true")\n'},
    )

    code, out, _ = _gtguard(capsys, "split", str(bugfix_task), "--gtguard-runs", "1", "--", "--slow")

    assert code == ExitCode.OK
    assert "gtguard split: task valid (exit 0)" in out


# --- item 14: the rest ------------------------------------------------------------------------------------


def test_inputs_a_file_given_as_the_task_is_called_a_file(
    pytester: pytest.Pytester, bugfix_task: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = bugfix_task / "pytest.ini"

    result = pytester.runpytest("--after", f"--gtguard-task={ini}")
    code, _, err = _gtguard(capsys, "split", str(ini))

    _one_usage_error(result, f"task directory {ini} is a file, not a folder")
    assert code == ExitCode.USAGE_ERROR
    assert f"task directory {ini} is a file, not a folder" in err


def test_inputs_repo_naming_a_file_is_called_a_file(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result = pytester.runpytest("--repo=pytest.ini")

    _one_usage_error(result, f"--repo: {bugfix_task / 'pytest.ini'} is a file, not a folder")


@pytest.mark.parametrize(
    ("code", "hint"), [("NOPE", "no finding has this code; the codes are GT001, "), ("GT2O2", "did you mean GT202?")]
)
def test_inputs_validate_refuses_an_unknown_ignore_code(
    bugfix_task: Path, capsys: pytest.CaptureFixture[str], code: str, hint: str
) -> None:
    exit_code, out, err = _gtguard(capsys, "validate", str(bugfix_task), "--ignore", code)

    assert exit_code == ExitCode.USAGE_ERROR
    assert out == ""
    assert err.startswith(f"gtguard validate: error: --ignore {code}: ")
    assert hint in err
    assert err.count("\n") == 1


def test_inputs_marker_errors_are_printed_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.forbid_calls()
            def test_empty():
                pass

            @pytest.mark.forbid_calls("os")
            def test_module():
                pass
            """
        )
    )

    result = pytester.runpytest()

    result.assert_outcomes(errors=2)
    # The error section only: the short summary repeats each message (in full when CI is set, as in CI).
    text = result.stdout.str().split("short test summary info")[0]
    assert "During handling of the above exception" not in text
    assert text.count("needs at least one name, e.g. 'sorted', 'list.sort' or 'json.dumps'") == 1
    assert text.count("'os' is a module, not something to call") == 1
    assert "e.g. forbid_calls('numpy')" not in text


def test_inputs_import_errors_show_no_gtguard_frames(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(bugfix_task, {"repository_after/calc.py": "import missing_dependency_xyz\n"})
    write(
        bugfix_task,
        {
            "tests/test_late.py": """
                def test_late_import():
                    import calc
            """
        },
    )

    result = pytester.runpytest("--after", "-p", "no:cacheprovider", "--continue-on-collection-errors")

    text = result.stdout.str()
    assert text.count("ModuleNotFoundError: No module named 'missing_dependency_xyz'") >= 2  # collection and test
    assert "pytest_gtguard" not in text
    assert "gtguard wrapper" not in text


@pytest.mark.parametrize("how", ["pytest", "gtguard split"])
def test_inputs_a_split_without_tests_folder_says_so(
    pytester: pytest.Pytester, bugfix_task: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    (bugfix_task / "tests" / "test_calc.py").unlink()
    (bugfix_task / "tests").rmdir()
    snapshot = _files(bugfix_task)

    if how == "pytest":
        result = pytester.runpytest("--before", "--after")
        _one_usage_error(result, f"{bugfix_task} has no tests/ folder", "pytest --before --after path/to/tests")
    else:
        code, _, err = _gtguard(capsys, "split", str(bugfix_task))
        assert code == ExitCode.USAGE_ERROR
        assert f"{bugfix_task} has no tests/ folder" in err
        assert f"gtguard split {bugfix_task} -- path/to/tests" in err
    assert _files(bugfix_task) == snapshot
    assert not (bugfix_task / "evaluation").exists()
