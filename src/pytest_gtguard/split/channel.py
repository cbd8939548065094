"""pytest glue for one run's results channel: ``--gtguard-results``, ``--gtguard-shuffle``, ``--gtguard-trace-sides``.

Kept apart from the split's parent (``split/plugin.py``): every child run of a split loads this, and it
must not pay for the runner, the report or the instance machinery it never uses.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_gtguard import _xdist
from pytest_gtguard._config import option_value
from pytest_gtguard.results import UNKNOWN_REACH, CollectError, Outcome, RunResults, TestRecord, clip
from pytest_gtguard.side.task import Side, SideKind
from pytest_gtguard.split.trace import ReachWatcher, SideTracer

__all__ = ["ResultsRecorder", "Shuffler", "SidesTracer", "register_channel"]

_TOUCHED = "gtguard_touched"
_SEVERITY = {
    Outcome.PASSED: 0,
    Outcome.XPASSED: 1,
    Outcome.SKIPPED: 1,
    Outcome.XFAILED: 1,
    Outcome.FAILED: 2,
    Outcome.ERROR: 3,
}


class ResultsRecorder:
    """Collect one record per test id and write the results file at session end (controller only)."""

    def __init__(
        self, path: Path, side: str | None, order_seed: int | None, watcher: ReachWatcher | _Unseen | None
    ) -> None:
        self._path = path
        self._results = RunResults(
            side=side, exitstatus=0, hash_seed=os.environ.get("PYTHONHASHSEED"), order_seed=order_seed
        )
        self._watcher = watcher
        if watcher is not None:
            watcher.start()
        # The test in progress, for the parent to name should the run die or hang (``runner.current_test``
        # reads it: the results path with the suffix ``.current``). Rewritten in place at each start and
        # end; removed when the session ends normally.
        self._current_path = path.with_suffix(".current")
        self._current: int | None = None
        with contextlib.suppress(OSError):  # no folder yet: the results file's write will say so
            self._current = os.open(self._current_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._started: dict[str, None] = {}
        self._attempts: dict[str, int] = {}  # pytest-rerunfailures: each test's attempt being recorded
        self._last = self._previous = ""

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Note the test that starts (xdist reports several at once: the newest is noted)."""
        self._started[nodeid] = None
        self._previous, self._last = self._last, nodeid
        self._note()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        """Note that the test ended (the newest test still running becomes the current one)."""
        self._started.pop(nodeid, None)
        if self._started:
            self._last = next(reversed(self._started))
        self._note()

    def _note(self) -> None:
        """Write ``running|finished``, the last test started, and the one before it, one per line."""
        if self._current is not None:
            state = "running" if self._started else "finished"
            data = f"{state}\n{self._last}\n{self._previous}".encode()
            os.pwrite(self._current, data, 0)
            os.ftruncate(self._current, len(data))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Keep collection errors: a module that does not import fails all its tests."""
        if report.failed:
            self._results.collect_errors.append(CollectError(report.nodeid, clip(report.longreprtext)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Merge the phases of one test; keyed by node id, since xdist interleaves reports."""
        outcome = _outcome(report)
        record = self._results.tests.get(report.nodeid)
        attempt = getattr(report, "rerun", 0)  # pytest-rerunfailures numbers the tries; the last one counts
        if record is not None and attempt != self._attempts.get(report.nodeid, 0):
            record = None  # a new try: the one before ended in a "rerun" report, and is dropped
        self._attempts[report.nodeid] = attempt
        if record is None:
            record = self._results.tests[report.nodeid] = TestRecord(report.nodeid, outcome)
        elif _SEVERITY[outcome] > _SEVERITY[record.outcome] and not (report.when == "teardown" and report.passed):
            record.outcome = outcome
        record.duration += report.duration
        if report.failed and not record.message:
            record.message = clip(report.longreprtext)
        elif report.skipped and not record.message and isinstance(report.longrepr, tuple):
            record.message = str(report.longrepr[2])
        elif outcome is Outcome.XFAILED and not record.message:
            record.message = clip(report.longreprtext)  # what failed: the marker's expected error, or pytest.xfail()
        for name, value in report.user_properties:
            if name == _TOUCHED and isinstance(value, list):
                record.touched = sorted({*record.touched, *map(str, value)})
            elif _jsonable(value):
                record.properties[name] = value

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the results file (trylast is not needed: nothing after us changes outcomes)."""
        self._results.exitstatus = int(exitstatus)
        if self._watcher is not None:
            self._results.reached = sorted(self._watcher.stop())
        self._results.dump(self._path)
        if self._current is not None:
            os.close(self._current)
            self._current = None
            self._current_path.unlink(missing_ok=True)


def _outcome(report: pytest.TestReport) -> Outcome:
    if str(getattr(report, "wasxfail", "")).startswith("[NOTRUN]"):
        return Outcome.SKIPPED  # xfail(run=False): the test never ran, so it showed nothing either way
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return Outcome.XPASSED if report.passed else Outcome.XFAILED
        return {"passed": Outcome.PASSED, "failed": Outcome.FAILED}.get(report.outcome, Outcome.SKIPPED)
    if report.failed:
        return Outcome.ERROR
    if report.skipped:
        return Outcome.XFAILED if hasattr(report, "wasxfail") else Outcome.SKIPPED
    return Outcome.PASSED


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))


class Shuffler:
    """Shuffle the test order reproducibly: modules first, then tests within each module."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)  # own instance: never the global RNG pytest-randomly reseeds

    @pytest.hookimpl(trylast=True)  # after deselection and other reordering plugins
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Reorder ``items`` in place."""
        groups: dict[str, list[pytest.Item]] = {}
        for item in items:
            groups.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
        modules = list(groups.values())
        self._random.shuffle(modules)
        for group in modules:
            self._random.shuffle(group)
        items[:] = [item for group in modules for item in group]


class _Unseen:
    """A reach watcher for a process that runs no test itself: it reports that it cannot tell."""

    def start(self) -> None:
        """Nothing to watch here."""

    def stop(self) -> frozenset[str]:
        """Return the label that makes the split trace to find out."""
        return frozenset({UNKNOWN_REACH})


def _side_folders(side: Side) -> dict[str, Path]:
    folders: dict[str, Path] = {}
    if side.task is not None:
        folders = {"before": side.task.before_dir, "after": side.task.after_dir}
    if side.kind is SideKind.CANDIDATE:
        folders["candidate"] = side.path
    return folders


class SidesTracer:
    """Note on each test's report which side folders it ran code from or read."""

    def __init__(self, side: Side) -> None:
        folders = _side_folders(side)
        packages = {path.name: label for label, path in folders.items() if label != "candidate"}
        self._tracer = SideTracer(folders, packages=packages)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        """Start recording before any fixture runs."""
        self._tracer.start()
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        """Stop at teardown and attach the result, so it rides the report to an xdist controller."""
        if call.when == "teardown":
            item.user_properties.append((_TOUCHED, sorted(self._tracer.stop())))
        return (yield)

    def pytest_unconfigure(self) -> None:
        """Release the monitoring tool id."""
        self._tracer.close()


def register_channel(config: pytest.Config, side: Side | None) -> None:
    """Register the results recorder, shuffler and tracer that the options ask for."""
    results = option_value(config, "gtguard_results")
    shuffle = option_value(config, "gtguard_shuffle")
    if results is not None and not _xdist.is_worker(config):  # only the controller writes files
        watcher: ReachWatcher | _Unseen | None = None
        if option_value(config, "gtguard_reach_sides") and side is not None:
            # Under xdist the workers import the code: this controller cannot see what they reached.
            watcher = _Unseen() if _xdist.distributes(config) else ReachWatcher(_side_folders(side))
        config.pluginmanager.register(
            ResultsRecorder(results, side.kind.value if side else None, shuffle, watcher), "gtguard-results"
        )
    if shuffle is not None:
        config.pluginmanager.register(Shuffler(shuffle), "gtguard-shuffle")
    if option_value(config, "gtguard_trace_sides") and side is not None:
        config.pluginmanager.register(SidesTracer(side), "gtguard-trace")
