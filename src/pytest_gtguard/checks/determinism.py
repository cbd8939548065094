"""Re-run a callable or one test in fresh processes under varied hash seed, random seed and clock; compare.

Fresh processes because ``PYTHONHASHSEED`` cannot change inside one (research note §4.5), and with
``-B -s`` plus an explicit environment rather than ``-I``, which ignores ``PYTHONHASHSEED``. In-process
repeaters (pytest-repeat, flakefinder) cannot vary any of this, so gtguard does its own. Outputs are
compared as values (unpickled, ``==``), so a function returning a set is stable while one returning
``list(a_set)`` is not. The order variation for a test alternates "alone" and "after the rest of its
file, in reverse order", against "in the session", which exposes tests that pass only after (or only
before) another test ran.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
import types
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "RunResult",
    "TestRun",
    "Variant",
    "callable_name",
    "canonical",
    "compare_runs",
    "run_callable",
    "run_test",
    "uncomparable",
    "variants",
]

_DAY = 86_400.0
# Hash seeds and clocks far apart (a leap day, a year ahead, years back); the random seed varies too.
_MATRIX = (
    (0, 0, 0.0),
    (1, 1, 366 * _DAY + 7.5 * 3600),
    (2, 2, -1000 * _DAY),
    (12345, 3, 3 * 365 * _DAY + 0.25),
    (3, 4, 40 * _DAY),
    (4, 5, -7 * _DAY),
)


@dataclass(frozen=True)
class Variant:
    """One fresh-process environment: hash seed, ``random.seed`` value, clock offset in seconds."""

    hash_seed: int
    random_seed: int
    time_offset: float

    def describe(self) -> str:
        """Return e.g. ``PYTHONHASHSEED=1, random.seed(1), clock +366.3 days``."""
        clock = f"clock {self.time_offset / _DAY:+.1f} days" if self.time_offset else "real clock"
        return f"PYTHONHASHSEED={self.hash_seed}, random.seed({self.random_seed}), {clock}"


def variants(runs: int) -> tuple[Variant, ...]:
    """Return the first ``runs`` variants of the matrix (more runs cycle through new hash seeds)."""
    out = [Variant(*cell) for cell in _MATRIX[:runs]]
    while len(out) < runs:
        n = len(out)
        out.append(Variant(1000 + n, n, n * 29 * _DAY))
    return tuple(out)


@dataclass(frozen=True)
class RunResult:
    """What one fresh run of a callable returned (``ok``) or raised."""

    variant: Variant
    ok: bool
    value: object
    error: str = ""
    refused: str = ""  # why the value cannot be compared across processes (not a difference between runs)


def callable_name(func: Callable[..., object]) -> tuple[str, str]:
    """Return ``(module, qualname)`` by which a fresh process can import ``func``.

    Raises:
        ValueError: ``func`` is a lambda or a nested function, which cannot be imported by name.
    """
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not isinstance(module, str) or not qualname or "<" in qualname:
        raise ValueError(
            f"{func!r} cannot be imported by name in a fresh process; pass a module-level function "
            "or a 'package.module:function' string"
        )
    return module, qualname


def _child_env(variant: Variant) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = str(variant.hash_seed)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # never write __pycache__ into the user's tree
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _spawn(payload: dict[str, Any], variant: Variant, *, cwd: Path, timeout: float) -> tuple[int, bytes, str]:
    with tempfile.TemporaryDirectory(prefix="gtguard-det-") as tmp:
        payload_file, result_file = Path(tmp) / "payload.pickle", Path(tmp) / "result.pickle"
        payload = {**payload, "random_seed": variant.random_seed, "time_offset": variant.time_offset}
        payload_file.write_bytes(pickle.dumps(payload))
        command = [sys.executable, "-B", "-s", "-m", "pytest_gtguard.checks._child", str(payload_file)]
        try:
            proc = subprocess.run(
                [*command, str(result_file)],
                cwd=cwd,
                env=_child_env(variant),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return -1, b"", f"timed out after {timeout:g} s"
        data = result_file.read_bytes() if result_file.exists() else b""
        tail = (proc.stdout + proc.stderr).decode("utf-8", "replace").strip().splitlines()[-15:]
        return proc.returncode, data, "\n".join(tail)


def run_callable(
    module: str,
    qualname: str,
    args: Sequence[object] = (),
    kwargs: Mapping[str, object] | None = None,
    *,
    runs: Sequence[Variant],
    sys_path: Sequence[str],
    cwd: Path,
    timeout: float,
) -> list[RunResult]:
    """Call ``module.qualname(*args, **kwargs)`` once per variant, each in a fresh interpreter."""
    base = {
        "mode": "call",
        "module": module,
        "qualname": qualname,
        "args": tuple(args),
        "kwargs": dict(kwargs or {}),
        "sys_path": list(sys_path),
    }
    results: list[RunResult] = []
    for variant in runs:
        code, data, tail = _spawn(base, variant, cwd=cwd, timeout=timeout)
        if not data:
            results.append(RunResult(variant, False, None, f"child exited {code}: {tail}"))
            continue
        try:
            status, value = pickle.loads(data)
        except Exception as exc:  # a value whose type the parent cannot import
            results.append(RunResult(variant, False, None, f"unreadable result: {exc}"))
            continue
        if status == "unpicklable":  # the child names the type; the pickle error may hold an address
            refused = f"the result ({value}) cannot be pickled, so it cannot be compared across processes; {_FIX_CALL}"
            results.append(RunResult(variant, False, None, "unpicklable result", refused))
            continue
        ok = status == "ok"
        results.append(RunResult(variant, ok, value if ok else None, "" if ok else str(value)))
    return results


# A repr such as "<pkg.Thing object at 0x7f...>" or "<function f at 0x7f...>" names an address (issue 15).
_IDENTITY = re.compile(r" at 0x[0-9a-fA-F]+")
_BY_REFERENCE = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType)  # pickled by name
_PLAIN = "plain data (str, int, float, bool, None, and lists, tuples, dicts and sets of them)"
_FIX_OUTPUT = f"record {_PLAIN}, or give the class a __repr__ without its identity (a dataclass has one)"
_FIX_CALL = f"return {_PLAIN}, or a picklable object with an __eq__ (a dataclass has one)"


def uncomparable(value: object, *, by_repr: bool, where: str = "the value") -> str | None:
    """Return why ``value`` cannot be compared across processes and how to fix it; None when it can.

    ``gtguard_output`` values are compared as text (``by_repr``): an object's ``repr`` that holds its
    memory address differs in every process. ``gtguard_determinism`` results are pickled and compared
    with ``==``: an object that compares by identity never equals its copy either (ask only once the
    runs differ: a function or class is pickled by name and does compare equal). Either way the check
    could never pass, and blaming the code for nondeterminism would send the author the wrong way.
    """
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            reason = uncomparable(key, by_repr=by_repr, where=f"a key of {where}") or uncomparable(
                item, by_repr=by_repr, where=f"{where}[{key!r}]"
            )
            if reason:
                return reason
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            inner = f"{where}[{i}]" if isinstance(value, (list, tuple)) else f"an item of {where}"
            reason = uncomparable(item, by_repr=by_repr, where=inner)
            if reason:
                return reason
        return None
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if not by_repr:
        if type(value).__eq__ is not object.__eq__ or isinstance(value, _BY_REFERENCE):
            return None
        return (
            f"{where} is a {kind}, which compares by identity: its copy from another process never equals it, "
            f"so it cannot be compared across processes; {_FIX_CALL}"
        )
    text = repr(value)
    if _IDENTITY.search(text):
        shown = text if len(text) <= 120 else text[:117] + "..."
        return (
            f"{where} is {shown} (a {kind}), whose repr holds a memory address that differs in every "
            f"process, so it cannot be compared across processes; {_FIX_OUTPUT}"
        )
    return None


def compare_runs(results: Sequence[RunResult]) -> list[str]:
    """Return one line per run whose result differs from the first run's (empty: all agree)."""
    if not results:
        return []
    first, lines = results[0], []
    for other in results[1:]:
        same = (first.ok, first.error) == (other.ok, other.error)
        if same and first.ok:
            try:
                same = type(first.value) is type(other.value) and bool(first.value == other.value)
            except Exception:
                same = False
        if not same:
            lines.append(
                f"{_show(first)} under {first.variant.describe()}, but {_show(other)} under {other.variant.describe()}"
            )
    return lines


