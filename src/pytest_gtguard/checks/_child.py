"""Child process for determinism re-runs: set the variant up, then call a function or run one test.

Run as ``python -B -s -m pytest_gtguard.checks._child PAYLOAD RESULT``: the payload (a pickle) says what
to run and with which random seed and clock offset; the hash seed is the parent's ``PYTHONHASHSEED``.
Nothing happens at import, so the parent can unpickle values whose types live here (``ShiftedDatetime``).
"""

from __future__ import annotations

import datetime
import importlib
import pickle
import random
import re
import sys
import time
from typing import Any

__all__ = ["ShiftedDate", "ShiftedDatetime", "main"]


class ShiftedDatetime(datetime.datetime):
    """``datetime`` whose now/utcnow/today read a clock shifted by ``offset`` seconds."""

    offset = 0.0

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> ShiftedDatetime:
        """Return the shifted current time."""
        real = super().now(tz)
        return real + datetime.timedelta(seconds=cls.offset)

    @classmethod
    def utcnow(cls) -> ShiftedDatetime:
        """Return the shifted current UTC time (naive)."""
        return super().utcnow() + datetime.timedelta(seconds=cls.offset)

    @classmethod
    def today(cls) -> ShiftedDatetime:
        """Return the shifted local time."""
        return super().today() + datetime.timedelta(seconds=cls.offset)


class ShiftedDate(datetime.date):
    """``date`` whose today() reads the shifted clock."""

    offset = 0.0

    @classmethod
    def today(cls) -> ShiftedDate:
        """Return the shifted local date."""
        return super().today() + datetime.timedelta(seconds=cls.offset)


def _shift_clock(offset: float) -> None:
    real_time, real_time_ns = time.time, time.time_ns
    time.time = lambda: real_time() + offset
    time.time_ns = lambda: real_time_ns() + int(offset * 1e9)
    ShiftedDatetime.offset = ShiftedDate.offset = offset
    datetime.datetime = ShiftedDatetime  # type: ignore[misc]
    datetime.date = ShiftedDate  # type: ignore[misc]


def main(argv: list[str]) -> int:
    """Run the payload in ``argv[0]`` and write ``("ok", value)`` or ``("error", text)`` to ``argv[1]``."""
    with open(argv[0], "rb") as handle:
        payload: dict[str, Any] = pickle.load(handle)
    sys.path[:0] = [p for p in payload["sys_path"] if p not in sys.path]
    random.seed(payload["random_seed"])
    if payload["time_offset"]:
        _shift_clock(payload["time_offset"])
    if payload["mode"] == "pytest":
        import pytest

        return int(pytest.main(payload["pytest_args"]))
    try:
        target: Any = importlib.import_module(payload["module"])
        for part in payload["qualname"].split("."):
            target = getattr(target, part)
        value = target(*payload["args"], **payload["kwargs"])
    except BaseException as exc:  # the code under test may raise anything; report it, do not crash
        data = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
    else:
        try:
            data = pickle.dumps(("ok", value))
        except Exception as exc:  # name the type only: the message may hold an address that varies per run
            kind, why = type(value), re.sub(r" at 0x[0-9a-fA-F]+", "", f"{type(exc).__name__}: {exc}")
            data = pickle.dumps(("unpicklable", f"a {kind.__module__}.{kind.__qualname__}; {why}"))
    with open(argv[1], "wb") as handle:
        handle.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
