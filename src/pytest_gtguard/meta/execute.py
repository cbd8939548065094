"""Run jobs (baseline, sentinel, variants, mutants) each in a child forked from the collected session.

Why fork and not a subprocess or pytest-timeout: the parent has already imported everything and collected
the suite once; a forked child starts from that state in ~2 ms, runs only the tests it needs through
pytest's own protocol and dies with ``os._exit``, so nothing a mutant does (globals, caches, hangs, crashes,
``os._exit``, memory blow-ups) can reach the parent or the next mutant. The parent never runs the ground
truth itself, so every child starts pristine and verdicts do not depend on order or worker count.

Hangs: the child arms ``ITIMER_PROF`` with a CPU-time budget derived from the baseline durations of the
tests it runs, so an infinite loop dies on SIGPROF after tens of milliseconds of *CPU* (load-independent);
the parent adds a wall-clock backstop for children that block without spending CPU (SIGKILL).
Results travel back through a small JSON file in a private temporary directory: no pipe to drain, any
size. Requires ``os.fork`` (Linux, macOS); the plugin refuses ``--meta`` elsewhere.

Nothing left running: each child leads its own process group, which is killed when the child ends
(background processes its tests started go with it), always before the child is reaped, so the group id
cannot name another process's group (``_procs.kill_group``). A child dies with the parent, even a
SIGKILLed one (``PR_SET_PDEATHSIG`` on Linux); on SIGTERM the parent kills the children and removes its
temp folder before it ends (exit 143); a temp folder left by a SIGKILL goes at the next run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import gc
import json
import os
import resource
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard import _procs

__all__ = ["ChildResult", "Job", "Status", "Verdict", "arm_cpu_budget", "run_jobs"]

_EXIT_DONE = 0
_EXIT_ERROR = 86
_EXIT_MEMORY = 87
_POLL_S = 0.0005
_MEMORY_HEADROOM = 512 * 2**20


class Status(enum.Enum):
    """Mutant states of the mutation-testing-report-schema."""

    KILLED = "Killed"
    SURVIVED = "Survived"
    NO_COVERAGE = "NoCoverage"
    TIMEOUT = "Timeout"
    RUNTIME_ERROR = "RuntimeError"
    COMPILE_ERROR = "CompileError"
    IGNORED = "Ignored"


@dataclass(frozen=True)
class Job:
    """One child run: a key (mutant or variant id), the test ids to run in order, and its budgets."""

    key: str
    tests: tuple[str, ...]
    cpu_budget_s: float | None  # armed when the child starts
    wall_budget_s: float | None
    test_budgets_s: tuple[float, ...] = ()  # re-armed before each test: a hang costs its own test's budget


def scaled(job: Job, factor: float) -> Job:
    """Return ``job`` with every budget multiplied by ``factor`` (a confirming re-run of a timeout)."""
    return dataclasses.replace(
        job,
        cpu_budget_s=None if job.cpu_budget_s is None else job.cpu_budget_s * factor,
        wall_budget_s=None if job.wall_budget_s is None else job.wall_budget_s * factor,
        test_budgets_s=tuple(b * factor for b in job.test_budgets_s),
    )


def arm_cpu_budget(seconds: float) -> None:
    """(Re)arm the child's CPU-time limit: SIGPROF's default action ends the process (a Timeout)."""
    signal.setitimer(signal.ITIMER_PROF, seconds)


@dataclass(frozen=True)
class ChildResult:
    """What the child reports back: the first failing test, how many ran, and a one-line reason."""

    killed_by: str | None = None
    tests_run: int = 0
    reason: str = ""
    memory_error: bool = False
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The parent's classification of one finished job."""

    key: str
    status: Status
    killed_by: str | None
    tests_run: int
    reason: str
    duration_s: float
    payload: Mapping[str, Any] = field(default_factory=dict)
    cpu_s: float = 0.0  # the child's user + system CPU time


Work = Callable[[Job], ChildResult]


def run_jobs(
    jobs: Sequence[Job],
    work: Work,
    *,
    workers: int,
    on_verdict: Callable[[Verdict], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Verdict]:
    """Run every job in its own forked child, ``workers`` at a time; return verdicts in job order.

    ``work`` runs in the child only. Ctrl-C in the parent kills the running children and re-raises.
    """
    verdicts: dict[str, Verdict] = {}
    running: dict[int, tuple[Job, float, Path]] = {}
    queue = list(jobs)
    scratch = _procs.temp_dir("meta")

    def terminate() -> None:
        for pid in list(running):
            _procs.kill_group(pid)
        for pid in list(running):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)  # dead before their folder goes
            _procs.remove_owned(pid)  # the temp folders a killed child made for itself (coverage data)
        _procs.remove_tree(scratch)

    try:
        with _frozen_gc(), _procs.on_terminate(terminate):
            memory_cap = _memory_cap()
            try:
                while queue or running:
                    while queue and len(running) < max(1, workers):
                        job = queue.pop(0)
                        out = scratch / f"{len(verdicts) + len(running)}-{os.getpid()}.json"
                        pid = _spawn(job, work, out, memory_cap)
                        running[pid] = (job, clock(), out)
                    verdict = _reap_one(running, clock)
                    if verdict is not None:
                        verdicts[verdict.key] = verdict
                        if on_verdict is not None:
                            on_verdict(verdict)
            except BaseException:
                for pid in running:
                    _procs.kill_group(pid)
                for pid in running:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)
                raise
    finally:
        _procs.remove_tree(scratch)  # a Ctrl-C landing here still removes all of it
    return [verdicts[job.key] for job in jobs if job.key in verdicts]


