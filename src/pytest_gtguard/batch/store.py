"""The results file: append-only JSONL, one record per finished item, each flushed and fsync'd.

A batch killed with ``kill -9`` loses only the items still running. The record being written when the
kill came may be a truncated last line: reading skips it, and opening for append cuts it off, so the
next record starts on a line of its own. A rerun reads the fingerprints already present and skips them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_gtguard._atomic import WriteError

__all__ = ["RECORD_SCHEMA", "ResultStore", "read_records"]

RECORD_SCHEMA = 1


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Yield every complete record of ``path`` (a line that is not a JSON object is skipped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the half-written last line of a killed batch
        if isinstance(record, dict):
            yield record


class ResultStore:
    """Append records to a JSONL file, durably, and know which fingerprints are done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {}
        self.repaired = 0  # bytes of a truncated last line cut off when the file was opened
        self._fd: int | None = None

    def open(self) -> ResultStore:
        """Read the existing records, cut off a truncated last line, and open the file for appending.

        Raises:
            WriteError: the file or its folder cannot be created or written.
        """
        for record in read_records(self.path):
            if isinstance(record.get("fingerprint"), str):
                self.done[record["fingerprint"]] = record
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            self._repair(self._fd)
        except OSError as exc:
            raise WriteError(self.path, exc, alternative="pass --results PATH") from None
        return self

    def _repair(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size == 0:
            return
        tail = os.pread(fd, min(size, 1 << 20), max(0, size - (1 << 20)))
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        keep = size - len(tail) + cut + 1 if cut >= 0 else max(0, size - len(tail))
        os.ftruncate(fd, keep)
        os.fsync(fd)
        self.repaired = size - keep

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one line, and return only once it is on disk.

        Raises:
            WriteError: the write failed (a full disk); the records before it are intact.
        """
        if self._fd is None:
            raise RuntimeError("ResultStore.append before open()")
        line = (json.dumps(record, sort_keys=True, default=str) + "\n").encode()
        try:
            written = os.write(self._fd, line)  # O_APPEND: one write, at the end, even beside another writer
            if written != len(line):
                raise OSError(28, "short write")  # ENOSPC in all but name; the next open repairs the line
            os.fsync(self._fd)
        except OSError as exc:
            raise WriteError(self.path, exc, alternative="pass --results PATH on another disk") from None
        fingerprint = record.get("fingerprint")
        if isinstance(fingerprint, str):
            self.done[fingerprint] = dict(record)

    def close(self) -> None:
        """Close the file (records are already on disk)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ResultStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
