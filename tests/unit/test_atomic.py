"""Atomic writes and exclusive folders: whole files or the old ones, never a shared report folder."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_gtguard import _atomic
from pytest_gtguard.split.report import new_report_path


def test_new_report_path_gives_four_splits_of_one_second_four_folders(tmp_path: Path) -> None:
    started = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.timezone.utc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(lambda _: new_report_path(tmp_path, started), range(4)))

    assert sorted(p.parent.name for p in paths) == ["12-00-00", "12-00-00-2", "12-00-00-3", "12-00-00-4"]
    assert all(p.parent.is_dir() and p.name == "report.json" for p in paths)


def test_write_bytes_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o750)

    _atomic.write_bytes(target, b"new\n")

    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["run.sh"]


def test_write_error_is_one_line_with_path_reason_and_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_atomic, "_write_all", fail)

    with pytest.raises(_atomic.WriteError) as info:
        _atomic.write_text(tmp_path / "a.json", "{}", alternative="write elsewhere")

    assert str(info.value) == (
        f"cannot write {tmp_path / 'a.json'}: No space left on device (ENOSPC); free space on its disk, "
        "or write elsewhere"
    )
    assert list(tmp_path.iterdir()) == []
