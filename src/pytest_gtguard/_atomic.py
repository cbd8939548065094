"""Write files whole or not at all, and claim folders no other run shares (issue 15).

Every file gtguard writes for a person (reports, HTML, patches, instance updates, results) goes to a
temporary file beside its target, is fsync'd, then renamed over the target with ``os.replace``: a full
disk, a kill or a crash leaves the old file (or none), never a truncated one. A write that fails raises
``WriteError``, whose text is one line naming the path, the reason and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from pytest_gtguard.errors import GtguardError

__all__ = ["WriteError", "create_unique_dir", "write_bytes", "write_text"]

# What to do about each reason a write fails; the caller may add another way out (an option).
_FIXES = {
    getattr(errno, "EDQUOT", errno.ENOSPC): "free space under your disk quota",
    errno.ENOSPC: "free space on its disk",
    errno.EISDIR: "the path is a folder: name a file",
    errno.ENOTDIR: "a folder on the way is a file: move it or pick another path",
    errno.EEXIST: "a folder on the way is a file: move it or pick another path",
    errno.EACCES: "make its folder writable",
    errno.EPERM: "make its folder writable",
    errno.EROFS: "its file system is read-only: write elsewhere",
    errno.ENAMETOOLONG: "pick a shorter path",
}
_MAX_SUFFIX = 1000  # TIME-2 ... TIME-1000: more runs in one second than that is a bug, not a load


class WriteError(GtguardError):
    """A file or folder could not be written; ``str()`` is one line: path, reason, fix."""

    def __init__(self, path: Path, error: OSError, *, alternative: str = "") -> None:
        self.path = path
        name = errno.errorcode.get(error.errno or 0)
        self.reason = f"{error.strerror} ({name})" if error.strerror and name else str(error)
        fix = _FIXES.get(error.errno or 0, "check the path and its disk")
        self.fix = f"{fix}, or {alternative}" if alternative else fix
        super().__init__(f"cannot write {path}: {self.reason}; {self.fix}")


def write_text(path: Path, text: str, *, encoding: str = "utf-8", alternative: str = "") -> None:
    """Replace ``path`` with ``text`` atomically (see ``write_bytes``)."""
    write_bytes(path, text.encode(encoding), alternative=alternative)


def write_bytes(path: Path, data: bytes, *, alternative: str = "") -> None:
    """Replace ``path`` with ``data`` atomically, creating its folders; keep an existing file's mode.

    Raises:
        WriteError: the folder, the temporary file or the rename failed; ``path`` is as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        # 0o666 through the umask, as open() would: mkstemp's 0o600 would hide a report from the team.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise WriteError(path, exc, alternative=alternative) from None
    try:
        try:
            _write_all(fd, data)
            with contextlib.suppress(FileNotFoundError):
                os.chmod(tmp, os.stat(path).st_mode & 0o7777)
            os.fsync(fd)  # the data reaches the disk before the name does: a crash leaves old or new
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise WriteError(path, exc, alternative=alternative) from None
    _sync_folder(path.parent)


def create_unique_dir(parent: Path, name: str, *, alternative: str = "") -> Path:
    """Create and return ``parent/name``, or ``name-2``, ``name-3``... if taken: never one another run has.

    ``os.mkdir`` fails on a folder that exists, so two processes can never both get the same one.

    Raises:
        WriteError: ``parent`` cannot be created, or a folder cannot be made in it.
    """
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(parent / name, exc, alternative=alternative) from None
    for n in range(1, _MAX_SUFFIX + 1):
        folder = parent / (name if n == 1 else f"{name}-{n}")
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteError(folder, exc, alternative=alternative) from None
        return folder
    full = OSError(errno.EEXIST, f"{_MAX_SUFFIX} folders named {name}[-N] exist already")
    raise WriteError(parent / name, full, alternative=alternative)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (os.write may write less); tests swap this in to fake a full disk."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the platform allows opening a folder."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
