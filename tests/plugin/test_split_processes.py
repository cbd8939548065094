"""The split's processes: zygotes, timeouts, crashes, a killed parent, other plugins and ini settings."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _split_task import BUGGY, FIXED, TESTS, split, write, write_bugfix_task

from conftest import process_running


@pytest.fixture
def bugfix_task(pytester: pytest.Pytester) -> Path:
    return write_bugfix_task(pytester.path)


def test_split_runs_a_task_whose_ini_turns_warnings_into_errors(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # The runs fork from an interpreter that already imported gtguard; pytest's "cannot rewrite" warning
    # about that must not exist, or `filterwarnings = error` turns every run into a usage error.
    write(bugfix_task, {"pytest.ini": "[pytest]\nfilterwarnings =\n    error\n"})

    result, report = split(pytester)

    assert result.ret == 0, result.stdout.str()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert "PytestAssertRewriteWarning" not in report["results"]["after"]["stdout"]


def test_split_kills_a_hanging_run_alone_and_names_the_timeout(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY + "\nimport time\n\ndef add(a, b):\n    time.sleep(120)\n",
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": TESTS,
        },
    )

    result, report = split(pytester, "--gtguard-run-timeout", "2")

    assert result.ret == 3
    assert [r["error"] for r in report["results"]["after"]["runs"]] == [None, None]
    assert report["results"]["after"]["summary"]["passed"] == 2
    errors = [r["error"] for r in report["results"]["before"]["runs"]]
    assert errors == [
        "the before run 1 did not finish in 2 s (raise --gtguard-run-timeout, or find the hanging test)",
        "the before run 2 did not finish in 2 s (raise --gtguard-run-timeout, or find the hanging test)",
    ]


def test_split_runs_are_not_fed_gtguards_own_input(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # With -s a test may read stdin; it must see an empty stream, not the commands that start other runs.
    write(
        bugfix_task,
        {"tests/test_stdin.py": "import sys\n\ndef test_reads_stdin():\n    assert sys.stdin.read() == ''\n"},
    )

    result, report = split(pytester, "-s")

    assert result.ret == 0, result.stdout.str()
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg", "tests/test_stdin.py::test_reads_stdin"]
    assert len(report["results"]["after"]["runs"]) == 2


def test_split_runs_start_with_the_default_signal_handling_and_garbage_collection(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    # The zygote listens for SIGCHLD through a wake-up fd and loads with the collector off; a run forked
    # from it must inherit none of that, or its tests would run under conditions plain pytest never has.
    write(
        bugfix_task,
        {
            "tests/test_process.py": """
            import gc
            import signal
            import subprocess
            import sys

            def test_sigchld_is_default_and_no_wakeup_fd():
                assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL
                assert signal.set_wakeup_fd(-1) == -1
                assert subprocess.run([sys.executable, "-c", "pass"], check=False).returncode == 0

            def test_garbage_is_collected():
                assert gc.isenabled()
            """
        },
    )

    result, report = split(pytester)

    assert result.ret == 0, result.stdout.str()
    p2p = report["split"]["PASS_TO_PASS"]
    assert "tests/test_process.py::test_sigchld_is_default_and_no_wakeup_fd" in p2p
    assert "tests/test_process.py::test_garbage_is_collected" in p2p


def test_split_keeps_the_traceback_of_a_run_that_raises_out_of_pytest(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    write(
        bugfix_task,
        {"tests/conftest.py": "def pytest_unconfigure(config):\n    raise RuntimeError('boom in unconfigure')\n"},
    )

    _, report = split(pytester)

    assert "RuntimeError: boom in unconfigure" in report["results"]["after"]["stderr"]
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]  # its results were written
    assert report["results"]["after"]["runs"][0]["exit_code"] == pytest.ExitCode.INTERNAL_ERROR


def test_split_with_help_prints_help_and_starts_no_runs(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result = pytester.runpytest("--before", "--after", "--help")

    assert result.ret == 0
    result.stdout.fnmatch_lines(["*--gtguard-runs*"])
    assert not (bugfix_task / "evaluation").exists()


def test_split_summary_gives_other_plugins_reports_to_read(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # hypothesis's pytest plugin walks every list in terminalreporter.stats and reads report.__dict__;
    # the split's closing-line entries once were plain strings and crashed it with an AttributeError.
    write(
        bugfix_task,
        {
            "conftest.py": """
            import pytest

            @pytest.hookimpl(trylast=True)
            def pytest_terminal_summary(terminalreporter):
                for reports in terminalreporter.stats.values():
                    for report in reports:
                        report.__dict__.get("_hypothesis_stats")
                        assert report.nodeid and report.when
            """
        },
    )

    result, report = split(pytester)

    assert result.ret == 0, result.stdout.str()
    assert "AttributeError" not in result.stdout.str()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    result.stdout.fnmatch_lines(["*= 1 fail-to-pass, 1 pass-to-pass in *"])


def test_split_parent_sets_hypothesis_plugin_aside_and_every_run_loads_it(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    # hypothesis's terminal summary imports hypothesis (0.2 s) whatever ran; the parent runs no test.
    pytest.importorskip("hypothesis")  # the test extra installs it, with its pytest11 entry point
    log = bugfix_task / "summaries.txt"
    write(
        bugfix_task,
        {
            "conftest.py": f"""
            def pytest_terminal_summary(config):
                both = {{"--before", "--after"}} <= set(config.invocation_params.args)
                loaded = config.pluginmanager.get_plugin("hypothesispytest") is not None
                with open({str(log)!r}, "a") as out:
                    out.write(("parent" if both else "run") + f" {{loaded}}\\n")
            """
        },
    )

    result, report = split(pytester)

    assert result.ret == 0, result.stdout.str()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert sorted(log.read_text().splitlines()) == ["parent False"] + ["run True"] * 4


_FREEZE_PROBE = """
import gc

