"""Processes gtguard starts: kill their groups safely, tie them to their parent, clean up after SIGTERM.

Shared by the split (``split.pool``, ``split.zygote``, ``split.runner``) and ``--meta`` (``meta.execute``):

- ``kill_group`` kills a child's process group only while the child is not reaped yet. A pid (and so a
  group id) is free for reuse once its process is reaped, and pids wrap fast (``pid_max`` is often
  32768): ``killpg`` on a reaped leader's pid may hit an unrelated group. ``waitid(WNOWAIT)`` tells
  whether the child ended without reaping it, so its pid stays ours until the caller reaps it.
- ``die_with_parent`` asks Linux to signal this process when its parent ends (``PR_SET_PDEATHSIG``).
- ``become_subreaper`` and ``kill_children``: a process a test started in a session of its own (``setsid``,
  ``start_new_session=True``: a daemon) escapes every group kill; a subreaper adopts it when its parent
  ends, and then finds and kills it among its own children (Linux; elsewhere, nothing happens).
- ``on_terminate`` runs cleanups (kill the runs, remove the temp folder) when SIGTERM arrives, then
  lets SIGTERM end the process as it would have (exit 143).
- ``temp_dir`` names gtguard's temp folders with the owner's pid, so ``sweep_stale`` can remove those a
  SIGKILLed process left, and never one whose owner still runs (a concurrent split).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Container, Iterator
from pathlib import Path
from types import FrameType

__all__ = [
    "add_terminate",
    "become_subreaper",
    "die_with_parent",
    "ended",
    "forget_terminate",
    "kill_children",
    "kill_group",
    "on_terminate",
    "reap_ended",
    "remove_owned",
    "remove_terminate",
    "remove_tree",
    "signal_name",
    "sweep_stale",
    "temp_dir",
    "temp_folder",
    "wait_ended",
    "wait_or_kill",
]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_TEMP = re.compile(r"gtguard-(?:split|meta|zygote|cov|baseline)-(\d+)-")


def signal_name(number: int) -> str:
    """Return the name of signal ``number`` (``SIGKILL``), or ``signal N`` for one Python does not know."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def ended(pid: int) -> bool:
    """Return True when child ``pid`` has ended (or is gone), without reaping it."""
    if not hasattr(os, "waitid"):  # pragma: no cover - macOS: no WNOWAIT; callers reap as before
        return False
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def kill_group(pid: int, sig: int = signal.SIGKILL) -> bool:
    """Send ``sig`` to the process group led by our child ``pid``, unless ``pid`` was already reaped.

    A child that ended but is not reaped still holds its pid, so the group id names only its group.
    Returns True when the signal was sent.
    """
    if hasattr(os, "waitid"):
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped (or not ours): its pid may belong to anyone by now
            return False
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def reap_ended(leaders: Container[int]) -> tuple[int, int, resource.struct_rusage] | None:
    """Reap one ended child, first killing its group when it leads one of ``leaders``; None if none ended.

    Returns ``(pid, status, rusage)`` as ``os.wait4`` does. Without ``waitid`` (macOS) the group is
    killed after the reap, best effort.
    """
    if hasattr(os, "waitid"):
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return None
        if info is None:
            return None
        if info.si_pid in leaders:
            kill_group(info.si_pid)  # what its tests left running, before the reap frees its pid
        return os.wait4(info.si_pid, 0)
    try:  # pragma: no cover - macOS
        pid, status, usage = os.wait4(-1, os.WNOHANG)
    except ChildProcessError:
        return None
    if pid and pid in leaders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    return (pid, status, usage) if pid else None


