"""pytest glue for the split: the parent that runs both sides, and the per-run results channel."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_gtguard import _xdist
from pytest_gtguard._config import option_value
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.results import CollectError, Outcome, RunResults, TestRecord, clip
from pytest_gtguard.side.task import Side, SideKind, Task
from pytest_gtguard.split.options import STRIPPED_FLAGS, STRIPPED_VALUED
from pytest_gtguard.split.render import progress_line, summary_lines
from pytest_gtguard.split.runner import RunOutcome, default_jobs
from pytest_gtguard.split.session import SplitConfig, SplitResult, run_split
from pytest_gtguard.split.trace import SideTracer

__all__ = ["ResultsRecorder", "Shuffler", "SidesTracer", "SplitPlugin", "child_args", "split_config"]

_TOUCHED = "gtguard_touched"
_SEVERITY = {
    Outcome.PASSED: 0,
    Outcome.XPASSED: 1,
    Outcome.SKIPPED: 1,
    Outcome.XFAILED: 1,
    Outcome.FAILED: 2,
    Outcome.ERROR: 3,
}


def child_args(args: Sequence[str]) -> tuple[str, ...]:
    """Return the user's arguments without the split's own options (the children get one side each)."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if arg in STRIPPED_FLAGS:
            continue
        if name in STRIPPED_VALUED:
            skip = "=" not in arg
            continue
        out.append(arg)
    return tuple(out)


def split_config(config: pytest.Config, task: Task) -> SplitConfig:
    """Build the split's settings from options, env and ini; raise ``pytest.UsageError`` on bad values."""
    runs, jobs = option_value(config, "gtguard_runs"), option_value(config, "gtguard_jobs")
    if runs < 1 or (jobs is not None and jobs < 1):
        raise pytest.UsageError("--gtguard-runs and --gtguard-jobs take a whole number of at least 1")
    return SplitConfig(
        task=task,
        args=child_args(config.invocation_params.args),
        cwd=config.invocation_params.dir,
        runs=runs,
        seed=option_value(config, "gtguard_seed"),
        jobs=jobs or default_jobs(),
        timeout=option_value(config, "gtguard_run_timeout"),
        expect_f2p=option_value(config, "gtguard_expect_f2p"),
        instance_path=option_value(config, "gtguard_instance"),
        update_instance=option_value(config, "gtguard_update_instance"),
        report_path=option_value(config, "gtguard_report"),
    )


class SplitPlugin:
    """Run both sides in child processes instead of collecting and running tests here."""

    def __init__(self, cfg: SplitConfig) -> None:
        self._cfg = cfg
        self._result: SplitResult | None = None

    def pytest_report_header(self) -> list[str]:
        """Say what the split will do."""
        cfg = self._cfg
        return [
            f"gtguard: split of task {cfg.task.root}: {cfg.runs} run(s) per side, {cfg.jobs} at a time, seed {cfg.seed}"
        ]

    def pytest_collection(self, session: pytest.Session) -> bool:
        """Collect nothing here: each side is collected in its own fresh process."""
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Run the split; tryfirst so pytest's own loop (and xdist's) never start."""
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")

        def progress(outcome: RunOutcome) -> None:
            if reporter is not None:
                reporter.write_line(progress_line(outcome))

        try:
            self._result = run_split(self._cfg, env=os.environ, progress=progress)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        return True

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the lists' sizes, the problems with their fixes, and the verdict."""
        if self._result is None:
            return
        terminalreporter.section("gtguard split")
        for text, markup in summary_lines(self._result):
            terminalreporter.write_line(text, **markup)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Exit with the split's documented code (docs/split.md)."""
        if self._result is not None:
            session.exitstatus = int(self._result.exit_code)


class ResultsRecorder:
    """Collect one record per test id and write the results file at session end (controller only)."""

    def __init__(self, path: Path, side: str | None, order_seed: int | None) -> None:
        self._path = path
        self._results = RunResults(
            side=side, exitstatus=0, hash_seed=os.environ.get("PYTHONHASHSEED"), order_seed=order_seed
        )

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Keep collection errors: a module that does not import fails all its tests."""
        if report.failed:
            self._results.collect_errors.append(CollectError(report.nodeid, clip(report.longreprtext)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Merge the phases of one test; keyed by node id, since xdist interleaves reports."""
        outcome = _outcome(report)
        record = self._results.tests.get(report.nodeid)
        if record is None:
            record = self._results.tests[report.nodeid] = TestRecord(report.nodeid, outcome)
        elif _SEVERITY[outcome] > _SEVERITY[record.outcome] and not (report.when == "teardown" and report.passed):
            record.outcome = outcome
        record.duration += report.duration
        if report.failed and not record.message:
            record.message = clip(report.longreprtext)
        elif report.skipped and not record.message and isinstance(report.longrepr, tuple):
            record.message = str(report.longrepr[2])
        for name, value in report.user_properties:
            if name == _TOUCHED and isinstance(value, list):
                record.touched = sorted({*record.touched, *map(str, value)})
            elif _jsonable(value):
                record.properties[name] = value

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the results file (trylast is not needed: nothing after us changes outcomes)."""
        self._results.exitstatus = int(exitstatus)
        self._results.dump(self._path)


def _outcome(report: pytest.TestReport) -> Outcome:
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


class SidesTracer:
    """Note on each test's report which side folders it ran code from or read."""

    def __init__(self, side: Side) -> None:
        folders: dict[str, Path] = {}
        if side.task is not None:
            folders = {"before": side.task.before_dir, "after": side.task.after_dir}
        if side.kind is SideKind.CANDIDATE:
            folders["candidate"] = side.path
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
        config.pluginmanager.register(
            ResultsRecorder(results, side.kind.value if side else None, shuffle), "gtguard-results"
        )
    if shuffle is not None:
        config.pluginmanager.register(Shuffler(shuffle), "gtguard-shuffle")
    if option_value(config, "gtguard_trace_sides") and side is not None:
        config.pluginmanager.register(SidesTracer(side), "gtguard-trace")
