"""What runs inside the measuring process: the reference workload, tracer removal, timing, peak memory.

The parent (``measure.py``) forks; the child calls ``run_child`` and never returns (``os._exit``), so no
pytest hook, atexit handler or buffered output of the parent runs twice.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from pytest_gtguard import _timing

__all__ = [
    "NO_TRACING",
    "Tracing",
    "neutralise_tracers",
    "read_frames",
    "reference_workload",
    "run_child",
    "write_frame",
]

REFERENCE_LOOPS = 20_000  # about 3.5 ms of CPU on a 2020s x86 core


def reference_workload() -> int:
    """Run a fixed pure-Python mix of dict, int and loop work: the machine-speed yardstick.

    It builds its own data, so it touches no memory shared with the parent (copy-on-write faults would
    add noise), and it resembles what typical O(n) solutions do per element.
    """
    table: dict[int, int] = {}
    acc = 0
    for x in range(REFERENCE_LOOPS):
        y = (x * 2654435761) & 0xFFFFF
        key = y & 1023
        table[key] = table.get(key, 0) + y
        acc ^= y * 31
    return acc + len(table)


def time_reference(clock: Callable[[], float]) -> float:
    """Return the reference workload's duration in ms on ``clock``."""
    start = clock()
    reference_workload()
    return (clock() - start) * 1000.0


@dataclass(frozen=True)
class Tracing:
    """Tracers found in the measuring process, and whether they could be removed completely."""

    removed: tuple[str, ...] = ()
    residual: bool = False  # sys.monitoring tools: events switched off, local instrumentation may remain


NO_TRACING = Tracing()


def neutralise_tracers() -> Tracing:
    """Switch off coverage, profilers and debuggers in this (child) process so they do not slow the call.

    ``settrace``/``setprofile`` hooks are removed completely. ``sys.monitoring`` tools (3.12+, e.g.
    ``COVERAGE_CORE=sysmon``) get their global events and callbacks cleared, but per-code-object events
    cannot be enumerated, so a run under one is reported as ``residual`` (never judged as a failure).
    """
    removed: list[str] = []
    if sys.gettrace() is not None:
        removed.append(f"settrace:{type(sys.gettrace()).__name__}")
        sys.settrace(None)
    if sys.getprofile() is not None:
        removed.append("setprofile")
        sys.setprofile(None)
    threading.settrace(None)  # type: ignore[arg-type,unused-ignore]  # None: no hook for new threads
    threading.setprofile(None)  # type: ignore[arg-type,unused-ignore]
    residual = False
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        events = [
            value for name, value in vars(monitoring.events).items()
            if not name.startswith("_") and isinstance(value, int) and value > 0 and value & (value - 1) == 0
        ]  # fmt: skip
        for tool in range(6):
            name = monitoring.get_tool(tool)
            if name is None:
                continue
            removed.append(f"sys.monitoring:{name}")
            residual = True
            monitoring.set_events(tool, 0)
            for event in events:
                with contextlib.suppress(ValueError):  # event not valid on this Python
                    monitoring.register_callback(tool, event, None)
    return Tracing(tuple(removed), residual)


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _maxrss_kb() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB on Linux


def _reset_peak() -> int:
    """Reset the high-water mark where Linux allows it; return the resident size (KiB) to subtract."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # Linux >= 4.0: reset VmHWM to the current RSS
    except OSError:
        pass  # a fresh fork starts its ru_maxrss at the RSS it was forked with, so the delta still holds
    return _status_kb("VmRSS") or _maxrss_kb()


def _peak_mb(start_kb: int) -> float:
    hwm = _status_kb("VmHWM")
    peak = hwm if hwm is not None else _maxrss_kb()
    return max(peak - start_kb, 0) / 1024.0


def _die_with_parent(kill_ms: float | None, cpu_backstop_s: float) -> None:
    """Make sure the child cannot outlive a parent that is gone (pytest-timeout's os._exit, a crash).

    On Linux, PR_SET_PDEATHSIG. Not RLIMIT_CPU there: an active process CPU timer makes the kernel read
    CLOCK_PROCESS_CPUTIME_ID from a tick-granular cache (measured: 0.4-6.4 ms for a steady 3.5 ms).
    Elsewhere RLIMIT_CPU (SIGXCPU) a little after the parent's own kill.
    """
    libc = sys.modules.get("ctypes")
    if sys.platform.startswith("linux") and libc is not None:
        try:
            libc.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
            return
        except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
            pass
    soft = int(time.process_time() + (kill_ms or 0) / 1000.0 + cpu_backstop_s) + 1
    with contextlib.suppress(ValueError, OSError):  # the hard limit is already lower
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))


def write_frame(fd: int, obj: object) -> None:
    """Send one pickled, length-prefixed message down the pipe."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(8, "little") + data)
    while view:
        view = view[os.write(fd, view) :]


def read_frames(buffer: bytearray) -> list[object]:
    """Pop every complete message off ``buffer``."""
    frames: list[object] = []
    while len(buffer) >= 8:
        size = int.from_bytes(buffer[:8], "little")
        if len(buffer) < 8 + size:
            break
        frames.append(pickle.loads(bytes(buffer[8 : 8 + size])))
        del buffer[: 8 + size]
    return frames


def run_child(
    fd: int,
    call: Callable[[], object],
    *,
    wall: bool,
    kill_for_ref: Callable[[float], float | None],
    cpu_backstop_s: float,
    want_result: bool,
) -> None:
    """Measure ``call`` once and report over ``fd``; never returns.

    Messages: ``("start", ref_ms, kill_ms, cpu0, tracing)``, then ``("done", call_ms, peak_mb, cpu)`` or
    ``("raised", call_ms, text, cpu)``, then ``("result", value)`` or ``("unpicklable", text)`` if wanted.
    """
    code = 0
    try:
        gc.freeze()  # the parent's heap (pytest, the input) is not the call's garbage to scan
        tracing = neutralise_tracers()
        clock = _timing.perf_counter if wall else _timing.process_time
        ref_ms = time_reference(clock)
        kill = kill_for_ref(ref_ms)
        _die_with_parent(kill, cpu_backstop_s)
        start_kb = _reset_peak()
        # The kill is decided by the parent on real CPU time, whatever clock a test fakes.
        write_frame(fd, ("start", ref_ms, kill, time.process_time(), tracing))
        start = clock()
        try:
            value = call()
        except BaseException:  # report everything, even pytest.skip or KeyboardInterrupt
            write_frame(fd, ("raised", (clock() - start) * 1000.0, traceback.format_exc(), time.process_time()))
            return
        call_ms = (clock() - start) * 1000.0
        write_frame(fd, ("done", call_ms, _peak_mb(start_kb), time.process_time()))
        if want_result:
            try:
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                write_frame(fd, ("unpicklable", f"{type(exc).__name__}: {exc}"))
            else:
                write_frame(fd, ("result", payload))
    except BaseException:  # pragma: no cover - a bug here must still not return into pytest
        code = 70
    finally:
        os._exit(code)