@contextlib.contextmanager
def _frozen_gc() -> Iterator[None]:
    # Children that never run the collector never touch (and so never copy) the inherited heap pages.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _memory_cap() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") + _MEMORY_HEADROOM


def _spawn(job: Job, work: Work, out: Path, memory_cap: int | None) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    # A Ctrl-C landing inside fork() would be raised in an at-fork hook, where Python swallows it: hold
    # SIGINT until the fork is done, so it surfaces in the parent's own code.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns when forking a process with threads (pytest-xdist's execnet has some); the
            # child only runs tests and exits through os._exit, never touching another thread's locks.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if pid != 0:
        with contextlib.suppress(OSError):  # also here: the parent may kill the group before the child runs
            os.setpgid(pid, pid)
        return pid
    code = _EXIT_ERROR
    try:  # the child: never returns
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)  # its own group: what its tests start is killed with it
        _procs.become_subreaper()  # and what leaves the group (a daemon in its own session) is adopted, then killed
        _procs.die_with_parent(signal.SIGKILL, parent)
        _procs.forget_terminate()  # a SIGTERM a test sends here ends this child, not its siblings' runs
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        if memory_cap is not None:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
        if job.cpu_budget_s is not None:
            signal.signal(signal.SIGPROF, signal.SIG_DFL)
            arm_cpu_budget(job.cpu_budget_s)
        result = work(job)
        signal.setitimer(signal.ITIMER_PROF, 0)  # the verdict is in: writing it must not be cut short
        _write(out, result)
        code = _EXIT_DONE
    except MemoryError:
        code = _EXIT_MEMORY
    except BaseException as exc:  # a mutant may raise anything, even SystemExit: classify, never propagate
        with contextlib.suppress(BaseException):
            _write(out, ChildResult(reason=f"{type(exc).__name__}: {exc}"[:500]))
    with contextlib.suppress(BaseException):
        _procs.kill_children(reap=True)  # what its tests started and left running, own sessions included
    os._exit(code)


def _write(out: Path, result: ChildResult) -> None:
    data = {
        "killed_by": result.killed_by,
        "tests_run": result.tests_run,
        "reason": result.reason,
        "memory_error": result.memory_error,
        "payload": dict(result.payload),
    }
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.rename(out)  # atomic: a child killed while writing leaves no half-read result


def _reap_one(running: dict[int, tuple[Job, float, Path]], clock: Callable[[], float]) -> Verdict | None:
    while running:
        now = clock()
        for pid, (job, started, _) in running.items():
            if job.wall_budget_s is not None and now - started > job.wall_budget_s:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # not reaped yet (it is in ``running``): still our child
        reaped = _procs.reap_ended(running)
        if reaped is None:
            time.sleep(_POLL_S)
            continue
        pid, status, usage = reaped
        if pid not in running:
            continue  # not ours (a test started a process and left it)
        if os.WIFSIGNALED(status):
            _procs.remove_owned(pid)  # killed (wall budget, memory): its own temp folders stayed behind
        job, started, out = running.pop(pid)
        return _classify(job, status, clock() - started, out, usage.ru_utime + usage.ru_stime)
    return None


def _classify(job: Job, status: int, duration: float, out: Path, cpu: float) -> Verdict:
    data: dict[str, Any] = {}
    if out.exists():
        data = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
    killed_by = data.get("killed_by")
    tests_run = int(data.get("tests_run", 0))
    reason = str(data.get("reason", ""))
    payload = data.get("payload", {})

    def verdict(state: Status, why: str) -> Verdict:
        return Verdict(job.key, state, killed_by, tests_run, why, duration, payload, cpu)

    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGPROF, signal.SIGXCPU):
            return verdict(Status.TIMEOUT, "CPU budget exceeded (an endless loop or a far slower path)")
        if sig == signal.SIGKILL and job.wall_budget_s is not None and duration >= job.wall_budget_s:
            return verdict(Status.TIMEOUT, f"wall budget of {job.wall_budget_s:.2f} s exceeded")
        return verdict(Status.RUNTIME_ERROR, f"child killed by signal {signal.Signals(sig).name}")
    exit_code = os.WEXITSTATUS(status)
    if exit_code == _EXIT_MEMORY or data.get("memory_error"):
        return verdict(Status.RUNTIME_ERROR, "memory limit exceeded")
    if exit_code != _EXIT_DONE or not data:
        if data and reason:
            return verdict(Status.RUNTIME_ERROR, reason)
        return verdict(
            Status.RUNTIME_ERROR,
            f"process exited with code {exit_code} before reporting (os._exit or a crash inside the code under test)",
        )
    if killed_by:
        return verdict(Status.KILLED, reason)
    return verdict(Status.SURVIVED, reason)
