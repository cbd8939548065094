"""Run one gate: the sizes smallest first, sequential repeats at n, early stops, one combined report.

Hypothesis was considered for the size sweep and not used: the sizes must be fixed and geometric (half
decades from n/100 to n) so the fit is comparable between runs, and shrinking has nothing to shrink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from pytest_gtguard.perf.budget import (
    Clock,
    Outcome,
    PerfBudget,
    Run,
    Scaling,
    Verdict,
    judge_memory,
    judge_time,
    kill_ms,
    pass_limit_ms,
    relax,
)
from pytest_gtguard.perf.child import Tracing
from pytest_gtguard.perf.growth import best_per_size, judge_complexity, sweep_sizes
from pytest_gtguard.perf.measure import Measurement, measure

__all__ = ["SWEEP_REPEATS", "GateReport", "Measure", "run_gate"]

SWEEP_REPEATS = 3  # best of 3 per smaller size: 0/128 misfits in the experiment (min of 1 also held)
CONFIRM_REPEATS = 2  # extra runs per size before a complexity failure is final

Prepare = Callable[[int], Callable[[], object]]


class Measure(Protocol):
    """The measuring function (``measure.measure``; the bench and tests may wrap it)."""

    def __call__(
        self,
        call: Callable[[], object],
        *,
        size: int,
        wall: bool,
        kill_for_ref: Callable[[float], float | None],
        want_result: bool = False,
    ) -> Measurement:
        """Measure ``call`` once at ``size``."""


@dataclass
class GateReport:
    """Everything one gate measured and decided."""

    budget: PerfBudget
    scaling: Scaling
    measurements: list[Measurement] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    slope: float | None = None
    raised: str | None = None  # the call raised in the child: the glue re-runs it in-process
    crashed: str | None = None
    faked_clock: str | None = None  # a clock was replaced inside the measuring child
    failing_call: Callable[[], object] | None = None
    result: object = None
    has_result: bool = False
    unpicklable: str | None = None

    @property
    def runs(self) -> list[Run]:
        """Return every run in measurement order."""
        return [m.run for m in self.measurements]

    @property
    def outcome(self) -> Outcome:
        """Return the worst outcome: failed, then inconclusive, then passed."""
        outcomes = {v.outcome for v in self.verdicts}
        for worst in (Outcome.FAILED, Outcome.INCONCLUSIVE):
            if worst in outcomes:
                return worst
        return Outcome.PASSED

    @property
    def tracing(self) -> Tracing:
        """Return the tracers the children found (and removed)."""
        found = [m.tracing for m in self.measurements if m.tracing.removed]
        return found[0] if found else Tracing()

    def properties(self) -> dict[str, object]:
        """Return the JSON-able summary that goes on ``report.user_properties``."""
        budget = self.budget
        at_n = [r for r in self.runs if r.size == budget.n]
        return {
            "outcome": self.outcome.value,
            "n": budget.n,
            "ms": budget.ms,
            "mb": budget.mb,
            "clock": budget.clock.value,
            "complexity": budget.complexity.value if budget.complexity else None,
            "tolerance": budget.tolerance,
            "scale": self.scaling.option,
            "reference_baseline_ms": round(self.scaling.baseline_ms, 3),
            "best_ms": round(min(r.call_ms for r in at_n), 3) if at_n else None,
            "limit_ms": round(pass_limit_ms(budget, self.scaling, at_n[-1].ref_ms), 3) if at_n and budget.ms else None,
            "peak_mb": min((r.peak_mb for r in at_n if r.peak_mb is not None), default=None),
            "slope": None if self.slope is None else round(self.slope, 3),
            "max_slope": budget.complexity.max_slope if budget.complexity else None,
            "machine_factor": round(relax(at_n[-1].ref_ms, self.scaling), 3) if at_n else None,
            # The best completed run per size, normalised by the machine factor: what the slope is fitted on.
            "points": [{"n": size, "ms": round(ms, 4)} for size, ms in best_per_size(self.runs, self.scaling)],
            "runs": [
                {"n": r.size, "ms": round(r.call_ms, 3), "ref_ms": round(r.ref_ms, 3), "killed": r.killed}
                for r in self.runs
            ],
            "tracers_removed": list(self.tracing.removed),
            "verdicts": [{"outcome": v.outcome.value, "kind": v.kind, "message": v.message} for v in self.verdicts],
        }


def run_gate(
    budget: PerfBudget,
    scaling: Scaling,
    prepare: Prepare,
    *,
    want_result: bool = False,
    measurer: Measure = measure,
) -> GateReport:
    """Measure ``prepare(size)()`` at every size the budget asks for and judge it.

    ``prepare`` runs in this process and is not timed (it builds the input of that size); the callable
    it returns is what each forked child times. Stops at the first definitive failure.
    """
    report = GateReport(budget, scaling)
    sizes = sweep_sizes(budget)
    if _measure_sizes(report, prepare, sizes, measurer, want_result=want_result):
        _complexity(report, prepare, sizes, measurer)
    return _traced(_with_exponent(report))


def _measure_sizes(
    report: GateReport, prepare: Prepare, sizes: list[int], measurer: Measure, *, want_result: bool
) -> bool:
    """Measure every size, smallest first; return False when the gate was decided early."""
    budget = report.budget
    for index, size in enumerate(sizes):
        call = prepare(size)
        if size < budget.n:
            if not _sweep_size(report, call, size, measurer):
                return False
            if index >= 3:  # 1.5 decades measured: stop a clearly super-linear call before n
                verdict, report.slope = judge_complexity(budget, report.scaling, report.runs, early=True)
                if verdict.outcome is Outcome.FAILED:
                    report.verdicts.append(verdict)
                    return False
            continue
        _full_size(report, call, measurer, want_result=want_result)
    return all(v.outcome is not Outcome.FAILED for v in report.verdicts)


def _with_exponent(report: GateReport) -> GateReport:
    """Add the growth exponent measured so far to time failures of a gate with ``complexity=``."""
    growth = report.budget.complexity
    if growth is None:
        return report
    if report.slope is None:
        _, report.slope = judge_complexity(report.budget, report.scaling, report.runs)
    if report.slope is not None:
        note = f"; growth exponent so far {report.slope:.2f} (allowed {growth.max_slope:g} for {growth.value})"
        report.verdicts = [
            replace(v, message=v.message + note) if v.kind in ("time", "kill") else v for v in report.verdicts
        ]
    return report


def _traced(report: GateReport) -> GateReport:
    """Downgrade timing failures measured under a tracer that could not be removed to inconclusive."""
    if not any(m.tracing.residual for m in report.measurements):
        return report
    names = ", ".join(report.tracing.removed)
    report.verdicts = [
        Verdict(
            Outcome.INCONCLUSIVE,
            f"{v.message} [inconclusive: measured under {names}, which could only be "
            f"partly switched off in the measuring process]",
            v.kind,
        )
        if v.outcome is Outcome.FAILED and v.kind != "memory"
        else v
        for v in report.verdicts
    ]
    return report


def _once(report: GateReport, call: Callable[[], object], size: int, measurer: Measure, *, want: bool) -> Measurement:
    budget, scaling = report.budget, report.scaling
    got = measurer(
        call,
        size=size,
        wall=budget.clock is Clock.WALL,
        kill_for_ref=lambda ref_ms: kill_ms(budget, scaling, ref_ms, size),
        want_result=want,
    )
    report.measurements.append(got)
    if got.raised is not None:
        report.raised, report.failing_call = got.raised, call
    elif got.crashed is not None:
        report.crashed = got.crashed
    if got.faked_clock is not None and report.faked_clock is None:
        report.faked_clock = got.faked_clock
    if got.has_result and not report.has_result:
        report.result, report.has_result = got.result, True
    if got.unpicklable is not None:
        report.unpicklable = got.unpicklable
    return got


def _sweep_size(report: GateReport, call: Callable[[], object], size: int, measurer: Measure) -> bool:
    """Measure a smaller size; return False when the gate is already decided."""
    for _ in range(SWEEP_REPEATS):
        got = _once(report, call, size, measurer, want=False)
        if got.raised is not None or got.crashed is not None:
            return False
        if got.run.killed or got.run.stalled:
            verdict = judge_time(report.budget, report.scaling, [got.run], final=True)
            if verdict is not None and verdict.outcome is not Outcome.PASSED:
                report.verdicts.append(verdict)
                return False
    return True


def _full_size(report: GateReport, call: Callable[[], object], measurer: Measure, *, want_result: bool) -> None:
    budget = report.budget
    runs: list[Run] = []
    while True:
        got = _once(report, call, budget.n, measurer, want=want_result and not report.has_result)
        if got.raised is not None or got.crashed is not None:
            return
        runs.append(got.run)
        verdict = judge_time(budget, report.scaling, runs, final=False)
        if verdict is not None:
            break
    if verdict.outcome is not Outcome.PASSED:
        report.verdicts.append(verdict)
    memory = judge_memory(budget, runs)
    if memory.outcome is not Outcome.PASSED:
        report.verdicts.append(memory)


def _complexity(report: GateReport, prepare: Prepare, sizes: list[int], measurer: Measure) -> None:
    budget, scaling = report.budget, report.scaling
    if budget.complexity is None or report.raised or report.crashed:
        return
    verdict, report.slope = judge_complexity(budget, scaling, report.runs)
    if verdict.outcome is not Outcome.FAILED:
        return
    # Strict only on a confirming re-run: one more round at every size, then the best runs decide.
    for size in sizes:
        call = prepare(size)
        for _ in range(CONFIRM_REPEATS if size < budget.n else 1):
            got = _once(report, call, size, measurer, want=False)
            if got.raised is not None or got.crashed is not None:
                return
            if got.run.killed:
                break
    verdict, report.slope = judge_complexity(budget, scaling, report.runs)
    if verdict.outcome is Outcome.FAILED:
        report.verdicts.append(verdict)