FROZEN_AT_START = gc.get_freeze_count()  # not 0 on Python 3.12: it starts with some objects frozen

def pytest_unconfigure(config):
    if config.getoption("--before") and config.getoption("--after"):
        print(f"FROZEN={gc.get_freeze_count() > FROZEN_AT_START}")
"""


def test_split_parent_freezes_its_heap_only_as_the_whole_process(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    # The pytest command line exits after the summary: its teardown skips walking a frozen heap. A
    # session inside another program (here pytester's in-process run) must leave that program's GC alone.
    write(bugfix_task, {"conftest.py": _FREEZE_PROBE})
    args = ("--before", "--after", "--gtguard-runs", "1", "-s", "--gtguard-report", str(bugfix_task / "r.json"))

    frozen = gc.get_freeze_count()
    command_line = pytester.runpytest_subprocess(*args)
    in_process = pytester.runpytest_inprocess(*args)

    assert command_line.ret == 0, command_line.stdout.str()
    command_line.stdout.fnmatch_lines(["FROZEN=True"])
    assert in_process.ret == 0, in_process.stdout.str()
    in_process.stdout.fnmatch_lines(["FROZEN=False"])
    assert gc.get_freeze_count() == frozen


def test_split_runs_the_other_modules_when_one_cannot_import_on_before(pytester: pytest.Pytester) -> None:
    # j31qp3: pytest stops a run at collection errors; a split must still see every other test's outcome.
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED + "\ndef mul(a, b):\n    return a * b\n",
            "tests/test_calc.py": TESTS,
            "tests/test_mul.py": "from calc import mul\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
        },
    )

    result, report = split(pytester)

    assert result.ret == 0, result.stdout.str()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add", "tests/test_mul.py::test_mul"]
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg"]


def test_split_runs_die_with_a_killed_parent(pytester: pytest.Pytester) -> None:
    pids = pytester.path / "pids"
    pids.mkdir()
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_slow.py": f"""
            import os, time
            from pathlib import Path

            def test_sleeps():
                Path({str(pids)!r}, str(os.getpid())).touch()
                time.sleep(60)
            """,
        },
    )
    parent = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--before", "--after", "--gtguard-report", str(pytester.path / "r.json")],
        cwd=pytester.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not list(pids.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    runs = [int(p.name) for p in pids.iterdir()]
    assert runs, "no run started"

    parent.send_signal(signal.SIGKILL)
    parent.wait()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in runs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in runs)


DAEMON_TEST = """
import subprocess, sys, time
from pathlib import Path

PIDS = Path({pids!r})
DAEMON = "import os, sys, time; open(sys.argv[1] + '/' + str(os.getpid()), 'w').close(); time.sleep(120)"


def test_starts_a_daemon():
    before = set(PIDS.iterdir())
    # A session of its own: out of the run's process group, so no group kill reaches it.
    subprocess.Popen([sys.executable, "-c", DAEMON, str(PIDS)], start_new_session=True)
    while set(PIDS.iterdir()) == before:
        time.sleep(0.01)
    time.sleep({hold})
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a subreaper is Linux's")
@pytest.mark.parametrize(("hold", "args"), [(0, ()), (60, ("--gtguard-run-timeout", "3"))], ids=["ends", "timeout"])
def test_split_leaves_no_daemon_a_test_started_in_a_session_of_its_own(
    pytester: pytest.Pytester, hold: int, args: tuple[str, ...]
) -> None:
    pids = pytester.path / "pids"
    pids.mkdir()
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_daemon.py": DAEMON_TEST.format(pids=str(pids), hold=hold),
        },
    )

    split(pytester, "--gtguard-runs", "1", *args)

    daemons = [int(p.name) for p in pids.iterdir()]
    assert len(daemons) == 2  # one a side
    deadline = time.monotonic() + 10
    while any(process_running(pid) for pid in daemons) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in daemons if process_running(pid)] == []
