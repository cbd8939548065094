"""pytest glue for ``@pytest.mark.perf_gate``: marker parsing, the ``perf`` fixture, verdicts to outcomes."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gtguard import _xdist
from pytest_gtguard._config import option
from pytest_gtguard.errors import GtguardWarning, InvalidMarker
from pytest_gtguard.perf.options import PERF_OPTIONS

if TYPE_CHECKING:
    from pytest_gtguard.perf.budget import Clock, PerfBudget
    from pytest_gtguard.perf.runner import GateReport
    from pytest_gtguard.perf.table import GateRow

# The measuring machinery (budget, measure, runner) is imported by the hooks that meet a perf_gate
# test: this module is imported by every pytest run of everyone who installs gtguard.

__all__ = ["BUDGET_KEY", "PERF_GATE_MARKER_HELP", "PerfGate", "PerfGatePlugin", "PerfSettings"]

PERF_GATE_MARKER_HELP = (
    "perf_gate(n=1, ms=None, *, mb=None, complexity=None, clock='cpu', repeats=5, tolerance=1.5): "
    "gate the test's measured call (the perf fixture's perf.measure, else the whole test body) on CPU time "
    "at input size n, growth ('O(n)', ...) and peak memory in MB; see docs/perf.md"
)

BUDGET_KEY = pytest.StashKey["PerfBudget"]()
_IN_CHILD_KEY = pytest.StashKey[bool]()
_MEASURED_KEY = pytest.StashKey[bool]()
_PROPS_KEY = pytest.StashKey[dict[str, object]]()
PROPERTY = "perf_gate"  # report.user_properties key of each gate's data (docs/perf.md, "Run data")


@dataclass(frozen=True)
class PerfSettings:
    """The perf options as resolved for this run, with where each came from."""

    scale: float = 1.0
    scale_source: str = "default"
    strict: bool = False
    reference_ms: float | None = None
    reference_source: str = "default"
    is_worker: bool = False
    html: Path | None = None
    splitting: bool = False  # the split's parent: its runs are child processes, its perf page report-perf.html

    @classmethod
    def from_config(cls, config: pytest.Config) -> PerfSettings:
        """Resolve the options (CLI > env > ini > default); raise ``pytest.UsageError`` on bad values."""
        got = {opt.dest: option(config, opt.dest) for opt in PERF_OPTIONS}
        scale, reference = got["gtguard_perf_scale"], got["gtguard_perf_reference_ms"]
        for resolved, what in ((scale, "a factor > 0 such as 2"), (reference, "milliseconds > 0")):
            if resolved.value is not None and not float(resolved.value) > 0:
                raise pytest.UsageError(f"{resolved.source}: expected {what}, got {resolved.value!r}")
        return cls(
            scale=float(scale.value),
            scale_source=scale.source,
            strict=bool(got["gtguard_perf_strict"].value),
            reference_ms=None if reference.value is None else float(reference.value),
            reference_source=reference.source,
            is_worker=_xdist.is_worker(config),
            html=None if got["gtguard_perf_html"].value is None else Path(got["gtguard_perf_html"].value),
            splitting=config.pluginmanager.has_plugin("gtguard-split"),
        )


class PerfGatePlugin:
    """Run ``perf_gate`` tests through the gate and turn its verdicts into failures or warnings."""

    def __init__(self, settings: PerfSettings) -> None:
        self.settings = settings
        self._baseline: dict[Clock, float] = {}
        self._rows: dict[str, GateRow] = {}  # node id -> row, gathered from reports (xdist: on the controller)
        self._page: str | None = None  # what became of --gtguard-perf-html, for the summary

    def pytest_report_header(self) -> list[str]:
        """Show non-default perf settings, so a relaxed or strict run is visible in the log."""
        s = self.settings
        if s.scale == 1.0 and s.reference_ms is None and not s.strict:
            return []
        ref = f"{s.reference_ms:g} ms ({s.reference_source})" if s.reference_ms else "calibrated at the first gate"
        strict = ", strict under xdist" if s.strict else ""
        return [f"gtguard perf: budgets x{s.scale:g} ({s.scale_source}); reference workload {ref}{strict}"]

    @pytest.hookimpl(tryfirst=True)  # before junit XML reads the properties
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather each gate's row for the summary; make its property JSON in junit XML (not on workers)."""
        if self.settings.is_worker:  # the report crosses to the controller as it is: plain data only
            return
        from pytest_gtguard.perf.result import JsonProperty
        from pytest_gtguard.perf.table import row_from

        for index, (name, value) in enumerate(report.user_properties):
            row = row_from(report.nodeid, value) if name == PROPERTY else None
            if row is not None:
                self._rows[report.nodeid] = row
                if not isinstance(value, JsonProperty):
                    report.user_properties[index] = (name, JsonProperty(row.props))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the perf gates page when ``--gtguard-perf-html`` asks for it (the controller only)."""
        path = self.settings.html
        if path is None or self.settings.is_worker:
            return
        if self.settings.splitting:  # the gates ran in the split's runs; the split writes their page itself
            self._page = f"perf gates page: {path} not written: the split writes report-perf.html beside its report"
            return
        from pytest_gtguard._atomic import WriteError
        from pytest_gtguard.perf.html import write_page

        try:
            write_page(path, list(self._rows.values()), alternative="pass another --gtguard-perf-html")
        except WriteError as exc:
            self._page = f"gtguard: perf gates page not written: {exc}"
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        else:
            self._page = f"perf gates page: {path}"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Show the table of gated tests (n, time, budget, machine factor, exponent, verdict); hidden at -qq."""
        if self.settings.is_worker or terminalreporter.verbosity < -1:
            return
        from pytest_gtguard.perf.table import render_table, title

        rows = list(self._rows.values())
        if rows:
            lines = render_table(rows)
            terminalreporter.write_sep("-", title(rows), fullwidth=max(len(line) for line in lines))
            for line in lines:
                terminalreporter.write_line(line)
        if self._page is not None:
            terminalreporter.write_line(self._page, red=self._page.startswith("gtguard:"))

    @pytest.hookimpl(tryfirst=True)  # before fixtures are built: a bad marker should cost nothing
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Parse the marker; bad arguments fail this test only, with the fix."""
        marker = item.get_closest_marker("perf_gate")
        if marker is None:
            return
        from unittest import TestCase

        from pytest_gtguard.perf.budget import budget_from_marker

        try:
            budget = budget_from_marker(marker.args, marker.kwargs, where=item.nodeid)
        except InvalidMarker as exc:
            problem = str(exc)
        else:
            if isinstance(item, pytest.Function) and not isinstance(getattr(item, "instance", None), TestCase):
                item.stash[BUDGET_KEY] = budget
                return
            # unittest runs its methods through its own machinery, which the gate cannot time in a child.
            problem = (
                f"{item.nodeid}: @pytest.mark.perf_gate gates pytest test functions; unittest.TestCase "
                "methods and other items are not supported: move the timed call into a plain test function"
            )
        pytest.fail(problem, pytrace=False)  # outside the except: no "during handling" chain in the report

    @pytest.hookimpl(tryfirst=True)  # must replace pytest's own call of the test function
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """Time the whole test body in the measuring process when the test does not use ``perf``."""
        budget = pyfuncitem.stash.get(BUDGET_KEY, None)
        if budget is None or pyfuncitem.stash.get(_IN_CHILD_KEY, False) or "perf" in pyfuncitem.fixturenames:
            return None
        if budget.complexity is not None:
            pytest.fail(
                f"{pyfuncitem.nodeid}: perf_gate(complexity=...) needs inputs of other sizes: use the perf "
                "fixture, perf.measure(fn, setup=lambda n: make_input(n))",
                pytrace=False,
            )

        def run_body() -> object:
            pyfuncitem.stash[_IN_CHILD_KEY] = True  # our hook steps aside, pytest calls the test
            try:
                pyfuncitem.runtest()
            finally:
                del pyfuncitem.stash[_IN_CHILD_KEY]
            return None

        report = self.gate(pyfuncitem, budget, lambda _size: run_body, want_result=False)
        if report.raised is not None:
            _rerun_in_process(run_body, report.raised, what="the test body")
        self.conclude(pyfuncitem, report)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Fail a test that asked for ``perf`` but never measured anything: it gates nothing."""
        report: pytest.TestReport = yield
        if (
            report.when == "call" and report.passed and BUDGET_KEY in item.stash
            and "perf" in getattr(item, "fixturenames", ()) and not item.stash.get(_MEASURED_KEY, False)
        ):  # fmt: skip
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: uses the perf fixture but never called perf.measure(...)"
        return report

    @pytest.fixture
    def perf(self, request: pytest.FixtureRequest) -> PerfGate:
        """Return the gate of this test: ``perf.measure(fn, setup=lambda n: data)`` times ``fn(data)``."""
        budget = request.node.stash.get(BUDGET_KEY, None)
        if budget is None:
            pytest.fail(
                f"{request.node.nodeid}: the perf fixture needs @pytest.mark.perf_gate(n=..., ms=...) on the test",
                pytrace=False,
            )
        return PerfGate(self, request.node, budget)

    def gate(
        self,
        item: pytest.Item,
        budget: PerfBudget,
        prepare: Callable[[int], Callable[[], object]],
        *,
        want_result: bool,
    ) -> GateReport:
        """Measure and judge; record the data on the test's report."""
        from pytest_gtguard.perf.budget import Scaling
        from pytest_gtguard.perf.runner import run_gate

        scaling = Scaling(option=self.settings.scale, baseline_ms=self._baseline_for(budget.clock))
        report = run_gate(budget, scaling, prepare, want_result=want_result)
        item.stash[_MEASURED_KEY] = True
        item.stash[_PROPS_KEY] = props = report.properties()
        item.user_properties.append((PROPERTY, props))
        return report

    def _baseline_for(self, clock: Clock) -> float:
        from pytest_gtguard.perf.budget import Clock
        from pytest_gtguard.perf.measure import measure_reference

        if clock is Clock.CPU and self.settings.reference_ms is not None:
            return self.settings.reference_ms
        if clock not in self._baseline:
            self._baseline[clock] = measure_reference(wall=clock is Clock.WALL)
        return self._baseline[clock]

    def conclude(self, item: pytest.Item, report: GateReport) -> None:
        """Fail, warn or pass according to the verdicts and the xdist policy (docs/perf.md)."""
        __tracebackhide__ = True
        from pytest_gtguard.perf.budget import Outcome

        if report.crashed is not None:
            pytest.fail(f"perf_gate: {report.crashed}; the measured call must return normally", pytrace=False)
        if report.faked_clock is not None:
            item.user_properties.append(("gtguard_faked_clock", report.faked_clock))  # gtguard grade reads it
            pytest.fail(
                f"perf_gate: {report.faked_clock} of CPU as its process's own accounting shows: a clock was "
                "replaced during the measured call; measure real work, and leave time functions alone",
                pytrace=False,
            )
        failures = []
        for verdict in report.verdicts:
            if verdict.outcome is Outcome.INCONCLUSIVE:
                warnings.warn(GtguardWarning(f"{item.nodeid}: {verdict.message}"), stacklevel=1)
            elif verdict.outcome is Outcome.FAILED:
                # CPU contention from other workers is not a regression; peak memory is not affected by it.
                if self.settings.is_worker and not self.settings.strict and verdict.kind != "memory":
                    item.stash[_PROPS_KEY]["xdist_warning"] = True  # the table says "warning (xdist)"
                    warnings.warn(GtguardWarning(
                        f"{item.nodeid}: {verdict.message} [a warning, not a failure, under pytest-xdist; "
                        "pass --gtguard-perf-strict to fail]"), stacklevel=1)  # fmt: skip
                else:
                    failures.append(verdict.message)
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)


