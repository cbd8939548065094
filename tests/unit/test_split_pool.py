"""The zygote pool on its own: a zygote that cannot start fails its runs with a reason, never hangs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_gtguard import _procs
from pytest_gtguard.split.pool import CAN_FORK, ZygotePool
from pytest_gtguard.split.runner import plan_runs, run_subprocesses

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="zygotes need os.fork")


def test_a_zygote_that_dies_at_start_fails_its_runs_with_its_output(tmp_path: Path) -> None:
    # `python -m` puts the working folder first on sys.path: this shadow package kills the zygote.
    (tmp_path / "pytest_gtguard").mkdir()
    (tmp_path / "pytest_gtguard" / "__init__.py").write_text("import sys\nprint('shadowed')\nsys.exit(7)\n")
    specs = plan_runs(1, seed=0, trace=False)

    with ZygotePool([0], env=dict(os.environ), cwd=tmp_path) as pool:
        outcomes = pool.run(specs, timeout=60, jobs=2)

    assert [(o.spec.side, o.results) for o in outcomes] == [("after", None), ("before", None)]
    for outcome in outcomes:
        assert outcome.error is not None
        assert "gtguard's zygote for PYTHONHASHSEED=0 ended (exit 7)" in outcome.error


def test_a_pool_runs_one_split_only(tmp_path: Path) -> None:
    with ZygotePool([0], env=dict(os.environ), cwd=tmp_path) as pool:
        pool.run([], timeout=60, jobs=2)
        with pytest.raises(RuntimeError, match="one split"):
            pool.run([], timeout=60, jobs=2)


def test_output_printed_in_a_zygote_does_not_garble_its_messages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("print('hello from sitecustomize')\n")  # runs before the zygote's code
    task = tmp_path / "task"
    for side, body in (("repository_before", "return 0"), ("repository_after", "return 1")):
        (task / side).mkdir(parents=True)
        (task / side / "mod.py").write_text(f"def one():\n    {body}\n")
    (task / "tests").mkdir()
    (task / "tests" / "test_mod.py").write_text("from mod import one\n\ndef test_one():\n    assert one() == 1\n")
    env = {**os.environ, "PYTHONPATH": str(site)}

    with ZygotePool([0], env=env, cwd=task) as pool:
        outcomes = pool.run(plan_runs(1, seed=0, trace=False), timeout=60, jobs=2)

    by_side = {o.spec.side: o for o in outcomes}
    assert by_side["before"].results is not None and by_side["after"].results is not None, outcomes
    assert by_side["before"].results.tests["tests/test_mod.py::test_one"].outcome.value == "failed"
    assert by_side["after"].results.tests["tests/test_mod.py::test_one"].outcome.value == "passed"


def test_a_long_run_is_noted_with_its_side_number_duration_and_test(tmp_path: Path) -> None:
    # A short interval stands in for the minute; the test ends once the pool noted it, so no timing is asserted.
    flag = tmp_path / "noted"
    task = tmp_path / "task"
    for side in ("repository_before", "repository_after"):
        (task / side).mkdir(parents=True)
    (task / "tests").mkdir()
    (task / "tests" / "test_wait.py").write_text(
        "import time\nfrom pathlib import Path\n\n"
        "def test_waits_for_the_note():\n"
        f"    while not Path({str(flag)!r}).exists():\n"
        "        time.sleep(0.01)\n"
    )
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        flag.touch()

    with ZygotePool([0], env=dict(os.environ), cwd=task, notes=note, slow_after=0.2) as pool:
        outcomes = pool.run(plan_runs(1, seed=0, trace=False), timeout=120, jobs=2)

    assert all(o.results is not None for o in outcomes), outcomes
    assert notes
    assert re.fullmatch(
        r"gtguard: the (before|after) run 1 \(PYTHONHASHSEED=0\) has been running for \d+ s, "
        r"(in tests/test_wait.py::test_waits_for_the_note|not in a test \(collecting, or between tests\))",
        notes[0],
    ), notes


def test_the_temp_sweep_removes_folders_of_ended_owners_only(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(ended.stdout)
    stale = tmp_path / f"gtguard-split-{dead}-abc"
    running = tmp_path / f"gtguard-split-{os.getpid()}-def"  # a split that still runs: never touched
    other = tmp_path / f"someone-else-{dead}-x"
    for folder in (stale, running, other):
        folder.mkdir()
        (folder / "after-0.json").write_text("{}")

    removed = _procs.sweep_stale(tmp_path)

    assert removed == [stale]
    assert not stale.exists()
    assert running.exists()
    assert other.exists()


def test_the_subprocess_path_names_a_runs_signal_and_test_and_ends_what_it_started(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()
    task = tmp_path / "task"
    (task / "repository_before").mkdir(parents=True)
    (task / "repository_after").mkdir()
    (task / "repository_after" / "side.py").write_text("AFTER = True\n")
    (task / "repository_before" / "side.py").write_text("AFTER = False\n")
    (task / "tests").mkdir()
    (task / "tests" / "test_crash.py").write_text(
        "import os, signal, subprocess, sys\nfrom pathlib import Path\nimport side\n\n"
        "def test_crashes():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"    Path({str(pids)!r}, str(child.pid)).touch()\n"
        "    if side.AFTER:\n"
        "        os.kill(os.getpid(), signal.SIGSEGV)\n"
    )

    specs = plan_runs(1, seed=0, trace=False)
    args = ["-p", "no:cacheprovider"]
    outcomes = run_subprocesses(specs, args=args, cwd=task, env=dict(os.environ), jobs=2, timeout=120)

    by_side = {o.spec.side: o for o in outcomes}
    assert (by_side["after"].signal, by_side["after"].last_test) == ("SIGSEGV", "tests/test_crash.py::test_crashes")
    assert by_side["after"].returncode == -signal.SIGSEGV
    assert (by_side["before"].signal, by_side["before"].last_test) == (None, None)
    started = [int(p.name) for p in pids.iterdir()]
    deadline = time.monotonic() + 15  # SIGKILLed before the run was reaped; death lands a moment later
    while any(map(_alive, started)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(started) == 2
    assert [pid for pid in started if _alive(pid)] == []


def _alive(pid: int) -> bool:
    """Return True for a process that runs (a zombie waiting for init to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_ctrl_c_while_the_pool_removes_its_folder_still_removes_all_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI once saw a split's folder outlive a SIGINT that landed in the closing rmtree (stop 23).
    real = _procs.shutil.rmtree
    calls: list[Path] = []

    def interrupted_once(path: Path, *args: object, **kwargs: object) -> None:
        calls.append(Path(path))
        if len(calls) == 1:
            raise KeyboardInterrupt  # as if the signal landed before the first file went
        real(path, *args, **kwargs)  # type: ignore[arg-type]

    pool = ZygotePool([0], env=dict(os.environ), cwd=tmp_path)
    pool.run([], timeout=60, jobs=1)
    (pool.workdir / "after-0.out").write_text("output of a run")
    monkeypatch.setattr(_procs.shutil, "rmtree", interrupted_once)

    with pytest.raises(KeyboardInterrupt):
        pool.close()

    assert calls[0] == pool.workdir
    assert not pool.workdir.exists()
