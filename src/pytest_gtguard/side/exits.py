"""Keep code under test from ending a side's run with ``os._exit(0)``: an unfinished session never exits 0.

``os._exit`` ends the interpreter at once: no ``finally``, no ``pytest_sessionfinish``, no summary, and
the process's status is whatever the caller chose. A solution that calls ``os._exit(0)`` in the middle of
``pytest --after`` (or a candidate under ``--repo``) made the run exit 0 having run half the tests, and
everything that reads only the status took that for a pass.

What we weighed:

- A "session finished" marker checked by a parent works for the split (each run is a child whose
  results file the parent reads) but a plain ``pytest --after`` has no parent to check it.
- ``atexit`` and ``finally`` never run under ``os._exit``; ``sys.exit`` and ``os.abort`` already end
  nonzero (pytest turns ``SystemExit`` into a failure).
- So the side's run replaces ``os._exit`` while the session is under way (``ExitGuard``): a call from
  this process before the session finished says which test (or which phase) called it and exits with
  ``UNFINISHED`` (3, pytest's code for a session that did not complete normally) in place of 0; a
  nonzero code is kept. Called from a ``pytest_sessionfinish`` hook, when every test ran, it exits
  with the session's own status (0 only when that is 0). Forked children (``multiprocessing``,
  ``os.fork``) end with ``os._exit`` as usual: the guard passes any call from another process through,
  and every call after the session finished.

Not in a ``gtguard grade`` run: its reporter tells a finished session from an unfinished one over its
own channel, and counts any replaced ``os._exit`` as tampering (``reward/inside/watch.py``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = ["UNFINISHED", "ExitGuard", "graded", "say_uncaptured"]

UNFINISHED = 3  # pytest's INTERNAL_ERROR: the session did not complete


class ExitGuard:
    """A stand-in for ``os._exit`` that never lets the side's unfinished session exit 0."""

    def __init__(self, real: Callable[[int], NoReturn], say: Callable[[str], None]) -> None:
        self._real = real
        self._say = say
        self._pid = os.getpid()
        self.where = "code run before the first test (a conftest, or a module imported during collection)"
        self.finished = False
        self.status: int | None = None  # the session's own status, once pytest_sessionfinish runs

    def __call__(self, code: int) -> NoReturn:
        """End the process; with ``UNFINISHED`` in place of 0 when the session is under way here."""
        if self.finished or os.getpid() != self._pid or (code == 0 and self.status == 0):
            self._real(code)
        status = code if isinstance(code, int) and code != 0 else (self.status or UNFINISHED)
        try:
            self._say(
                f"gtguard: {self.where} called os._exit({code!r}) before the session finished: the tests after it "
                f"never ran, so the run exits with {status}, not 0; remove the os._exit call from the code under test"
            )
        finally:
            self._real(status)


def say_uncaptured(capman: Any, text: str) -> None:
    """Write ``text`` to the real stderr, even from inside a test whose output pytest captures.

    ``capman`` is pytest's capture manager (None under ``-p no:capture``); its captured fds would
    otherwise swallow the line, since the process ends before pytest prints captured output.
    """
    try:
        with capman.global_and_fixture_disabled() if capman is not None else contextlib.nullcontext():
            sys.stderr.write(text + "\n")
            sys.stderr.flush()
    except Exception:  # the process ends next whatever happens here; the status still tells
        os.write(2, (text + "\n").encode(errors="replace"))


def graded() -> bool:
    """Return whether this process is a ``gtguard grade`` run (its reporter was loaded and is active)."""
    reporter = sys.modules.get("pytest_gtguard.reward.inside.reporter")
    return getattr(reporter, "_REPORTER", None) is not None
