"""Measure one call in a forked child; the parent watches the child's CPU time and SIGKILLs it when over.

Why our own code rather than pytest-timeout: both of its methods wait for a long GIL-holding C call
(``sum(range(10**10))``) to return before they act (pytest-timeout 2.4: 3.3 s for a 0.5 s timeout),
and its ``thread`` method ``os._exit``s the whole run. A parent polling the child's CPU time in
``/proc`` stops the child within one poll interval wherever it is, and the pytest process lives on to
report the failure. Why not pytest-benchmark: it times wall clock in-process with at least 5 rounds,
is disabled under xdist and has no hard stop; a perf gate needs CPU time, isolation and a kill.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

from pytest_gtguard import _timing
from pytest_gtguard.perf.budget import Run
from pytest_gtguard.perf.child import (
    NO_TRACING,
    Tracing,
    read_frames,
    run_child,
    time_reference,
)

__all__ = ["Measurement", "can_fork", "measure", "measure_reference"]

POLL_S = 0.005  # the kill lands within one poll (+ one scheduler tick of /proc accounting)
BACKSTOP_FACTOR = 20.0  # wall backstop = 20 x the CPU kill: under 2x oversubscription wall reached 14x
MIN_BACKSTOP_S = 10.0
NO_KILL_BACKSTOP_S = 300.0  # memory-only gates have no time budget; still never hang forever
START_TIMEOUT_S = 60.0  # fork + tracer removal + reference workload
RESULT_TIMEOUT_S = 60.0  # pickling the return value back
CPU_BACKSTOP_S = 2.0  # RLIMIT_CPU beyond the kill, in case the parent is gone
FAKED_CLOCK_SLACK_MS = 30.0  # /proc CPU time lags by up to a tick (10 ms); the frames take a few ms more


@dataclass(frozen=True)
class Measurement:
    """One measured call: the ``Run`` the verdict needs plus what the glue and the bench need."""

    run: Run
    tracing: Tracing = NO_TRACING
    raised: str | None = None  # traceback text when the call raised
    crashed: str | None = None  # the measuring process ended without reporting
    result: object = None
    has_result: bool = False
    unpicklable: str | None = None
    call_wall_ms: float = 0.0
    child_cpu_ms: float = 0.0  # everything the child used: start-up, reference workload, call
    wall_ms: float = 0.0  # the parent's whole round trip
    faked_clock: str | None = None  # the call's own clock said far less than the parent saw it use


def can_fork() -> bool:
    """Say whether calls can be isolated in a forked child (POSIX) rather than measured in-process."""
    return hasattr(os, "fork")


def _fork() -> int:
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: F401  # imported once here, so the child's PR_SET_PDEATHSIG call costs no import

    with warnings.catch_warnings():
        # 3.12+ warns about fork() in a process with threads (xdist's execnet); the child only runs
        # the measured call and os._exit()s, and never touches the other threads' locks itself.
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _child_cpu_s(pid: int) -> float | None:
    """Return the child's CPU time: all threads in clock ticks, or its main thread to the nanosecond.

    ``/proc/<pid>/stat`` lags by up to a tick (10 ms); ``schedstat`` is exact but covers the main thread
    only. The larger of the two is the best lower bound of what the child has used.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all threads
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as fh:
            main_thread = int(fh.read().split()[0]) / 1e9
    except (OSError, IndexError, ValueError):
        return ticks
    return max(ticks, main_thread)


