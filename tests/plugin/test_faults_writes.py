"""Files gtguard cannot write (issue 15): one line naming path, reason and fix; the verdict still printed.

Tests run as root here, where chmod does not stop a write: read-only folders and full disks are faked
in process (``os.mkdir`` refusing, ``_atomic._write_all`` writing half then raising ENOSPC), which is
what the kernel does; runs themselves are separate interpreters and see none of it.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from pathlib import Path

import pytest
from _split_task import instance, write, write_bugfix_task

from pytest_gtguard import _atomic, _timing
from pytest_gtguard.cli import ExitCode, main


@pytest.fixture
def bugfix_task(pytester: pytest.Pytester) -> Path:
    return write_bugfix_task(pytester.path)


def _task_files(root: Path) -> dict[str, bytes]:
    """Return the task's own files (not what gtguard writes, not caches), to prove none changed."""
    kept = ("repository_before", "repository_after", "tests", "instances", "patches", "pytest.ini")
    return {
        str(p.relative_to(root)): p.read_bytes()
        for name in kept
        for p in ([root / name] if (root / name).is_file() else (root / name).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def _disk_fills(fd: int, data: bytes) -> None:
    """Write half of ``data``, then fail as a full disk does."""
    os.write(fd, data[: len(data) // 2])
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _split(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--before", "--after", "--gtguard-runs", "1", *args)


def test_split_prints_its_verdict_when_the_report_path_is_a_folder(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    before = _task_files(bugfix_task)
    (bugfix_task / "out").mkdir()

    result = _split(pytester, "--gtguard-report", str(bugfix_task / "out"))

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*FAIL_TO_PASS 1  PASS_TO_PASS 1*",
            "ERROR cannot write */out: Is a directory (EISDIR); the path is a folder: name a file, "
            "or pass --gtguard-report PATH somewhere writable",
            "*gtguard split: task valid; 1 file(s) not written (exit 1)*",
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert list((bugfix_task / "out").iterdir()) == []
    assert _leftovers(bugfix_task) == []
    assert _task_files(bugfix_task) == before


def test_split_prints_its_verdict_when_the_report_folder_cannot_be_created(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    before = _task_files(bugfix_task)
    (bugfix_task / "blocker").write_text("a file where the report's folder should be\n")

    result = _split(pytester, "--gtguard-report", str(bugfix_task / "blocker" / "out" / "report.json"))

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR cannot write */blocker/out/report.json: Not a directory (ENOTDIR); "
            "a folder on the way is a file: move it or pick another path, "
            "or pass --gtguard-report PATH somewhere writable",
            "*gtguard split: task valid; 1 file(s) not written (exit 1)*",
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert _task_files(bugfix_task) == before


def test_split_prints_its_verdict_when_the_evaluation_folder_is_read_only(
    pytester: pytest.Pytester, bugfix_task: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _task_files(bugfix_task)
    evaluation = bugfix_task / "evaluation"
    evaluation.mkdir()
    evaluation.chmod(0o555)
    real_mkdir = os.mkdir

    def refusing_mkdir(path: str | os.PathLike[str], mode: int = 0o777, **kwargs: object) -> None:
        # As root, chmod stops nothing: refuse as the kernel does for anyone else.
        if Path(path).is_relative_to(evaluation):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real_mkdir(path, mode, **kwargs)  # type: ignore[arg-type]

    def refusing_path_mkdir(self: Path, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
        # Python 3.10's pathlib calls the os.mkdir it bound at import, not the patched one.
        if self.is_relative_to(evaluation):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real_path_mkdir(self, mode, parents, exist_ok)

    real_path_mkdir = Path.mkdir
    monkeypatch.setattr(os, "mkdir", refusing_mkdir)
    monkeypatch.setattr(Path, "mkdir", refusing_path_mkdir)
    try:
        result = _split(pytester)
    finally:
        evaluation.chmod(0o755)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*FAIL_TO_PASS 1  PASS_TO_PASS 1*",
            "ERROR cannot write */evaluation/*: Permission denied (EACCES); make its folder writable, "
            "or pass --gtguard-report PATH somewhere writable",
            "*gtguard split: task valid; 1 file(s) not written (exit 1)*",
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert list(evaluation.iterdir()) == []
    assert _task_files(bugfix_task) == before


def test_split_keeps_the_old_report_whole_when_the_disk_fills(
    pytester: pytest.Pytester, bugfix_task: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _task_files(bugfix_task)
    report = bugfix_task / "out" / "report.json"
    write(bugfix_task, {"out/report.json": '{"old": true}\n'})
    monkeypatch.setattr(_atomic, "_write_all", _disk_fills)

    result = _split(pytester, "--gtguard-report", str(report))

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*FAIL_TO_PASS 1  PASS_TO_PASS 1*",
            "ERROR cannot write */out/report.json: No space left on device (ENOSPC); free space on its disk, "
            "or pass --gtguard-report PATH somewhere writable",
            "*gtguard split: task valid; 1 file(s) not written (exit 1)*",
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert json.loads(report.read_text()) == {"old": True}
    assert _leftovers(bugfix_task) == []
    assert _task_files(bugfix_task) == before


def test_split_keeps_the_instance_whole_when_the_disk_fills_on_update(
    pytester: pytest.Pytester, bugfix_task: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(bugfix_task, {"instances/instance.json": instance()})
    before = _task_files(bugfix_task)
    monkeypatch.setattr(_atomic, "_write_all", _disk_fills)

    result = _split(pytester, "--gtguard-update-instance", "--gtguard-report", str(bugfix_task / "out.json"))

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR cannot write */instances/instance.json: No space left on device (ENOSPC); free space on its disk, "
            "or run without --gtguard-update-instance",
            "ERROR cannot write */out.json: No space left on device (ENOSPC)*",
            "*gtguard split: task valid; 2 file(s) not written (exit 1)*",
        ]
    )
    result.stdout.no_fnmatch_line("*wrote FAIL_TO_PASS*")
    assert _leftovers(bugfix_task) == []
    assert _task_files(bugfix_task) == before


def test_split_started_in_the_same_second_gets_its_own_report_folder(
    pytester: pytest.Pytester, bugfix_task: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _task_files(bugfix_task)
    frozen = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(_timing, "utcnow", lambda: frozen)

    first, second = _split(pytester), _split(pytester)

    assert (first.ret, second.ret) == (0, 0)
    first.stdout.fnmatch_lines(["report: */evaluation/2024-05-01/12-00-00/report.json"])
    second.stdout.fnmatch_lines(["report: */evaluation/2024-05-01/12-00-00-2/report.json"])
    day = bugfix_task / "evaluation" / "2024-05-01"
    reports = [json.loads((day / name / "report.json").read_text()) for name in ("12-00-00", "12-00-00-2")]
    assert reports[0]["run_id"] != reports[1]["run_id"]
    assert _task_files(bugfix_task) == before


def _patch_task(root: Path) -> None:
    write(root, {"repository_before/calc.py": "x = 1\n", "repository_after/calc.py": "x = 2\n", "tests/t.py": ""})


def test_cli_patch_keeps_the_old_patch_byte_identical_when_the_disk_fills(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _patch_task(tmp_path)
    assert main(["patch", "--no-git", "--name", "diff", str(tmp_path)]) == ExitCode.OK
    write(tmp_path, {"repository_after/calc.py": "x = 3\n"})  # the next patch would differ
    before = _task_files(tmp_path)
    capsys.readouterr()
    monkeypatch.setattr(_atomic, "_write_all", _disk_fills)

    code = main(["patch", "--no-git", str(tmp_path)])

    assert code == ExitCode.USAGE_ERROR
    out, err = capsys.readouterr()
    pytest.LineMatcher(err.splitlines()).fnmatch_lines(
        [
            "gtguard patch: error: cannot write */patches/diff.patch: No space left on device (ENOSPC); "
            "free space on its disk, or print it with `gtguard patch --stdout`"
        ]
    )
    assert "wrote" not in out
    assert _task_files(tmp_path) == before  # patches/diff.patch included, byte for byte
    assert _leftovers(tmp_path) == []
