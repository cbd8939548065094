"""The only module that starts untrusted code: one pytest run of one candidate, isolated and killed.

Two levels (``Isolation``):

* ``namespaces``: bubblewrap, the sandbox Flatpak uses, runs the command in new user, mount, pid,
  network, ipc and uts namespaces with every capability dropped. The root file system is bound
  read-only, ``/tmp`` is a fresh tmpfs, the task folder, the other candidates and the grade cache are
  covered by empty tmpfs mounts, and only the candidate's copy and a scratch folder are writable.
  The network has only loopback. When the run ends, the pid namespace ends with it, so no process can
  outlive it. We use bubblewrap rather than our own ``unshare`` calls because it gets the ordering of
  mounts, ``PR_SET_NO_NEW_PRIVS`` and capability dropping right, and is packaged by every Linux
  distribution.
* ``process``: where user namespaces are refused (Docker's default seccomp profile, macOS), a plain
  child in its own session and process group, started through a shell that stays between it and
  the judge (a run that signals its parent hits the shell). When gtguard runs as root the child runs as
  ``nobody``, so the trusted test copy and the Python environment are read-only to it by permission.
  Processes it leaves behind are found by a token in their environment and killed.

Both levels apply rlimits (CPU seconds, address space, file size, no core files, processes) through
util-linux ``prlimit`` (a ``preexec_fn`` is not safe in a judge that runs candidates from threads).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pytest_gtguard import _procs
from pytest_gtguard.errors import GtguardError
from pytest_gtguard.reward.model import Isolation

__all__ = ["Finished", "Launch", "Limits", "SandboxUnavailable", "can_drop_privileges", "choose_isolation", "run"]

_NOBODY = 65534
_TAIL = 4000  # bytes of stdout/stderr kept for the grade's details
_KILL_GRACE = 5.0
_DYING_GRACE = 1.0
_SHELL_SIGNAL = 128  # sh reports a child killed by signal N as exit status 128 + N


class SandboxUnavailable(GtguardError):
    """The isolation level asked for cannot be had on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run."""

    timeout: float = 600.0  # wall-clock seconds; the run is killed after this
    memory_mb: int = 8192  # address space (RLIMIT_AS)
    file_mb: int = 1024  # largest file the run may write (RLIMIT_FSIZE)
    processes: int = 1024  # RLIMIT_NPROC, where the kernel enforces it (not for uid 0)


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one run."""

    argv: Sequence[str]
    cwd: Path
    env: Mapping[str, str]
    readonly: Sequence[Path]  # the workspace's trusted part: visible, not writable
    writable: Sequence[Path]  # the candidate's copy and the scratch folder
    hidden: Sequence[Path]  # must not be visible at all: the task, other candidates, the cache
    pass_fds: Sequence[int] = ()
    limits: Limits = field(default_factory=Limits)
    token: str = ""  # in every process's environment, to find leftovers at the process level


@dataclass(frozen=True)
class Finished:
    """How the run ended."""

    returncode: int | None
    signal_name: str | None
    timed_out: bool
    left_alive: int
    stdout: str
    stderr: str
    seconds: float


@functools.lru_cache(maxsize=1)
def _bwrap_works() -> str | None:
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if done.returncode == 0 else None


def choose_isolation(requested: str) -> Isolation:
    """Return the level to use for ``requested`` (``auto``, ``namespaces`` or ``process``).

    Raises:
        SandboxUnavailable: ``namespaces`` was asked for and bubblewrap cannot create them here.
    """
    if requested == Isolation.PROCESS.value:
        return Isolation.PROCESS
    if _bwrap_works() is not None:
        return Isolation.NAMESPACES
    if requested == Isolation.NAMESPACES.value:
        why = "bwrap is not installed" if shutil.which("bwrap") is None else "bwrap cannot create namespaces here"
        raise SandboxUnavailable(
            f"--isolation namespaces: {why}; install bubblewrap (apt-get install bubblewrap), allow user "
            "namespaces (Docker: --security-opt seccomp=unconfined, or a profile that permits unshare), "
            "or accept the weaker level with --isolation process"
        )
    return Isolation.PROCESS


