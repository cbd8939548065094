"""Indirection for time functions, so tests can fake the clock and user mocks of ``time`` cannot skew us.

Call them through the module (``_timing.process_time()``), never ``from time import ...`` at the call
site: only a module-attribute lookup sees a fake clock swapped in by a test (pytest's timing.py does the
same with lambdas).
"""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["perf_counter", "process_time", "sleep", "utcnow"]


def process_time() -> float:
    """Return the CPU time of this process, all threads, in seconds (time waiting for a CPU not counted)."""
    return time.process_time()


def perf_counter() -> float:
    """Return a monotonic wall clock in seconds."""
    return time.perf_counter()


def sleep(seconds: float) -> None:
    """Sleep ``seconds`` of wall time."""
    time.sleep(seconds)


def utcnow() -> dt.datetime:
    """Return the wall-clock date and time in UTC (what reports are stamped and filed under)."""
    return dt.datetime.now(dt.timezone.utc)
