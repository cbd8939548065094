"""The forked measurement for real: fork, kill, memory, tracers. Bounds carry 10x margins (no flakes)."""

from __future__ import annotations

import os
import sys

import pytest

from pytest_gtguard.perf.child import read_frames, reference_workload, write_frame
from pytest_gtguard.perf.measure import can_fork, measure, measure_reference

pytestmark = pytest.mark.skipif(not can_fork() or not sys.platform.startswith("linux"), reason="fork + /proc")


def _kill_at(ms: float | None):
    return lambda _ref_ms: ms


def test_perf_measure_returns_the_value_and_times_the_call() -> None:
    got = measure(lambda: sum(range(1000)), size=7, wall=False, kill_for_ref=_kill_at(10_000), want_result=True)

    assert got.has_result and got.result == 499500
    assert got.run.size == 7 and not got.run.killed and 0 <= got.run.call_ms < 1000
    assert got.run.ref_ms > 0 and got.child_cpu_ms > 0


def test_perf_measure_kills_a_long_c_call_soon_after_the_cpu_limit() -> None:
    got = measure(lambda: sum(range(10**10)), size=1, wall=False, kill_for_ref=_kill_at(100))

    assert got.run.killed and got.run.kill_at_ms == 100
    assert 100 <= got.run.call_ms < 1000  # stopped inside one C call, ~10 ms after the limit


def test_perf_measure_wall_clock_kills_a_sleeping_call() -> None:
    got = measure(lambda: __import__("time").sleep(60), size=1, wall=True, kill_for_ref=_kill_at(50))

    assert got.run.killed and 50 <= got.run.call_ms < 5000


def test_perf_measure_reports_a_raising_call_with_its_traceback() -> None:
    got = measure(lambda: 1 / 0, size=1, wall=False, kill_for_ref=_kill_at(1000))

    assert got.raised is not None and "ZeroDivisionError" in got.raised


def test_perf_measure_reports_a_process_that_exits_without_reporting() -> None:
    got = measure(lambda: os._exit(3), size=1, wall=False, kill_for_ref=_kill_at(1000))

    assert got.crashed == "the measuring process exited with code 3 before the call finished"


def test_perf_measure_peak_memory_of_the_call_only() -> None:
    ballast = bytearray(64 * 2**20)  # the parent's memory is not the call's
    got = measure(lambda: len(bytearray(40 * 2**20)), size=1, wall=False, kill_for_ref=_kill_at(10_000))

    assert got.run.peak_mb is not None and 35 < got.run.peak_mb < 60
    assert len(ballast) == 64 * 2**20


def test_perf_measure_reports_an_unpicklable_value() -> None:
    got = measure(lambda: lambda: 1, size=1, wall=False, kill_for_ref=_kill_at(1000), want_result=True)

    assert not got.has_result and got.unpicklable is not None


def test_perf_measure_removes_a_trace_function_in_the_child_only() -> None:
    previous = sys.gettrace()

    def tracer(frame, event, arg):  # stands in for coverage's tracer
        return tracer

    sys.settrace(tracer)
    try:
        got = measure(lambda: sys.gettrace() is None, size=1, wall=False, kill_for_ref=_kill_at(1000), want_result=True)
        still_here = sys.gettrace() is tracer
    finally:
        sys.settrace(previous)

    assert got.result is True and still_here
    assert got.tracing.removed == ("settrace:function",) and not got.tracing.residual


def test_perf_measure_reference_is_positive_on_both_clocks() -> None:
    assert measure_reference(wall=False) > 0
    assert measure_reference(wall=True) > 0


def test_perf_frames_roundtrip_and_wait_for_complete_messages() -> None:
    read_fd, write_fd = os.pipe()
    write_frame(write_fd, ("start", 1.5, None))
    write_frame(write_fd, ("done", 2.0, 3.0))
    os.close(write_fd)
    data = os.read(read_fd, 1 << 16)
    os.close(read_fd)
    buffer = bytearray(data[:-3])

    first = read_frames(buffer)
    buffer += data[-3:]

    assert first == [("start", 1.5, None)]
    assert read_frames(buffer) == [("done", 2.0, 3.0)] and not buffer


def test_perf_reference_workload_is_deterministic() -> None:
    assert reference_workload() == reference_workload()


class FakeMonitoring:
    """Stands in for ``sys.monitoring`` (3.12+) with one registered tool, as COVERAGE_CORE=sysmon does."""

    class events:  # mirrors sys.monitoring.events
        PY_START = 1
        LINE = 2
        BRANCH = 4
        NO_EVENTS = 0

    def __init__(self) -> None:
        self.cleared: list[tuple[str, int, int]] = []

    def get_tool(self, tool: int) -> str | None:
        return "coverage.py" if tool == 1 else None

    def set_events(self, tool: int, events: int) -> None:
        self.cleared.append(("events", tool, events))

    def register_callback(self, tool: int, event: int, func: object) -> None:
        self.cleared.append(("callback", tool, event))


def test_perf_measure_switches_off_sys_monitoring_tools_and_flags_the_residue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_gtguard.perf.child import neutralise_tracers

    fake = FakeMonitoring()
    monkeypatch.setattr(sys, "monitoring", fake, raising=False)

    def in_child() -> object:  # in the child: clearing tracers there cannot disturb this process
        tracing = neutralise_tracers()
        return tracing.removed, tracing.residual, sorted(set(fake.cleared))  # the child did it once already

    got = measure(in_child, size=1, wall=False, kill_for_ref=_kill_at(1000), want_result=True)

    removed, residual, cleared = got.result
    assert removed[-1] == "sys.monitoring:coverage.py" and residual is True
    assert cleared == [("callback", 1, 1), ("callback", 1, 2), ("callback", 1, 4), ("events", 1, 0)]
