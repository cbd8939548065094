"""Faults in the split's processes: tests that kill their parent, crash, start background processes; a killed split.

Every test runs the split as a subprocess (signals, SIGKILLed parents) with a marker in its environment,
which every process it starts inherits: ``_marked`` finds any that outlived it. A process that is only
a zombie (dead, not reaped by init yet) does not count.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from _split_task import BUGGY, FIXED, TESTS, write

from pytest_gtguard.split.pool import CAN_FORK

pytestmark = pytest.mark.skipif(not (CAN_FORK and Path("/proc/self/environ").exists()), reason="Linux processes")

_KILL_PARENT = """
import os, signal, time
import calc

def test_kills_its_parent():
    if calc.AFTER:
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(60)  # the run ends with its parent, here
"""

_KILL_ZYGOTE = """
import os, signal, time
from pathlib import Path
import calc

def test_kills_the_zygote():
    flag = Path({flag!r})
    if calc.AFTER and not flag.exists():
        flag.touch()
        keeper = os.getppid()
        zygote = int(Path(f"/proc/{{keeper}}/stat").read_text().rsplit(")", 1)[1].split()[1])
        os.kill(zygote, signal.SIGKILL)
        time.sleep(60)  # ended with its keeper; without this the run may go on to its next tests first
"""


def _task(root: Path, tests: dict[str, str]) -> Path:
    task = root / "task"
    write(
        task,
        {
            "repository_before/calc.py": BUGGY + "\nAFTER = False\n",
            "repository_after/calc.py": FIXED + "\nAFTER = True\n",
            "tests/test_calc.py": TESTS,
            "pytest.ini": "[pytest]\n",
            **tests,
        },
    )
    return task


def _files(root: Path) -> dict[str, bytes]:
    """Return every file of the task but caches, to prove none changed."""
    files = (p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def _env(mark: str, tmp: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "GTGUARD_FAULT_MARK": mark}
    env.pop("PYTEST_ADDOPTS", None)
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return env


def _split_args(report: Path, *args: str) -> list[str]:
    split = ["--before", "--after", "--gtguard-runs", "2", "--gtguard-report", str(report)]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *split, *args]


def _run(task: Path, mark: str, *args: str, tmp: Path | None = None) -> tuple[subprocess.CompletedProcess[str], dict]:
    report = task.parent / "out" / "report.json"
    done = subprocess.run(
        _split_args(report, *args), cwd=task, env=_env(mark, tmp), capture_output=True, text=True, timeout=300
    )
    return done, json.loads(report.read_text()) if report.exists() else {}


def _marked(mark: str) -> list[int]:
    """Return the live (not zombie) processes whose environment carries ``mark``."""
    found = []
    needle = f"GTGUARD_FAULT_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def _none_left(mark: str, grace: float = 15.0) -> list[int]:
    """Return the marked processes still alive once ``grace`` seconds passed (they die asynchronously)."""
    deadline = time.monotonic() + grace
    while (left := _marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _runs(report: dict, side: str) -> list[dict]:
    return list(report["results"][side]["runs"])


def test_an_after_test_that_kills_its_parent_loses_no_before_run(tmp_path: Path) -> None:
    task = _task(tmp_path, {"tests/test_kill.py": _KILL_PARENT})
    before = _files(task)
    mark = uuid.uuid4().hex

    done, report = _run(task, mark)

    assert done.returncode == 3, done.stdout + done.stderr
    assert [r["error"] for r in _runs(report, "before")] == [None, None]
    for run in _runs(report, "after"):
        assert run["signal"] == "SIGKILL"
        assert run["last_test"] == "tests/test_kill.py::test_kills_its_parent"
        assert "killed its parent process with SIGKILL during tests/test_kill.py::test_kills_its_parent" in run["error"]
    assert "killed its parent process with SIGKILL" in done.stdout
    assert _files(task) == before
    assert _none_left(mark) == []


def test_a_killed_zygote_is_started_again_and_its_runs_of_both_sides_rerun(tmp_path: Path) -> None:
    flag = tmp_path / "killed-once"
    task = _task(tmp_path, {"tests/test_kill.py": _KILL_ZYGOTE.format(flag=str(flag))})
    before = _files(task)
    mark = uuid.uuid4().hex

    done, report = _run(task, mark, "--gtguard-jobs", "2")

    assert done.returncode == 0, done.stdout + done.stderr
    assert flag.exists()
    killer = r"the after run \d \(PYTHONHASHSEED=\d\) was in tests/test_kill.py::test_kills_the_zygote"
    assert re.search(
        rf"gtguard's zygote for PYTHONHASHSEED=\d ended \(killed by SIGKILL\) while .*{killer}.*; "
        "starting it again and rerunning its runs",
        done.stderr,
    ), done.stderr
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert all(r["error"] is None for side in ("before", "after") for r in _runs(report, side))
    assert _files(task) == before
    assert _none_left(mark) == []


def test_a_run_that_dies_of_a_signal_names_it_and_its_test(tmp_path: Path) -> None:
    crash = """
    import os, signal
    import calc

    def test_crashes():
        if calc.AFTER:
            os.kill(os.getpid(), signal.SIGSEGV)
    """
    task = _task(tmp_path, {"tests/test_crash.py": crash})
    before = _files(task)
    mark = uuid.uuid4().hex

    done, report = _run(task, mark)

    assert done.returncode == 3, done.stdout + done.stderr
    for run in _runs(report, "after"):
        assert (run["signal"], run["last_test"]) == ("SIGSEGV", "tests/test_crash.py::test_crashes")
        assert "died of SIGSEGV during tests/test_crash.py::test_crashes before writing results" in run["error"]
    assert [(r["signal"], r["last_test"], r["error"]) for r in _runs(report, "before")] == [(None, None, None)] * 2
    assert _files(task) == before


def test_background_processes_a_test_starts_end_with_its_run(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    background = f"""
    import subprocess, sys
    from pathlib import Path

    def test_starts_a_server():
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        Path({str(pids)!r}, str(proc.pid)).touch()
    """
    task = _task(tmp_path, {"tests/test_server.py": background})
    before = _files(task)
    mark = uuid.uuid4().hex

    done, report = _run(task, mark)

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list(pids.iterdir())) == 4  # one per run
    assert _none_left(mark) == []  # SIGKILLed with their run's group before the split reported
    server = "tests/test_server.py::test_starts_a_server"
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg", server]
    assert _files(task) == before


def _start_and_wait_for_a_test(task: Path, mark: str, tmp: Path, started: Path) -> subprocess.Popen[str]:
    parent = subprocess.Popen(
        _split_args(task.parent / "out" / "report.json"),
        cwd=task,
        env=_env(mark, tmp),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(started.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(started.iterdir()), "no run started"
    return parent


def _sleeper(started: Path) -> str:
    return f"""
    import os, time
    from pathlib import Path

    def test_sleeps():
        Path({str(started)!r}, str(os.getpid())).touch()
        time.sleep(120)
    """


def test_sigterm_ends_the_split_with_143_and_removes_its_temp_folder(tmp_path: Path) -> None:
    started, tmp = tmp_path / "started", tmp_path / "tmp"
    started.mkdir()
    tmp.mkdir()
    task = _task(tmp_path, {"tests/test_slow.py": _sleeper(started)})
    before = _files(task)
    mark = uuid.uuid4().hex
    parent = _start_and_wait_for_a_test(task, mark, tmp, started)

    parent.send_signal(signal.SIGTERM)

    assert parent.wait(timeout=60) == -signal.SIGTERM  # a shell shows 143
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("gtguard-split-")) == []
    assert _none_left(mark) == []
    assert not (task.parent / "out" / "report.json").exists()
    assert _files(task) == before


def test_a_sigkilled_split_leaves_no_process_and_the_next_split_removes_its_temp_folder(tmp_path: Path) -> None:
    started, tmp = tmp_path / "started", tmp_path / "tmp"
    started.mkdir()
    tmp.mkdir()
    task = _task(tmp_path, {"tests/test_slow.py": _sleeper(started)})
    before = _files(task)
    mark = uuid.uuid4().hex
    parent = _start_and_wait_for_a_test(task, mark, tmp, started)

    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=60)

    assert _none_left(mark) == []  # zygotes die with their parent, runs and what they started with them
    stale = [p for p in tmp.iterdir() if p.name.startswith(f"gtguard-split-{parent.pid}-")]
    assert len(stale) == 1
    (task / "tests" / "test_slow.py").unlink()
    done, report = _run(task, mark, tmp=tmp)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not stale[0].exists()
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    del before["tests/test_slow.py"]
    assert _files(task) == before


def test_processes_a_meta_child_starts_end_with_the_child(tmp_path: Path) -> None:
    from pytest_gtguard.meta.execute import ChildResult, Job, run_jobs

    pids = tmp_path / "pids"
    pids.mkdir()

    def work(job: Job) -> ChildResult:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        (pids / str(child.pid)).touch()
        return ChildResult(tests_run=1)

    verdicts = run_jobs([Job("m1", ("t",), None, 60.0), Job("m2", ("t",), None, 60.0)], work, workers=2)

    assert [v.status.value for v in verdicts] == ["Survived", "Survived"]
    started = [int(p.name) for p in pids.iterdir()]
    assert len(started) == 2
    assert _none_alive(started) == []  # SIGKILLed before the child was reaped; it lands a moment later
    assert not list(Path(tempfile.gettempdir()).glob(f"gtguard-meta-{os.getpid()}-*"))


def test_a_meta_child_that_gets_sigterm_ends_alone_and_its_sibling_keeps_its_verdict() -> None:
    # A forked child inherits the parent's SIGTERM clean-up (kill the running children, remove the
    # scratch folder); run there, it would kill its siblings and delete the folder they write into.
    from pytest_gtguard.meta.execute import ChildResult, Job, run_jobs

    def work(job: Job) -> ChildResult:
        if job.key == "m2":
            os.kill(os.getpid(), signal.SIGTERM)  # what a test under mutation may do
            time.sleep(30)
        time.sleep(1.0)  # m1 is still running when m2 gets its SIGTERM
        return ChildResult(tests_run=1)

    verdicts = run_jobs([Job("m1", ("t",), None, 60.0), Job("m2", ("t",), None, 60.0)], work, workers=2)

    by_key = {v.key: v for v in verdicts}
    assert by_key["m1"].status.value == "Survived", by_key["m1"]
    assert by_key["m2"].status.value != "Survived"
    assert not list(Path(tempfile.gettempdir()).glob(f"gtguard-meta-{os.getpid()}-*"))


def _none_alive(pids: list[int], grace: float = 15.0) -> list[int]:
    deadline = time.monotonic() + grace
    while (left := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("target", "rounds"),
    [("split", "2"), ("meta", "1")],  # meta's runs are the longer: one per signal keeps CI short
)
def test_the_fault_signals_bench_passes_a_few_rounds(target: str, rounds: str) -> None:
    bench = Path(__file__).parents[2] / "bench" / "fault_signals.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GTGUARD_"))}

    done = subprocess.run(
        [sys.executable, str(bench), "--rounds", rounds, "--seed", "5", "--targets", target],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    for sig in ("SIGINT", "SIGKILL", "SIGTERM"):
        checks = re.escape(" | ".join([f"{rounds}/{rounds}"] * 5))  # tree, processes, report, temp, rerun
        assert re.search(rf"\| {target} \| {sig} \| {rounds} \| \d+ \| {checks} \|", done.stdout), done.stdout
    assert "FAILED" not in done.stdout
