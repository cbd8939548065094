"""run_gate's protocol with a scripted measurer: no forks, no clocks."""

from __future__ import annotations

from collections.abc import Callable

from pytest_gtguard.perf.budget import Complexity, Outcome, PerfBudget, Run, Scaling
from pytest_gtguard.perf.child import Tracing
from pytest_gtguard.perf.measure import Measurement
from pytest_gtguard.perf.runner import SWEEP_REPEATS, run_gate

SCALING = Scaling(baseline_ms=0.0)


class Script:
    """A measurer that answers from ``cost(size)`` and records the sizes asked for."""

    def __init__(self, cost: Callable[[int], float], **extra: object) -> None:
        self.cost, self.extra, self.sizes = cost, extra, []

    def __call__(self, call, *, size, wall, kill_for_ref, want_result=False):
        self.sizes.append(size)
        ms, kill = self.cost(size), kill_for_ref(0.0)
        if kill is not None and ms >= kill:
            return Measurement(Run(size, kill, 0.0, killed=True, kill_at_ms=kill), **self.extra)
        value = call()
        return Measurement(Run(size, ms, 0.0, peak_mb=1.0), result=value, has_result=want_result, **self.extra)


def _prepare(size: int) -> Callable[[], object]:
    return lambda: size * 2


def test_perf_runner_passes_after_one_run_and_returns_the_value() -> None:
    script = Script(lambda size: 5.0)

    report = run_gate(PerfBudget(n=100, ms=10.0), SCALING, _prepare, want_result=True, measurer=script)

    assert report.outcome is Outcome.PASSED and script.sizes == [100]
    assert report.result == 200 and report.has_result
    assert report.properties()["best_ms"] == 5.0


def test_perf_runner_repeats_noisy_runs_before_judging() -> None:
    costs = iter([30.0, 30.0, 12.0])
    script = Script(lambda size: next(costs))

    report = run_gate(PerfBudget(n=100, ms=10.0), SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.PASSED and len(script.sizes) == 3


def test_perf_runner_fails_after_all_repeats() -> None:
    script = Script(lambda size: 20.0)

    report = run_gate(PerfBudget(n=100, ms=10.0, repeats=4), SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.FAILED and len(script.sizes) == 4
    assert report.verdicts[0].message.startswith("perf_gate: best of 4 runs at n=100 took 20.0 ms CPU")


def test_perf_runner_complexity_sweeps_smallest_first_and_passes_linear() -> None:
    script = Script(lambda size: 10.0 * size / 10**5)
    budget = PerfBudget(n=10**5, ms=10.0, complexity=Complexity.LINEAR)

    report = run_gate(budget, SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.PASSED and report.slope is not None and abs(report.slope - 1) < 1e-9
    assert script.sizes == sorted(script.sizes) and script.sizes[0] == 1000
    assert script.sizes.count(10**5) == 1 and script.sizes.count(1000) == SWEEP_REPEATS


def test_perf_runner_stops_a_quadratic_solution_before_the_full_size() -> None:
    script = Script(lambda size: 0.5 * (size / 1000) ** 2)  # 5 s at n=10**5; killed at n=10**4
    budget = PerfBudget(n=10**5, ms=100.0, complexity=Complexity.LINEAR)

    report = run_gate(budget, SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.FAILED and max(script.sizes) == 10**4
    assert report.verdicts[0].kind == "kill" and "stopped at n=10000" in report.verdicts[0].message
    assert "; growth exponent so far 2.00 (allowed 1.5 for O(n))" in report.verdicts[0].message


def test_perf_runner_confirms_a_complexity_failure_before_reporting_it() -> None:
    script = Script(lambda size: 1.0 * (size / 10**4) ** 1.8)  # steep but cheap: never killed
    budget = PerfBudget(n=10**4, ms=100.0, complexity=Complexity.LINEAR)

    report = run_gate(budget, SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.FAILED and report.verdicts[-1].kind == "complexity"
    assert script.sizes.count(100) == SWEEP_REPEATS + 2 and script.sizes.count(10**4) == 2


def test_perf_runner_reports_a_raising_call_for_an_in_process_rerun() -> None:
    def measurer(call, *, size, wall, kill_for_ref, want_result=False):
        return Measurement(Run(size, 1.0, 0.0), raised="Traceback ...\nZeroDivisionError")

    report = run_gate(PerfBudget(n=10, ms=10.0), SCALING, _prepare, measurer=measurer)

    assert report.raised is not None and report.failing_call is not None and report.failing_call() == 20


def test_perf_runner_timing_failure_under_a_residual_tracer_is_inconclusive() -> None:
    script = Script(lambda size: 50.0, tracing=Tracing(("sys.monitoring:coverage.py",), residual=True))

    report = run_gate(PerfBudget(n=10, ms=10.0, repeats=1), SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.INCONCLUSIVE
    assert "measured under sys.monitoring:coverage.py" in report.verdicts[0].message
    assert report.properties()["tracers_removed"] == ["sys.monitoring:coverage.py"]


def test_perf_runner_early_stop_on_a_steep_but_cheap_sweep() -> None:
    # Steep enough, and projected past the kill at n, but no smaller size is over its own share.
    costs = {1000: 0.01, 3162: 0.1, 10000: 1.0, 31623: 10.0}
    script = Script(lambda size: costs.get(size, 1e9))
    budget = PerfBudget(n=10**5, ms=10.0, complexity=Complexity.LINEAR)

    report = run_gate(budget, SCALING, _prepare, measurer=script)

    assert report.outcome is Outcome.FAILED and 10**5 not in script.sizes
    assert report.verdicts[0].kind == "complexity" and "projected n=100000" in report.verdicts[0].message


def test_perf_runner_reports_a_crashed_child_and_an_unpicklable_value() -> None:
    def crash(call, *, size, wall, kill_for_ref, want_result=False):
        return Measurement(Run(size, 0.0, 0.0), crashed="the measuring process was killed by SIGSEGV")

    def unpicklable(call, *, size, wall, kill_for_ref, want_result=False):
        return Measurement(Run(size, 1.0, 0.0), unpicklable="PicklingError: nope")

    crashed = run_gate(PerfBudget(n=10, ms=10.0), SCALING, _prepare, measurer=crash)
    swept = run_gate(PerfBudget(n=1000, ms=10.0, complexity=Complexity.LINEAR), SCALING, _prepare, measurer=crash)
    value = run_gate(PerfBudget(n=10, ms=10.0), SCALING, _prepare, want_result=True, measurer=unpicklable)

    assert crashed.crashed == swept.crashed == "the measuring process was killed by SIGSEGV"
    assert len(swept.measurements) == 1  # the sweep stops at the first crash
    assert value.unpicklable == "PicklingError: nope" and not value.has_result


def test_perf_runner_memory_failure_is_reported_with_a_passing_time() -> None:
    def big(call, *, size, wall, kill_for_ref, want_result=False):
        return Measurement(Run(size, 1.0, 0.0, peak_mb=500.0))

    report = run_gate(PerfBudget(n=10, ms=10.0, mb=100.0), SCALING, _prepare, measurer=big)

    assert report.outcome is Outcome.FAILED and [v.kind for v in report.verdicts] == ["memory"]
    assert report.properties()["peak_mb"] == 500.0
