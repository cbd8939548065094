from __future__ import annotations

import math

import pytest

from pytest_gtguard.errors import InvalidMarker
from pytest_gtguard.perf.budget import (
    JITTER_MS,
    KILL_SLACK_MS,
    MACHINE_CAP,
    Clock,
    Complexity,
    Outcome,
    PerfBudget,
    Run,
    Scaling,
    budget_from_marker,
    judge_memory,
    judge_time,
    kill_ms,
    pass_limit_ms,
    relax,
)

WHERE = "tests/test_x.py::test_y"
SCALING = Scaling(option=1.0, baseline_ms=5.0)


def test_perf_budget_parses_keywords_and_positionals() -> None:
    budget = budget_from_marker((1000, 50), {"complexity": "O(n log n)", "mb": 8}, where=WHERE)

    assert budget == PerfBudget(n=1000, ms=50.0, mb=8.0, complexity=Complexity.NLOGN)
    assert budget.clock is Clock.CPU and budget.repeats == 5 and budget.tolerance == 1.5


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {"n": "x", "ms": 1}, "n='x' must be a whole number"),
        ((), {"n": True, "ms": 1}, "n=True must be a whole number"),
        ((), {"n": 10}, "give a time budget ms="),
        ((), {"n": 10, "ms": -1}, "ms=-1 must be a positive number"),
        ((), {"n": 10, "ms": float("nan")}, "ms=nan must be a positive number"),
        ((), {"n": 10, "ms": 1, "complexity": "O(n^3)"}, "complexity='O(n^3)' is not one of"),
        ((), {"n": 10, "ms": 1, "complexity": 2}, "complexity=2 must be a string"),
        ((), {"n": 10, "ms": 1, "complexity": "O(n)"}, "complexity= needs n >= 100"),
        ((), {"n": 1000, "mb": 1, "complexity": "O(n)"}, "complexity= needs a time budget ms="),
        ((), {"n": 10, "ms": 1, "clock": "gpu"}, "clock='gpu' must be 'cpu' or 'wall'"),
        ((), {"n": 10, "ms": 1, "repeats": 0}, "repeats=0 must be a whole number from 1 to 20"),
        ((), {"n": 10, "ms": 1, "tolerance": 0.5}, "tolerance=0.5 must be a number from 1 to 10"),
        ((), {"n": 10, "ms": 1, "budget": 3}, "got an unexpected keyword argument 'budget'"),
        ((1, 2, 3), {}, "takes from 0 to 2 positional arguments but 3 were given"),
    ],
    ids=[
        "n-text", "n-bool", "no-budget", "ms-negative", "ms-nan", "complexity-unknown", "complexity-type",
        "complexity-small-n", "complexity-without-ms", "clock", "repeats", "tolerance", "unknown-kwarg",
        "too-many-positionals",
    ],
)  # fmt: skip
def test_perf_budget_rejects_bad_marker_arguments_naming_test_and_fix(args, kwargs, expected) -> None:
    with pytest.raises(InvalidMarker) as excinfo:
        budget_from_marker(args, kwargs, where=WHERE)

    message = str(excinfo.value)
    assert message.startswith(f"{WHERE}: @pytest.mark.perf_gate: ")
    assert expected in message
    assert "expected perf_gate(n=SIZE, ms=BUDGET" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O(1)", Complexity.CONSTANT),
        ("O(log n)", Complexity.LOG),
        ("o(n)", Complexity.LINEAR),
        ("linear", Complexity.LINEAR),
        ("O(n*log(n))", Complexity.NLOGN),
        ("O(n log n)", Complexity.NLOGN),
        ("O(n**2)", Complexity.QUADRATIC),
        ("O(n^2)", Complexity.QUADRATIC),
    ],
)
def test_perf_complexity_parses_common_spellings(text: str, expected: Complexity) -> None:
    assert Complexity.parse(text) is expected


def test_perf_relax_never_tightens_and_is_capped() -> None:
    assert relax(2.5, SCALING) == 1.0  # a faster machine keeps the budget as written
    assert relax(7.5, SCALING) == 1.5
    assert relax(100.0, SCALING) == MACHINE_CAP
    assert relax(7.5, Scaling(baseline_ms=0.0)) == 1.0  # no baseline (fake clock): no normalisation


def test_perf_limits_apply_tolerance_scale_machine_and_constants() -> None:
    budget = PerfBudget(n=10, ms=100.0)
    scaling = Scaling(option=2.0, baseline_ms=5.0)

    assert pass_limit_ms(budget, scaling, ref_ms=10.0) == pytest.approx(100 * 2 * 2 * 1.5 + JITTER_MS)
    assert kill_ms(budget, scaling, ref_ms=10.0, size=10) == pytest.approx(3 * 100 * 2 * 2 + KILL_SLACK_MS)
    assert pass_limit_ms(PerfBudget(n=10, ms=None, mb=1.0), scaling, 5.0) == math.inf
    assert kill_ms(PerfBudget(n=10, ms=None, mb=1.0), scaling, 5.0, 10) is None


def test_perf_kill_limit_shares_the_budget_among_smaller_sizes() -> None:
    linear = PerfBudget(n=10_000, ms=100.0, complexity=Complexity.LINEAR)
    quadratic = PerfBudget(n=10_000, ms=100.0, complexity=Complexity.QUADRATIC)

    assert kill_ms(linear, SCALING, 5.0, 3_162) == pytest.approx(300 * 0.3162 + KILL_SLACK_MS)
    assert kill_ms(linear, SCALING, 5.0, 100) == pytest.approx(300 * 0.1 + KILL_SLACK_MS)  # floor
    assert kill_ms(quadratic, SCALING, 5.0, 5_000) == pytest.approx(300 * 0.25 + KILL_SLACK_MS)


