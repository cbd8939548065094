"""pytest-facing work done inside forked children: run items through pytest's protocol, record coverage.

Glue, not pure logic: it drives pytest items. It lives apart from ``plugin.py`` so the hooks stay short.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_gtguard.meta.execute import ChildResult, Job, arm_cpu_budget

__all__ = ["ItemRunner", "start_coverage"]


def start_coverage(sources: Sequence[Path]) -> Any:
    """Start coverage.py (lazily imported) restricted to ``sources``; None when it cannot run here."""
    try:
        import coverage
    except ImportError:  # pragma: no cover - coverage is a dependency; a broken install falls back
        return None
    if coverage.Coverage.current() is not None:  # pytest-cov stood down (``_cov``): another tool, coverage run
        if sys.__stderr__ is not None:  # said past pytest's capture, which holds collection's output
            sys.__stderr__.write(
                "gtguard: coverage.py is already measuring this process (coverage run?); --meta cannot measure "
                "each test's coverage, so each mutant runs the whole suite: run pytest --meta without it\n"
            )
        return None  # two collectors in one process would fight
    cov = coverage.Coverage(data_file=None, branch=True, include=[str(s) for s in sources], config_file=False)
    try:
        cov.start()
    except Exception:  # a broken tracer install: run without selection rather than not at all
        return None
    return cov


class ItemRunner:
    """Run collected items by node id in a child and report the first failure."""

    def __init__(self, session: pytest.Session) -> None:
        self._session = session
        self._by_id = {item.nodeid: item for item in session.items}
        self._reports: list[pytest.TestReport] = []
        self.recording = False
        self._cheap_reports = False

    def prewarm(self) -> None:
        """Compute per-item cached values once in the parent, so no child pays for them again."""
        for item in self._session.items:
            _ = item.location

    # Not tryfirst: unittest's tryfirst hook must first move a TestCase's failure into ``call.excinfo``;
    # as a plain hook registered after pytest's own, this one still runs before it and replaces it.
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
        """In mutant children, build reports without formatting tracebacks (about 40% of a child's time).

        Only the outcome and a one-line reason are needed; wrappers such as xfail handling still apply.
        """
        if not self._cheap_reports:
            return None
        excinfo = call.excinfo
        longrepr: tuple[str, int, str] | str | None = None
        outcome: Literal["passed", "failed", "skipped"]
        if excinfo is None:
            outcome = "passed"
        elif isinstance(excinfo.value, pytest.skip.Exception):
            outcome = "skipped"
            longrepr = (str(item.path), 0, str(excinfo.value))
        else:
            outcome = "failed"
            text = str(excinfo.value).strip().splitlines()
            longrepr = f"{excinfo.typename}: {text[0] if text else ''}"[:300]
        return pytest.TestReport(
            item.nodeid,
            item.location,
            {},
            outcome,
            longrepr,
            call.when,  # type: ignore[arg-type]
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the reports of the item being run (only ever called in children)."""
        if self.recording:
            self._reports.append(report)

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Silence children forked inside: no terminal output, no traceback formatting.

        Done once in the parent around a phase (unregistering a plugin costs ~0.5 ms per child otherwise);
        the terminal reporter comes back afterwards, under its own name.
        """
        config = self._session.config
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)
        tbstyle, self._cheap_reports = config.option.tbstyle, True
        config.option.tbstyle = "line"
        try:
            yield
        finally:
            config.option.tbstyle, self._cheap_reports = tbstyle, False
            if reporter is not None:
                config.pluginmanager.register(reporter, "terminalreporter")

    def run(self, job: Job, activate: Callable[[], None]) -> ChildResult:
        """Activate a broken version, then run ``job.tests`` in order and stop at the first failure.

        Call it in children forked inside ``quiet()``.
        """
        _no_example_database()
        activate()
        items = [self._by_id[t] for t in job.tests]
        self.recording = True
        for index, item in enumerate(items):
            self._reports.clear()
            if index < len(job.test_budgets_s):
                arm_cpu_budget(job.test_budgets_s[index])
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            failed = [r for r in self._reports if r.failed]
            if failed:
                text = failed[0].longreprtext.strip().splitlines()
                reason = (text[-1] if text else "failed")[:300]
                if failed[0].when != "call":
                    reason = f"error in {failed[0].when}: {reason}"
                return ChildResult(
                    killed_by=item.nodeid,
                    tests_run=index + 1,
                    reason=reason,
                    memory_error="MemoryError" in reason,
                )
        return ChildResult(tests_run=len(items))

    def baseline(self, job: Job, cov: Any, sources: Sequence[Path], progress: Path) -> ChildResult:
        """Run every item once with per-test coverage; return reports, durations and coverage data.

        The node id of the running test is kept in ``progress``, so a crash can be blamed on its test.
        """
        config = self._session.config
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)
        items = [self._by_id[t] for t in job.tests]
        reports: list[dict[str, Any]] = []
        durations: dict[str, float] = {}
        setups: dict[str, float] = {}
        if cov is not None:
            cov.start()
        self.recording = True
        for index, item in enumerate(items):
            self._reports.clear()
            progress.write_text(item.nodeid, encoding="utf-8")
            if cov is not None:
                cov.switch_context(item.nodeid)
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            durations[item.nodeid] = sum(r.duration for r in self._reports)
            setups[item.nodeid] = sum(r.duration for r in self._reports if r.when == "setup")
            for report in self._reports:
                data = config.hook.pytest_report_to_serializable(config=config, report=report)
                reports.append(data)
        payload: dict[str, Any] = {"reports": reports, "durations": durations, "setups": setups}
        if cov is not None:
            cov.stop()
            payload.update(_coverage_payload(cov, sources))
        return ChildResult(tests_run=len(items), payload=payload)

    def replay(self, reports: Sequence[dict[str, Any]]) -> None:
        """Log the baseline child's reports in the parent, so the run reads like a normal pytest run."""
        config = self._session.config
        hook = config.hook
        started: set[str] = set()
        for data in reports:
            report = hook.pytest_report_from_serializable(config=config, data=data)
            if report.nodeid not in started:
                started.add(report.nodeid)
                hook.pytest_runtest_logstart(nodeid=report.nodeid, location=report.location)
            hook.pytest_runtest_logreport(report=report)
            if report.when == "teardown":
                hook.pytest_runtest_logfinish(nodeid=report.nodeid, location=report.location)


def _coverage_payload(cov: Any, sources: Sequence[Path]) -> dict[str, Any]:
    data = cov.get_data()
    covering: dict[str, dict[str, list[str]]] = {}
    for filename in data.measured_files():
        real = os.path.realpath(filename)
        by_line = data.contexts_by_lineno(filename)
        covering[real] = {str(line): sorted(c for c in contexts if c) for line, contexts in by_line.items()}
    with tempfile.TemporaryDirectory(prefix=f"gtguard-cov-{os.getpid()}-") as scratch:
        out = Path(scratch) / "coverage.json"
        try:
            cov.json_report(outfile=str(out), include=[str(s) for s in sources])
            summary = json.loads(out.read_text(encoding="utf-8"))
        except Exception:  # coverage raises NoDataError and friends when nothing was measured
            summary = {"files": {}, "totals": {}}
    files = {
        os.path.realpath(name): {
            "summary": info.get("summary", {}),
            "missing_lines": info.get("missing_lines", []),
            "executed_lines": info.get("executed_lines", []),
        }
        for name, info in summary.get("files", {}).items()
    }
    return {"covering": covering, "coverage": {"files": files, "totals": summary.get("totals", {})}}


def _no_example_database() -> None:
    """Keep Hypothesis from saving the failing examples of broken code into the user's ``.hypothesis/``."""
    hypothesis = sys.modules.get("hypothesis")
    if hypothesis is None:
        return
    with contextlib.suppress(Exception):  # an old or unusual Hypothesis: leave it as it is
        settings = hypothesis.settings
        settings.register_profile("gtguard-meta-child", settings(settings.default, database=None))
        settings.load_profile("gtguard-meta-child")
