"""Run each item in a process of its own, forked from an interpreter that has gtguard imported already.

The zygote process (``main``) reads one JSON request per line on stdin and answers one JSON
line on stdout. For each request it forks a child in a new session (its own process group), which runs
``gtguard ARGV`` in-process (mode ``cli``) or execs a command (mode ``exec``), with stdout and stderr in
files of a private temporary folder. Forking costs a few milliseconds where a fresh interpreter costs
hundreds, and a crash, a hang or an exhausted memory limit ends only the child: it becomes one record.

The zygote is a child subreaper (Linux): a process the item started in another session (the split's
zygotes, a sandbox) is reparented to it when the item ends, and is killed then. Closing the zygote's
stdin (its parent died, or the batch was interrupted) kills the running item and ends the zygote.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["Zygote", "ZygoteDied", "main", "serve"]

_STDOUT_CAP = 8 << 20
_STDERR_TAIL = 4000
_PR_SET_CHILD_SUBREAPER = 36


class ZygoteDied(Exception):
    """The zygote process ended (killed, or out of memory) before it answered."""


class Zygote:
    """A zygote process and the pipe to it; one request at a time."""

    def __init__(self, python: str = sys.executable, *, env: Mapping[str, str] | None = None) -> None:
        self.python = python
        self._proc = subprocess.Popen(
            [python, "-c", "from pytest_gtguard.batch.zygote import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(env if env is not None else os.environ),
            start_new_session=True,  # Ctrl-C at the terminal reaches the batch, which then closes us
        )

    @property
    def pid(self) -> int:
        """Return the zygote's process id."""
        return self._proc.pid

    def run(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Send ``request`` and return the answer.

        Raises:
            ZygoteDied: the zygote ended before answering.
        """
        stdin, stdout = self._proc.stdin, self._proc.stdout
        if stdin is None or stdout is None:  # pragma: no cover - Popen was given both pipes
            raise ZygoteDied("no pipe")
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
            line = stdout.readline()
        except (BrokenPipeError, ValueError, OSError):
            line = b""
        if not line:
            code = self._proc.poll()
            raise ZygoteDied(f"the item's zygote process ended (exit status {code})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        """End the zygote (and the item it runs), and reap it."""
        with contextlib.suppress(OSError, ValueError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _child(request: Mapping[str, Any], argv: list[str], tmp: Path) -> None:  # pragma: no cover - in a fork
    code = 3
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(os.open(tmp / "stdout", os.O_WRONLY | os.O_CREAT, 0o600), 1)
        os.dup2(os.open(tmp / "stderr", os.O_WRONLY | os.O_CREAT, 0o600), 2)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        os.environ.update(request.get("env") or {})
        if request.get("memory_mb"):
            import resource

            limit = int(request["memory_mb"]) << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if request.get("mode") == "exec":
            os.execvp(argv[0], argv)
        from pytest_gtguard.cli import main

        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own exit
            code = exc.code if isinstance(exc.code, int) else 4
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, deadline: float | None, stdin_fd: int) -> tuple[int | None, str]:
    """Wait for the child; return (its wait status or None, why it was stopped: "" | "timeout" | "closed")."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, ""
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None, "timeout"
            step = remaining if pidfd is not None else min(remaining or 0.01, 0.01)
            ready, _, _ = select.select([fd for fd in (pidfd, stdin_fd) if fd is not None], [], [], step)
            if stdin_fd in ready:
                return None, "closed"  # one request at a time: readable stdin means the batch closed it
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _children() -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    return found


def _kill_leftovers() -> None:
    """Kill and reap every process the item left behind (reparented to us as subreaper)."""
    for _ in range(50):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                break
        left = _children()
        if not left:
            return
        for pid in left:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _read(path: Path, cap: int) -> str:
    try:
        with open(path, "rb") as handle:
            if cap < 0:
                handle.seek(max(0, path.stat().st_size + cap))
            return handle.read(abs(cap)).decode("utf-8", errors="replace")
    except OSError:
        return ""


def handle(request: Mapping[str, Any], stdin_fd: int) -> tuple[dict[str, Any], bool]:
    """Run one request; return the answer, and whether stdin was closed meanwhile (time to stop)."""
    tmp = Path(tempfile.mkdtemp(prefix="gtguard-item-"))
    argv = [str(a).replace("{tmp}", str(tmp)).replace("{python}", sys.executable) for a in request["argv"]]
    start = time.monotonic()
    timeout = request.get("timeout")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _child(request, argv, tmp)
    status, stopped = _wait(pid, None if not timeout else start + float(timeout), stdin_fd)
    if status is None:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    duration = time.monotonic() - start
    _kill_leftovers()
    answer: dict[str, Any] = {
        "returncode": os.waitstatus_to_exitcode(status),
        "timed_out": stopped == "timeout",
        "duration": duration,
        "stdout": _read(tmp / "stdout", _STDOUT_CAP),
        "stderr": _read(tmp / "stderr", -_STDERR_TAIL),
        "files": {name: _read(tmp / name, _STDOUT_CAP) for name in request.get("read", ())},
        "pid": os.getpid(),
    }
    shutil.rmtree(tmp, ignore_errors=True)
    return answer, stopped == "closed"


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Answer requests until stdin closes."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1)
    import pytest_gtguard.cli  # noqa: F401  # imported once here, so each forked item starts warm

    fd = stdin.fileno()
    while True:
        line = stdin.readline()
        if not line:
            return
        answer, closed = handle(json.loads(line), fd)
        if closed:
            return
        stdout.write(json.dumps(answer).encode() + b"\n")
        stdout.flush()


def main() -> None:  # pragma: no cover - the zygote process
    """Serve on stdin and stdout (``Zygote`` starts this)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch decides: it closes our stdin
    serve(sys.stdin.buffer, sys.stdout.buffer)
