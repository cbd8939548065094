from __future__ import annotations

import pytest

from pytest_gtguard.perf.budget import Complexity, Outcome, PerfBudget, Run, Scaling
from pytest_gtguard.perf.growth import fit_slope, judge_complexity, sweep_sizes

SCALING = Scaling(baseline_ms=0.0)


def test_perf_fit_slope_recovers_exact_power_laws() -> None:
    sizes = [100, 316, 1000, 3162, 10000]

    assert fit_slope([(s, 0.001 * s) for s in sizes]) == pytest.approx(1.0)
    assert fit_slope([(s, 1e-6 * s * s) for s in sizes]) == pytest.approx(2.0)
    assert fit_slope([(s, 3.0) for s in sizes]) == pytest.approx(0.0)
    assert fit_slope([(100, 1.0), (100, 2.0)]) == 0.0  # no spread in size: no slope


def test_perf_sweep_sizes_span_two_decades_smallest_first() -> None:
    assert sweep_sizes(PerfBudget(n=10**6, ms=1.0)) == [10**6]
    sizes = sweep_sizes(PerfBudget(n=10**6, ms=1.0, complexity=Complexity.LINEAR))
    assert sizes == [10_000, 31_623, 100_000, 316_228, 1_000_000]
    assert sweep_sizes(PerfBudget(n=100, ms=1.0, complexity=Complexity.LINEAR)) == [1, 3, 10, 32, 100]


def _runs(budget: PerfBudget, exponent: float) -> list[Run]:
    return [Run(s, 100.0 * (s / budget.n) ** exponent, 0.0) for s in sweep_sizes(budget)]


@pytest.mark.parametrize(
    ("declared", "exponent", "outcome"),
    [
        ("O(n)", 1.25, Outcome.PASSED),  # cache effects: measured O(n) Python code fits up to 1.28
        ("O(n)", 1.8, Outcome.FAILED),
        ("O(n log n)", 1.55, Outcome.PASSED),
        ("O(1)", 0.3, Outcome.PASSED),
        ("O(log n)", 1.0, Outcome.FAILED),
        ("O(n^2)", 2.0, Outcome.PASSED),
    ],
)
def test_perf_judge_complexity_compares_the_fitted_exponent(declared: str, exponent: float, outcome: Outcome) -> None:
    budget = PerfBudget(n=10**5, ms=100.0, complexity=Complexity.parse(declared))

    verdict, slope = judge_complexity(budget, SCALING, _runs(budget, exponent))

    assert verdict.outcome is outcome
    assert slope == pytest.approx(exponent)


def test_perf_judge_complexity_message_names_slope_sizes_and_fix() -> None:
    budget = PerfBudget(n=10**5, ms=100.0, complexity=Complexity.LINEAR)

    verdict, _ = judge_complexity(budget, SCALING, _runs(budget, 2.0))

    assert verdict.kind == "complexity"
    assert verdict.message.startswith("perf_gate: time grows like n^2.00 over n=1000..100000, steeper than n^1.5")
    assert "complexity='O(n)'" in verdict.message and "n=1000: 0.01 ms" in verdict.message


def test_perf_judge_complexity_uses_the_best_run_per_size_and_ignores_killed_runs() -> None:
    budget = PerfBudget(n=10**5, ms=100.0, complexity=Complexity.LINEAR)
    runs = [*_runs(budget, 1.0), Run(1000, 50.0, 0.0), Run(10**5, 1e6, 0.0, killed=True)]

    verdict, slope = judge_complexity(budget, SCALING, runs)

    assert verdict.outcome is Outcome.PASSED and slope == pytest.approx(1.0)


def test_perf_judge_complexity_early_fails_only_when_projection_exceeds_the_kill() -> None:
    budget = PerfBudget(n=10**5, ms=100.0, complexity=Complexity.LINEAR)
    points = [(1000, 1.0), (3162, 10.0), (10000, 100.0), (31623, 1000.0)]  # slope 2
    small = [Run(s, ms, 0.0) for s, ms in points]
    cheap = [Run(s, ms / 1000, 0.0) for s, ms in points]

    slow, _ = judge_complexity(budget, SCALING, small, early=True)  # projects 10 s at n, kill at 310 ms
    fine, _ = judge_complexity(budget, SCALING, cheap, early=True)  # steep, but projects 10 ms at n

    assert slow.outcome is Outcome.FAILED and "projected n=100000" in slow.message
    assert fine.outcome is Outcome.PASSED


def test_perf_judge_complexity_needs_a_declared_class_and_two_sizes() -> None:
    plain = PerfBudget(n=10**5, ms=100.0)
    linear = PerfBudget(n=10**5, ms=100.0, complexity=Complexity.LINEAR)

    assert judge_complexity(plain, SCALING, _runs(linear, 2.0)) == (
        judge_complexity(plain, SCALING, [])[0],
        None,
    )
    verdict, slope = judge_complexity(linear, SCALING, [Run(1000, 1.0, 0.0), Run(1000, 2.0, 0.0)])
    assert verdict.outcome is Outcome.PASSED and slope is None