def wait_ended(pid: int, timeout: float, reap: Callable[[float], object]) -> bool:
    """Wait up to ``timeout`` s for child ``pid`` to end, leaving it unreaped (its pid keeps naming its group).

    ``reap(timeout)`` is the fallback where ``waitid`` is missing (macOS): it waits and reaps, raising
    ``subprocess.TimeoutExpired`` at the timeout; the group kill is then best effort.
    """
    if not hasattr(os, "waitid"):  # pragma: no cover - macOS
        import subprocess

        try:
            reap(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not ended(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return True


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> None:
    """Have Linux send ``sig`` to this process when its parent ends (elsewhere, nothing happens).

    ``parent``: the pid the caller expects as its parent; if the parent already ended before the
    request was made, ``sig`` is sent at once.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # here: most processes that import this module never need it

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``); False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _children(pid: int) -> list[int]:
    """Return the pids of ``pid``'s children (every thread's), from /proc; [] where /proc cannot tell."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        with contextlib.suppress(OSError, ValueError):
            found.extend(int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split())
    return found


def kill_children(spare: Container[int] = (), *, reap: bool = False, rounds: int = 50) -> int:
    """SIGKILL every child of this process not in ``spare``, and their descendants; return how many were hit.

    Each round stops the whole tree first (SIGSTOP: a process that forks cannot outrun the kill), then
    kills it. A subreaper adopts the orphans a killed process leaves, so the next round finds them. With
    ``reap``, ended children not in ``spare`` are reaped after each round and rounds go on until none is
    left; without it, one round (the caller's wait loop reaps).
    """
    me, hit = os.getpid(), 0
    for _ in range(rounds if reap else 1):
        tree, queue = [], [c for c in _children(me) if c not in spare]
        while queue:
            pid = queue.pop()
            tree.append(pid)
            queue.extend(_children(pid))
        if not tree:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in tree:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
        hit += len(tree)
        if reap:
            time.sleep(0.001)
            for pid in tree:  # only our own children (adopted ones included) can be reaped; never blocks
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
    return hit


_cleanups: list[Callable[[], None]] = []
_previous: signal.Handlers | Callable[[int, FrameType | None], object] | int | None = None


def _terminated(signum: int, frame: FrameType | None) -> None:
    """Run every registered cleanup, newest first, then let SIGTERM do what it did before."""
    while _cleanups:
        with contextlib.suppress(Exception):
            _cleanups.pop()()
    remove_owned(os.getpid())
    previous = _previous
    signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:
        os.kill(os.getpid(), signal.SIGTERM)  # the default action: the process ends, status 143


def add_terminate(cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` if SIGTERM arrives before ``remove_terminate``, then end as SIGTERM would have.

    Only the main thread can set signal handlers; elsewhere nothing is registered.
    """
    global _previous
    if threading.current_thread() is not threading.main_thread():
        return
    if not _cleanups:
        _previous = signal.signal(signal.SIGTERM, _terminated)
    _cleanups.append(cleanup)


def remove_terminate(cleanup: Callable[[], None]) -> None:
    """Forget ``cleanup``; the last one removed restores the SIGTERM handler found before."""
    if cleanup not in _cleanups:
        return
    _cleanups.remove(cleanup)
    if not _cleanups and signal.getsignal(signal.SIGTERM) is _terminated:
        signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)


def forget_terminate() -> None:
    """In a forked child: drop the parent's SIGTERM cleanups (they kill the parent's runs, not the child's)."""
    _cleanups.clear()
    signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def on_terminate(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run ``cleanup`` if SIGTERM arrives inside the block (see ``add_terminate``)."""
    add_terminate(cleanup)
    try:
        yield
    finally:
        remove_terminate(cleanup)


def remove_tree(path: Path, tries: int = 20) -> None:
    """Remove ``path``; retry briefly while processes just killed may still be writing into it.

    A Ctrl-C that lands while the folder is being removed does not leave half of it behind: the
    removal goes on, and the ``KeyboardInterrupt`` is raised again once the folder is gone.
    """
    interrupted: KeyboardInterrupt | None = None
    for _ in range(tries):
        try:
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                break
            time.sleep(0.02)
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


def remove_owned(pid: int) -> None:
    """Remove the gtguard temp folders that name process ``pid`` as their owner (it ended, or ends now)."""
    for folder in Path(tempfile.gettempdir()).glob(f"gtguard-*-{pid}-*"):
        if _TEMP.match(folder.name):
            remove_tree(folder)


def wait_or_kill(pid: int, timeout: float) -> None:
    """Wait up to ``timeout`` seconds for child ``pid`` to end, then kill its group; reap it either way.

    Polls without reaping, so it is safe in a signal handler that interrupted a ``Popen.wait``.
    """
    deadline = time.monotonic() + timeout
    while not ended(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    kill_group(pid)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def temp_dir(kind: str) -> Path:
    """Create and return a new temp folder ``gtguard-<kind>-<pid>-*``, after sweeping stale ones."""
    sweep_stale()
    return Path(tempfile.mkdtemp(prefix=f"gtguard-{kind}-{os.getpid()}-"))


@contextlib.contextmanager
def temp_folder(kind: str) -> Iterator[Path]:
    """Give a new ``temp_dir(kind)`` to the block and remove it after, whole even under a Ctrl-C."""
    path = temp_dir(kind)
    try:
        yield path
    finally:
        remove_tree(path)


def sweep_stale(root: Path | None = None) -> list[Path]:
    """Remove gtguard's temp folders whose owner process has ended (a SIGKILL leaves them); return them.

    Only this user's folders, and only when the pid in the name runs no process: a folder of a split
    that still runs (whatever its age) is kept; a pid reused since then only delays the sweep.
    """
    root = root or Path(tempfile.gettempdir())
    removed = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            match = _TEMP.match(entry.name)
            if match is None or not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                if uid is not None and entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
            if _alive(int(match.group(1))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    """Return True while ``pid`` runs; a zombie (ended, not yet reaped by its new parent) has ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a SIGKILLed split's zygotes are reparented; a container's init may reap them late, or never
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(0) said it exists