class PerfGate:
    """The ``perf`` fixture: measure a call of the solution on an input built outside the timing."""

    def __init__(self, plugin: PerfGatePlugin, item: pytest.Item, budget: PerfBudget) -> None:
        self._plugin, self._item, self._budget = plugin, item, budget

    @property
    def n(self) -> int:
        """Return the input size the marker declares."""
        return self._budget.n

    def measure(self, fn: Callable[..., Any], *, setup: Callable[[int], Any] | None = None) -> Any:
        """Time ``fn(setup(size))`` (or ``fn()``) in a measuring process; return its value at size n.

        ``setup`` runs here, untimed, once per size (n, and the smaller sweep sizes when the marker has
        ``complexity=``); each measured call gets a pristine copy of its result. The return value is
        sent back by pickle, so return something picklable (or nothing).
        """
        __tracebackhide__ = True
        if self._item.stash.get(_MEASURED_KEY, False):
            pytest.fail("perf.measure(...) may be called once per test; split the test instead", pytrace=False)
        if setup is None and self._budget.complexity is not None:
            pytest.fail(
                "perf_gate(complexity=...) needs setup=: perf.measure(fn, setup=lambda n: make_input(n))",
                pytrace=False,
            )

        def prepare(size: int) -> Callable[[], object]:
            if setup is None:
                return fn
            data = setup(size)
            return lambda: fn(data)

        report = self._plugin.gate(self._item, self._budget, prepare, want_result=True)
        if report.raised is not None and report.failing_call is not None:
            _rerun_in_process(report.failing_call, report.raised, what="the measured call")
        self._plugin.conclude(self._item, report)
        if report.unpicklable is not None:
            pytest.fail(
                f"perf.measure: the call's return value could not be sent back from the measuring process "
                f"({report.unpicklable}); return a picklable value, or nothing",
                pytrace=False,
            )
        if not report.has_result:  # stopped, and only a warning (xdist, inconclusive): say why, not None
            from pytest_gtguard.perf.budget import Outcome
            from pytest_gtguard.perf.result import NotGated, not_gated_reason

            messages = [v.message for v in report.verdicts if v.outcome is not Outcome.PASSED]
            xdist = any(v.outcome is Outcome.FAILED for v in report.verdicts)
            return NotGated(not_gated_reason(messages, xdist=xdist))
        return report.result


def _rerun_in_process(call: Callable[[], object], child_traceback: str, *, what: str) -> None:
    """Re-run a call that raised in the child, so pytest reports the error natively (assert rewriting)."""
    __tracebackhide__ = True
    call()
    pytest.fail(
        f"perf_gate: {what} raised in the measuring process but not when re-run in-process "
        f"(state-dependent?):\n{child_traceback}",
        pytrace=False,
    )