def _show(result: RunResult) -> str:
    text = repr(result.value) if result.ok else f"error {result.error!r}"
    return text if len(text) <= 200 else text[:197] + "..."


def canonical(value: object) -> str:
    """Return a stable text form of ``value``: sets sorted (their order is not part of the value)."""
    return json.dumps(_plain(value), sort_keys=True)


def _plain(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted(canonical(v) for v in value)}
    if isinstance(value, Mapping):
        return {"__map__": sorted([canonical(k), canonical(v)] for k, v in value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"__repr__": repr(value)}


@dataclass(frozen=True)
class TestRun:
    """A test's outcome and the values it recorded with ``gtguard_output``, in one run."""

    __test__ = False  # not a pytest test class

    where: str
    outcome: str
    outputs: tuple[str, ...]
    detail: str = ""


def run_test(
    nodeid: str,
    pytest_args: Sequence[str],
    variant: Variant,
    *,
    reverse_file: bool = False,
    sys_path: Sequence[str],
    cwd: Path,
    timeout: float,
) -> TestRun:
    """Run one test in a fresh pytest process under ``variant``; read the result from JUnit XML.

    The test runs alone, or with ``reverse_file`` inside its whole file run in reverse order.
    """
    with tempfile.TemporaryDirectory(prefix="gtguard-det-xml-") as tmp:
        xml_path = Path(tmp) / "junit.xml"
        target = [nodeid.split("::")[0], "-p", "pytest_gtguard.checks._reverse"] if reverse_file else [nodeid]
        args = [
            *target,
            *pytest_args,
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "no:gtguard-checks",
            f"--junitxml={xml_path}",
            "-o",
            "junit_family=xunit1",
        ]
        payload = {"mode": "pytest", "pytest_args": args, "sys_path": list(sys_path)}
        code, _, tail = _spawn(payload, variant, cwd=cwd, timeout=timeout)
        order = "with its file in reverse order" if reverse_file else "alone"
        where = f"{order} in a fresh process, {variant.describe()}"
        if not xml_path.exists():
            return TestRun(where, "error", (), f"pytest exited {code}: {tail}")
        return _read_junit(xml_path, nodeid, where)


def _read_junit(path: Path, nodeid: str, where: str) -> TestRun:
    # JUnit names a test by classname "tests.test_x.TestCls" and name "test_y[param]".
    parts = nodeid.split("::")
    classname = ".".join([parts[0].removesuffix(".py").replace("/", "."), *parts[1:-1]])
    root = ET.parse(path).getroot()
    case = next(
        (c for c in root.iter("testcase") if c.get("name") == parts[-1] and c.get("classname") == classname),
        None,
    )
    if case is None:
        return TestRun(where, "missing", (), "the test was not collected")
    outcome = "passed"
    for tag in ("failure", "error", "skipped"):
        node = case.find(tag)
        if node is not None:
            outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
            detail = (node.get("message") or "")[:300]
            break
    else:
        detail = ""
    outputs = tuple(
        p.get("value", "") for p in case.findall("./properties/property") if p.get("name") == "gtguard_output"
    )
    return TestRun(where, outcome, outputs, detail)