def _run(ms: float, *, ref: float = 5.0, **kw: object) -> Run:
    return Run(size=10, call_ms=ms, ref_ms=ref, **kw)  # type: ignore[arg-type]


BUDGET = PerfBudget(n=10, ms=10.0, repeats=3)


def test_perf_judge_time_passes_on_the_first_run_within_the_limit() -> None:
    verdict = judge_time(BUDGET, SCALING, [_run(15.9)], final=False)

    assert verdict is not None and verdict.outcome is Outcome.PASSED


def test_perf_judge_time_repeats_before_failing_and_passes_on_any_good_run() -> None:
    assert judge_time(BUDGET, SCALING, [_run(30.0)], final=False) is None
    assert judge_time(BUDGET, SCALING, [_run(30.0), _run(30.0)], final=False) is None
    passed = judge_time(BUDGET, SCALING, [_run(30.0), _run(14.0)], final=False)
    assert passed is not None and passed.outcome is Outcome.PASSED


def test_perf_judge_time_fails_after_all_repeats_with_the_numbers() -> None:
    verdict = judge_time(BUDGET, SCALING, [_run(30.0), _run(22.5), _run(40.0)], final=False)

    assert verdict is not None and verdict.outcome is Outcome.FAILED
    assert verdict.message.startswith("perf_gate: best of 3 runs at n=10 took 22.5 ms CPU (all runs: 30.0, 22.5, 40.0)")
    assert "over the limit 16.0 ms = budget 10 ms x1.5 tolerance, machine x1.00" in verdict.message
    assert "raise ms=" in verdict.message


def test_perf_judge_time_relaxes_for_a_slow_machine_only() -> None:
    slow = judge_time(BUDGET, SCALING, [_run(22.0, ref=7.5)], final=False)  # machine x1.5: limit 23.5
    fast = judge_time(BUDGET, SCALING, [_run(22.0, ref=2.5)], final=False)  # machine x0.5: not tightened

    assert slow is not None and slow.outcome is Outcome.PASSED
    assert fast is None


def test_perf_judge_time_is_inconclusive_when_every_run_was_on_an_overloaded_machine() -> None:
    runs = [_run(100.0, ref=50.0)] * 3  # reference 10x its baseline: beyond the cap

    verdict = judge_time(BUDGET, SCALING, runs, final=False)

    assert verdict is not None and verdict.outcome is Outcome.INCONCLUSIVE
    assert "inconclusive, machine over 3x slower than baseline" in verdict.message


def test_perf_judge_time_fails_at_once_on_a_killed_run() -> None:
    verdict = judge_time(BUDGET, SCALING, [_run(52.0, killed=True, kill_at_ms=50.0)], final=False)

    assert verdict is not None and (verdict.outcome, verdict.kind) == (Outcome.FAILED, "kill")
    assert "stopped at n=10 after 52.0 ms CPU, over the kill limit 50 ms = 3x the budget 10 ms" in verdict.message


def test_perf_judge_time_killed_on_overloaded_machine_is_inconclusive() -> None:
    verdict = judge_time(BUDGET, SCALING, [_run(52.0, ref=50.0, killed=True, kill_at_ms=50.0)], final=False)

    assert verdict is not None and verdict.outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("starved", "outcome", "words"),
    [
        (False, Outcome.FAILED, "blocked (sleep, I/O or a lock)"),
        (True, Outcome.INCONCLUSIVE, "waiting for a CPU"),
    ],
    ids=["blocked", "starved"],
)
def test_perf_judge_time_stalled_run_is_blocked_or_starved(starved: bool, outcome: Outcome, words: str) -> None:
    verdict = judge_time(BUDGET, SCALING, [_run(1.0, stalled=True, starved=starved)], final=False)

    assert verdict is not None and verdict.outcome is outcome
    assert words in verdict.message and "clock='wall'" in verdict.message


def test_perf_judge_time_without_a_time_budget_passes() -> None:
    verdict = judge_time(PerfBudget(n=10, ms=None, mb=5.0), SCALING, [_run(1e6)], final=False)

    assert verdict is not None and verdict.outcome is Outcome.PASSED


def test_perf_judge_memory_both_ways_with_slack() -> None:
    budget = PerfBudget(n=10, ms=None, mb=10.0)

    assert judge_memory(budget, [_run(1.0, peak_mb=11.9)]).outcome is Outcome.PASSED
    failed = judge_memory(budget, [_run(1.0, peak_mb=12.2)])
    assert failed.outcome is Outcome.FAILED and failed.kind == "memory"
    assert "peak memory of the call at n=10 was 12.2 MB, over the budget mb=10 (limit 12.0 MB" in failed.message
    assert judge_memory(budget, [_run(1.0)]).outcome is Outcome.INCONCLUSIVE
    assert judge_memory(PerfBudget(n=10, ms=1.0), [_run(1.0)]).outcome is Outcome.PASSED


def test_perf_failure_message_names_the_scale_option() -> None:
    verdict = judge_time(BUDGET, Scaling(option=2.0, baseline_ms=5.0), [_run(100.0)], final=True)

    assert verdict is not None and "--gtguard-perf-scale x2" in verdict.message
