"""What the reporter compares over a run: pytest's deciding functions, the tests' data, processes.

Split from ``reporter`` (which sends the records) so each stays small; like it, this runs inside the
sandbox and only observes.
"""

from __future__ import annotations

import hashlib
import sys
import unittest
from collections.abc import Iterator

__all__ = ["MISSING", "WATCHED", "data_digests", "ppid", "resolve", "state", "unittest_asserts"]

MISSING = object()
# The callables whose replacement would let code in this process change an outcome. pytest's private
# modules are named on purpose: they are what a report-forging hack patches (catalogue RH09, RH13, RH22).
WATCHED = (
    "_pytest.reports:TestReport.from_item_and_call",
    "_pytest.reports:TestReport.__init__",
    "_pytest.reports:BaseReport.passed",
    "_pytest.reports:BaseReport.failed",
    "_pytest.runner:call_and_report",
    "_pytest.runner:runtestprotocol",
    "_pytest.runner:CallInfo.from_call",
    "_pytest.runner:pytest_runtest_makereport",
    "_pytest.python:Function.runtest",
    "_pytest.python:pytest_pyfunc_call",
    "_pytest.skipping:pytest_runtest_makereport",
    "_pytest.outcomes:fail",
    "_pytest.outcomes:skip",
    "_pytest.outcomes:xfail",
    "_pytest.outcomes:exit",
    "_pytest.python_api:approx",
    "_pytest.python_api:ApproxScalar.__eq__",
    "_pytest.python_api:ApproxBase.__eq__",
    "_pytest.approx:approx",
    "_pytest.approx:ApproxScalar.__eq__",
    "_pytest.approx:ApproxBase.__eq__",
    "_pytest.raises:raises",
    "_pytest.python_api:raises",
    "_pytest.assertion.rewrite:_call_reprcompare",
    "_pytest.assertion.util:assertrepr_compare",
    "pluggy._hooks:HookCaller.__call__",
    "pluggy._callers:_multicall",
    "pytest:raises",
    "pytest:approx",
    "pytest:fail",
    "pytest:skip",
    "pytest:xfail",
    "pytest:exit",
    "operator:eq",
    "operator:ne",
    "builtins:isinstance",
    "builtins:len",
    "builtins:repr",
    "time:perf_counter",
    "time:perf_counter_ns",
    "time:process_time",
    "time:process_time_ns",
    "time:thread_time",
    "time:monotonic",
    "time:time",
    "os:_exit",
    "os:write",
    "os:times",
    "sys:exit",
    "json:dumps",
    "pytest_gtguard._timing:perf_counter",
)


def resolve(spec: str, *, load: bool = False) -> object:
    """Return the object ``spec`` names; ``load`` imports its module (only at start, never per check)."""
    module_name, _, qual = spec.partition(":")
    obj: object = sys.modules.get(module_name) or (_import(module_name) if load else MISSING)
    if obj is MISSING:
        return MISSING
    parts = qual.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part, MISSING)
    if obj is MISSING:
        return MISSING
    if isinstance(obj, type):  # look in the class dicts, so classmethods compare by identity
        for klass in obj.__mro__:
            if parts[-1] in vars(klass):
                return vars(klass)[parts[-1]]
        return MISSING
    return getattr(obj, parts[-1], MISSING)


def _import(name: str) -> object:
    try:
        __import__(name)
    except ImportError:
        return MISSING
    return sys.modules[name]


def unittest_asserts() -> Iterator[tuple[str, object]]:
    """Yield the spec and value of every assertion method of ``unittest.TestCase``."""
    for name, value in vars(unittest.TestCase).items():
        if name.startswith(("assert", "_base", "fail")):
            yield f"unittest:TestCase.{name}", value


_PLAIN = (str, bytes, int, float, complex, bool, type(None))
_MAX_ITEMS = 10_000


def _plain(value: object, depth: int = 0) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if depth > 4 or not isinstance(value, (list, tuple, set, frozenset, dict)) or len(value) > _MAX_ITEMS:
        return False
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else list(value)
    return all(_plain(item, depth + 1) for item in items)


def data_digests(module: object) -> dict[str, str]:
    """Return a digest of each plain-data global of ``module`` (tables of cases, expected values)."""
    found = {}
    for key, value in list(vars(module).items()):
        if not key.startswith("__") and _plain(value):
            found[key] = hashlib.sha256(repr(value).encode("utf-8", "replace")).hexdigest()
    return found


def ppid(pid: int) -> int:
    """Return the parent of ``pid`` (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def state(pid: int) -> str:
    """Return the state letter of ``pid`` (empty when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, ValueError, IndexError):
        return ""
