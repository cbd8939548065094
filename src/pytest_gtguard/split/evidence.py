"""Read what a run's failure text and exit say about their cause: where it broke, and whether a run counts.

The split judges only on evidence (issue 16): a run that ended without results says nothing about its
tests, a module that does not import on after says nothing about what the tests check, and a failure
raised from the other side's folder says nothing about the side under test. This module finds those
cases in the text pytest wrote (``TestRecord.message``, ``CollectError.message``) and in a run's exit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pytest_gtguard.split.runner import RunOutcome

__all__ = ["Site", "failure_site", "other_side_frame", "run_gap", "started"]

# A traceback frame as pytest prints it: "path/to/file.py:12: in name" or "path/to/file.py:12: Error".
_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]*?\.py):(?P<line>\d+):(?: |$)", re.MULTILINE)
# A SyntaxError's own location, inside the "E" lines: 'E     File "/x/calc.py", line 4'.
_SYNTAX_AT = re.compile(r'^E\s+File "(?P<path>[^"]+)", line (?P<line>\d+)', re.MULTILINE)
# Python's own traceback format (a conftest that fails to load, in a run's stderr).
_PY_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+\.py)", line (?P<line>\d+)', re.MULTILINE)
_EXCEPTION = re.compile(r"(?:[A-Za-z_][\w.]*)?(?:Error|Exception|Interrupt|Exit|Warning)\b(?::|$)")
_PYTEST_USAGE_ERROR = 4  # how pytest ends when a conftest fails to import: no test ran


@dataclass(frozen=True)
class Site:
    """Where a failure was raised (``file:line``, relative to the task when inside it) and its exception line."""

    location: str
    exception: str

    def __str__(self) -> str:
        """Return ``file:line: Exception: text`` (either part may be empty)."""
        return ": ".join(part for part in (self.location, self.exception) if part)


def failure_site(text: str, *, root: str = "") -> Site:
    """Return where ``text`` (a pytest failure or collection error, or a Python traceback) was raised.

    A SyntaxError names its own file and line; otherwise the innermost frame counts: the code that
    failed to import, not the test module that imported it. ``root`` (the task folder) is cut from paths.
    """
    found = list(_SYNTAX_AT.finditer(text)) or list(_FRAME.finditer(text)) or list(_PY_FRAME.finditer(text))
    paths = [(_relative(m["path"], root), m["line"]) for m in found]
    # Frames of the task itself (relative paths) before pytest's, gtguard's and the standard library's.
    own = [(path, line) for path, line in paths if not path.startswith(("/", "<")) and ":\\" not in path[:3]]
    path, line = (own or paths or [("", "")])[-1]
    location = f"{path}:{line}" if path else ""
    e_lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    candidates = [ln for ln in e_lines if _EXCEPTION.match(ln)] or e_lines
    if not candidates:
        candidates = [ln.strip() for ln in text.splitlines() if _EXCEPTION.match(ln.strip())]
    exception = candidates[-1] if candidates else (text.strip().splitlines() or [""])[-1].strip()
    return Site(location, exception[:200])


def other_side_frame(text: str, folder: str, *, skip: str = "") -> str | None:
    """Return the first traceback frame of ``text`` inside a ``folder`` (e.g. repository_after), or None.

    ``skip`` is the test's own file: a test module kept inside a side's folder is not the other side's code.
    """
    for pattern in (_FRAME, _SYNTAX_AT, _PY_FRAME):
        for match in pattern.finditer(text):
            path = match["path"].replace("\\", "/")
            parts = path.split("/")
            if folder in parts and not (skip and path.endswith(skip)):
                return "/".join(parts[parts.index(folder) :]) + f":{match['line']}"
    return None


def started(outcome: RunOutcome) -> bool:
    """Return True unless the run ended without results because pytest refused to start it.

    pytest ends with its usage-error code, having run no test, when a conftest fails to import (a
    greenfield before side whose conftest imports the missing code): that is a collection error of the
    whole suite, not a crash. Any other run without results died, hung or was killed.
    """
    refused = outcome.returncode == _PYTEST_USAGE_ERROR and outcome.signal is None and outcome.last_test is None
    return not (outcome.results is None and refused)


def run_gap(outcome: RunOutcome) -> str | None:
    """Return why ``outcome``'s run says nothing about its tests, or None when it has results to judge.

    A run has no evidence when it ended without results (killed by a signal, timed out, exited early:
    the signal and the running test are named), or when it collected nothing.
    """
    spec, results = outcome.spec, outcome.results
    name = f"the {spec.side} run {spec.index + 1}"
    if results is not None:
        if not results.tests and not results.collect_errors:
            return f"{name} collected no test (exit {outcome.returncode})"
        return None
    if not started(outcome):
        return None
    if outcome.error:
        reason = outcome.error.rstrip(".")
    elif outcome.signal is not None:
        reason = f"{name} died of {outcome.signal} before writing results"
    else:
        reason = f"{name} exited with {outcome.returncode} before writing results"
    if outcome.last_test and outcome.last_test not in reason:
        reason += f"; it was running {outcome.last_test}"
    return reason


def _relative(path: str, root: str) -> str:
    norm = path.replace("\\", "/")
    prefix = root.replace("\\", "/").rstrip("/") + "/"
    return norm[len(prefix) :] if root and norm.startswith(prefix) else norm