@functools.lru_cache(maxsize=1)
def can_drop_privileges() -> bool:
    """Return True when the judge is root and ``nobody`` can run this interpreter and read its paths.

    pyenv under a 0700 ``/root`` is the common case where it cannot: the run then stays root, the
    Python environment is writable to it, and the grader runs candidates one at a time so that a
    change to the environment is pinned on the run that made it.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    paths = [Path(os.path.realpath(sys.executable)), *(Path(p) for p in sys.path if p and os.path.isdir(p))]
    return all(_world_reachable(p) for p in paths)


def _world_reachable(path: Path) -> bool:
    try:
        for folder in [*reversed(path.parents), path] if path.is_dir() else reversed(path.parents):
            if not os.stat(folder).st_mode & 0o001:
                return False
        return bool(os.stat(path).st_mode & 0o004)
    except OSError:
        return False


def _prlimit(limits: Limits) -> list[str]:
    tool = shutil.which("prlimit")
    if tool is None:
        return []
    cpu = int(limits.timeout) + 10
    return [
        tool,
        f"--cpu={cpu}",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--fsize={limits.file_mb * 1024 * 1024}",
        "--core=0",
        f"--nproc={limits.processes}",
        "--",
    ]


def _bwrap_argv(launch: Launch) -> list[str]:
    bwrap = _bwrap_works()
    if bwrap is None:  # pragma: no cover - choose_isolation checked it
        raise SandboxUnavailable("bubblewrap stopped working between the probe and the run")
    argv = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    for path in launch.hidden:
        if path.is_dir():
            argv += ["--tmpfs", str(path)]
        elif path.exists():
            argv += ["--ro-bind", "/dev/null", str(path)]
    for path in _covered_interpreter(launch):
        argv += ["--ro-bind", str(path), str(path)]
    for path in launch.readonly:
        argv += ["--ro-bind", str(path), str(path)]
    for path in launch.writable:
        argv += ["--bind", str(path), str(path)]
    argv += ["--chdir", str(launch.cwd), "--"]
    return argv


_FRESH = (Path("/tmp"), Path("/var/tmp"))  # replaced by empty tmpfs mounts in the sandbox


def _covered_interpreter(launch: Launch) -> list[Path]:
    """Return the interpreter's folders that a tmpfs would cover, to bind back read-only.

    A virtualenv under /tmp (a CI checkout) or inside the task folder must stay usable; import-path
    folders inside a hidden path stay hidden (the judge leaves them out of the run's PYTHONPATH).
    """
    prefixes = [Path(sys.prefix), Path(sys.base_prefix)]
    paths = [Path(p) for p in launch.env.get("PYTHONPATH", "").split(os.pathsep) if p]
    wanted = [p for p in prefixes if any(_inside(p, root) for root in (*_FRESH, *launch.hidden))]
    wanted += [
        p
        for p in paths
        if any(_inside(p, root) for root in _FRESH) and not any(_inside(p, hidden) for hidden in launch.hidden)
    ]
    kept: list[Path] = []
    for path in sorted(set(wanted), key=lambda p: len(p.parts)):
        if path.is_dir() and not any(_inside(path, outer) for outer in kept):
            kept.append(path)
    return kept


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def run(launch: Launch, isolation: Isolation) -> Finished:
    """Run ``launch`` at ``isolation``; kill its whole process tree at the end or at the timeout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:  # unlinked: the run holds only the fd
        return _run(launch, isolation, out, err)


def _run(launch: Launch, isolation: Isolation, out: IO[bytes], err: IO[bytes]) -> Finished:
    as_nobody = isolation is Isolation.PROCESS and can_drop_privileges()
    if as_nobody:
        for path in launch.writable:
            _chown_tree(path)
    # At the process level a shell stands between the judge and the run, so what the run does to its
    # parent (os.kill(os.getppid(), SIGKILL), catalogue RH32) hits the shell, not the judge.
    prefix = _bwrap_argv(launch) if isolation is Isolation.NAMESPACES else ["/bin/sh", "-c", '"$@"; exit $?', "sh"]
    argv = [*_prlimit(launch.limits), *prefix, *launch.argv]
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=launch.cwd,
            env=dict(launch.env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            pass_fds=tuple(launch.pass_fds),
            start_new_session=True,
            user=_NOBODY if as_nobody else None,
            group=_NOBODY if as_nobody else None,
            extra_groups=[] if as_nobody else None,
        )
    except OSError as exc:
        raise SandboxUnavailable(f"cannot start the run ({argv[0]}): {exc}") from None
    # Wait without reaping: until the leader is reaped its pid (and so its process group id) cannot be
    # given to another process, so the group kill below can only reach the run's own processes. (With
    # pid_max at 32768 a busy machine reuses pids within minutes: a reaped leader's group id once
    # belonged to another test's process group when the kill came.)
    timed_out = not _procs.wait_ended(proc.pid, launch.limits.timeout, proc.wait)
    seconds = time.monotonic() - start
    # In a pid namespace nothing outlives the run (bwrap's pid 1 takes it all down; the reporter counts
    # leftovers from inside); only the process level has to look for them.
    left = _kill_tree(proc, launch.token, main_done=not timed_out, scan=isolation is Isolation.PROCESS)
    code = proc.returncode
    if isolation is Isolation.PROCESS and code is not None and code > _SHELL_SIGNAL:  # the shell's 128 + N
        with contextlib.suppress(ValueError):
            code = -signal.Signals(code - _SHELL_SIGNAL)
    return Finished(
        returncode=code if code is not None and code >= 0 else None,
        signal_name=signal.Signals(-code).name if code is not None and code < 0 else None,
        timed_out=timed_out,
        left_alive=left,
        stdout=_tail(out),
        stderr=_tail(err),
        seconds=seconds,
    )


def _kill_tree(proc: subprocess.Popen[bytes], token: str, *, main_done: bool, scan: bool) -> int:
    """Kill the run's process group and every process carrying ``token``; return how many outlived it.

    ``proc`` must not be reaped yet (see ``_procs.wait_ended``): its pid still names the run's process group.
    """
    pgid = proc.pid
    found = _leftovers(proc, token, main_done=main_done) if scan else set()
    for pid in found:
        _kill(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    if proc.returncode is None:
        proc.kill()  # a no-op on a process that already exited (Popen polls first)
        with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL cannot be ignored: this is a bound only
            proc.wait(_KILL_GRACE)
    return len(found) if main_done else 0


def _leftovers(proc: subprocess.Popen[bytes], token: str, *, main_done: bool) -> set[int]:
    """Return the run's processes other than its main one; a dying one gets a moment to go."""
    deadline = time.monotonic() + _DYING_GRACE
    while True:  # a process killed a moment ago may still be freeing its memory
        found = set(_with_token(token)) if token else set()
        found |= set(_in_group(proc.pid))
        found.discard(proc.pid)
        if not found or not main_done or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _proc_pids() -> list[int]:
    try:
        return [int(e) for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []


def _stat_fields(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _in_group(pgid: int) -> list[int]:
    found = []
    for pid in _proc_pids():
        fields = _stat_fields(pid)
        if len(fields) > 2 and fields[0] not in (b"Z", b"X") and fields[2] == str(pgid).encode():
            found.append(pid)
    return found


def _with_token(token: str) -> list[int]:
    needle = f"GTGUARD_RUN_TOKEN={token}".encode()
    found = []
    for pid in _proc_pids():
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        fields = _stat_fields(pid)
        if needle in environ and fields and fields[0] not in (b"Z", b"X"):
            found.append(pid)
    return found


def _chown_tree(root: Path) -> None:
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), _NOBODY, _NOBODY)
    os.lchown(root, _NOBODY, _NOBODY)


def _tail(handle: IO[bytes]) -> str:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - _TAIL))
    return handle.read().decode("utf-8", "replace")