def _run_queue_share(pid: int, wall_s: float) -> float:
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as fh:
            waited_ns = int(fh.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return waited_ns / 1e9 / wall_s if wall_s > 0 else 0.0


def measure(
    call: Callable[[], object],
    *,
    size: int,
    wall: bool,
    kill_for_ref: Callable[[float], float | None],
    want_result: bool = False,
) -> Measurement:
    """Run ``call`` once in a forked child and return what it measured, or how it was stopped."""
    if not can_fork():  # pragma: no cover - Windows: no isolation, no hard stop (docs/perf.md)
        return _measure_in_process(call, size=size, wall=wall, want_result=want_result)
    read_fd, write_fd = os.pipe()
    begin = time.perf_counter()
    pid = _fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        try:
            os.close(read_fd)
            run_child(
                write_fd, call, wall=wall, kill_for_ref=kill_for_ref,
                cpu_backstop_s=CPU_BACKSTOP_S, want_result=want_result,
            )  # fmt: skip
        finally:
            os._exit(70)
    os.close(write_fd)
    watch = _Watch(pid, begin, wall=wall)
    try:
        watch.follow(read_fd, want_result=want_result)
    finally:
        watch.reap()
        os.close(read_fd)
    return watch.measurement(size)


class _Watch:
    """The parent's side of one child: read its messages, enforce the kill and the backstop."""

    def __init__(self, pid: int, begin: float, *, wall: bool) -> None:
        self.pid, self.begin, self.wall = pid, begin, wall
        self.start: tuple[float, float | None, float, Tracing] | None = None
        self.started_at = 0.0
        self.finished: tuple[str, float, object, float] | None = None  # kind, call_ms, extra, call wall
        self.result: tuple[str, object] | None = None
        self.killed = self.stalled = self.starved = False
        self.used_s = 0.0
        self.status = 0
        self.child_cpu_s = 0.0
        self.reaped = False
        # The parent's own readings of the child's CPU time when the call started and ended: a clock the
        # call replaced in the child (catalogue RH22) cannot change these.
        self.seen_cpu: list[float | None] = []

    def follow(self, fd: int, *, want_result: bool) -> None:
        buffer = bytearray()
        while True:
            ready, _, _ = select.select([fd], [], [], POLL_S)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return
                buffer += chunk
                for frame in read_frames(buffer):
                    self._on_frame(frame)
                if self.finished and (self.finished[0] == "raised" or not want_result or self.result):
                    return
            if self.finished is None and self._over_limit():
                return
            if self.finished is not None and time.perf_counter() - self.started_at > RESULT_TIMEOUT_S + (
                self.finished[3] / 1000
            ):
                self._kill()  # a __reduce__ that never ends must not hang the run
                self.result = ("unpicklable", f"sending the value back took over {RESULT_TIMEOUT_S:g} s")
                return

    def _on_frame(self, frame: object) -> None:
        kind = frame[0]  # type: ignore[index]
        if kind == "start":
            self.start = frame[1:]  # type: ignore[index]
            self.started_at = time.perf_counter()
            self.seen_cpu = [_child_cpu_s(self.pid)]
        elif kind in ("done", "raised"):
            self.seen_cpu.append(_child_cpu_s(self.pid))
            self.finished = (kind, frame[1], frame[2], (time.perf_counter() - self.started_at) * 1000)  # type: ignore[index]
            self.child_cpu_s = float(frame[3])  # type: ignore[index]
        else:
            self.result = (kind, frame[1])  # type: ignore[index]

    def _over_limit(self) -> bool:
        now = time.perf_counter()
        if self.start is None:
            if now - self.begin > START_TIMEOUT_S:
                self._kill()
                self.stalled = True
                return True
            return False
        _, kill_ms, cpu0, _ = self.start
        elapsed = now - self.started_at
        if self.wall:
            used = elapsed
        else:
            cpu = _child_cpu_s(self.pid)
            used = 0.0 if cpu is None else max(cpu - cpu0, 0.0)
        backstop = NO_KILL_BACKSTOP_S if kill_ms is None else max(BACKSTOP_FACTOR * kill_ms / 1000, MIN_BACKSTOP_S)
        if kill_ms is not None and used * 1000 >= kill_ms:
            self._kill()
            self.killed = True
            return True
        if elapsed > backstop:
            self.starved = _run_queue_share(self.pid, elapsed) > 0.5
            self._kill()
            self.stalled = True
            return True
        return False

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # exited between poll and kill
            os.kill(self.pid, signal.SIGKILL)

    def reap(self) -> None:
        if self.reaped:
            return
        if self.finished is not None:
            # The child reported and is exiting: tearing down its copy of a big heap takes milliseconds,
            # so reap it in the background rather than add that to every gate.
            threading.Thread(target=_reap_quietly, args=(self.pid,), name="gtguard-perf-reaper", daemon=True).start()
            self.reaped = True
            return
        if not (self.killed or self.stalled):
            self._kill()  # interrupted (KeyboardInterrupt, pytest-timeout): never leave the child running
        _, self.status, usage = os.wait4(self.pid, 0)
        self.reaped = True
        self.child_cpu_s = usage.ru_utime + usage.ru_stime
        if self.start is not None and (self.killed or self.stalled):
            self.used_s = (
                time.perf_counter() - self.started_at if self.wall else max(self.child_cpu_s - self.start[2], 0.0)
            )

    def _seen_ms(self, call_wall_ms: float) -> float | None:
        """Return the call's time as the parent saw it (None where /proc cannot tell).

        The parent reads CPU time from /proc (to a tick, 10 ms) and wall time from its own clock, both
        including the frames' trip: only a report under half of that, by more than the slack, is a
        clock the call replaced in the child (catalogue RH22), and then the parent's figure counts.
        """
        if self.wall:
            return call_wall_ms
        if len(self.seen_cpu) == 2 and self.seen_cpu[0] is not None and self.seen_cpu[1] is not None:
            return (self.seen_cpu[1] - self.seen_cpu[0]) * 1000
        return None

    def measurement(self, size: int) -> Measurement:
        ref_ms, kill_ms, _, tracing = self.start if self.start else (0.0, None, 0.0, NO_TRACING)
        wall_ms = (time.perf_counter() - self.begin) * 1000
        base = Measurement(Run(size, 0.0, ref_ms), tracing, child_cpu_ms=self.child_cpu_s * 1000, wall_ms=wall_ms)
        if self.finished is None:
            if (self.killed or self.stalled) and self.start is not None:
                run = Run(size, self.used_s * 1000, ref_ms, killed=self.killed, stalled=self.stalled,
                          starved=self.starved, kill_at_ms=kill_ms)  # fmt: skip
                return replace(base, run=run)
            if os.WIFSIGNALED(self.status) and os.WTERMSIG(self.status) == signal.SIGXCPU:
                return replace(base, run=Run(size, self.child_cpu_s * 1000, ref_ms, killed=True, kill_at_ms=kill_ms))
            return replace(base, crashed=_describe(self.status))
        kind, call_ms, extra, call_wall_ms = self.finished
        seen_ms = self._seen_ms(call_wall_ms)
        faked = None
        if seen_ms is not None and seen_ms - call_ms > FAKED_CLOCK_SLACK_MS and call_ms < seen_ms / 2:
            faked = f"the call's own clock said {call_ms:.1f} ms, but it used {seen_ms:.1f} ms"
            call_ms = seen_ms
        base = replace(base, faked_clock=faked)
        peak = float(extra) if kind == "done" and isinstance(extra, (int, float)) else None
        done = replace(
            base, run=Run(size, call_ms, ref_ms, peak_mb=peak, kill_at_ms=kill_ms), call_wall_ms=call_wall_ms
        )
        if kind == "raised":
            return replace(done, raised=str(extra))
        if self.result is None:
            return done
        rkind, payload = self.result
        if rkind == "unpicklable" or not isinstance(payload, bytes):
            return replace(done, unpicklable=str(payload))
        try:
            value = pickle.loads(payload)
        except Exception as exc:
            return replace(done, unpicklable=f"{type(exc).__name__}: {exc}")
        return replace(done, result=value, has_result=True)


def _reap_quietly(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"the measuring process was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"the measuring process exited with code {os.waitstatus_to_exitcode(status)} before the call finished"


def _measure_in_process(
    call: Callable[[], object], *, size: int, wall: bool, want_result: bool
) -> Measurement:  # pragma: no cover - only where os.fork is missing
    clock = _timing.perf_counter if wall else _timing.process_time
    ref_ms = time_reference(clock)
    start = clock()
    try:
        value = call()
    except BaseException:
        import traceback

        return Measurement(Run(size, (clock() - start) * 1000, ref_ms), raised=traceback.format_exc())
    call_ms = (clock() - start) * 1000
    return Measurement(Run(size, call_ms, ref_ms), result=value, has_result=want_result)


def measure_reference(*, wall: bool, rounds: int = 3) -> float:
    """Return the machine's reference-workload time (ms): the best of ``rounds`` fresh children.

    Each child times the workload first thing after the fork, exactly as every gate's child does, so
    the copy-on-write faults of a fresh child are in the baseline too and the ratio stays near 1.
    """
    times = [
        got.run.ref_ms
        for got in (measure(lambda: None, size=0, wall=wall, kill_for_ref=lambda _ref: None) for _ in range(rounds))
        if got.run.ref_ms > 0
    ]
    return min(times, default=0.0)
