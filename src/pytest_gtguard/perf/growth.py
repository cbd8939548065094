"""Growth check of ``perf_gate(complexity=...)``: the sizes, the log-log fit, the verdict (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_gtguard.perf.budget import (
    PASSED,
    Outcome,
    PerfBudget,
    Run,
    Scaling,
    Verdict,
    kill_ms,
    machine_factor,
)

__all__ = ["best_per_size", "fit_line", "fit_slope", "judge_complexity", "normalised", "sweep_sizes"]


def fit_line(points: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """Return the least-squares ``(slope, intercept)`` of log(time) against log(size).

    Time is floored at 1 microsecond; ``time = exp(intercept) * size ** slope`` is the fitted line.
    """
    xs = [math.log(size) for size, _ in points]
    ys = [math.log(max(ms, 1e-3)) for _, ms in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0, mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x


def fit_slope(points: Sequence[tuple[int, float]]) -> float:
    """Return the least-squares slope of log(time) against log(size) (time floored at 1 microsecond)."""
    return fit_line(points)[0]


def sweep_sizes(budget: PerfBudget) -> list[int]:
    """Return the sizes to measure, smallest first: n alone, or half-decades from n/100 up to n."""
    if budget.complexity is None:
        return [budget.n]
    sizes = [max(1, round(budget.n * 10 ** (-k / 2))) for k in (4, 3, 2, 1, 0)]
    return sorted(set(sizes))


def normalised(run: Run, scaling: Scaling) -> float:
    """Return the run's time divided by the machine factor (reference workload vs baseline)."""
    return run.call_ms / machine_factor(run.ref_ms, scaling)


def best_per_size(runs: Sequence[Run], scaling: Scaling) -> list[tuple[int, float]]:
    """Return ``(size, ms)`` per size, smallest first: the best completed run, normalised (what is fitted)."""
    best: dict[int, float] = {}
    for run in runs:
        if not run.killed and not run.stalled:
            best[run.size] = min(best.get(run.size, math.inf), normalised(run, scaling))
    return sorted(best.items())


def judge_complexity(
    budget: PerfBudget, scaling: Scaling, runs: Sequence[Run], *, early: bool = False
) -> tuple[Verdict, float | None]:
    """Fit the growth exponent over the best run per size and compare it with the declared class.

    With ``early`` (sizes below n only), fail only when the slope is too steep *and* extrapolating it
    to n overshoots the kill limit, so a wrong solution is stopped before its most expensive size.
    """
    if budget.complexity is None or budget.ms is None:
        return PASSED, None
    points = best_per_size(runs, scaling)
    if len(points) < 2:
        return PASSED, None
    slope = fit_slope(points)
    allowed = budget.complexity.max_slope
    span = f"n={points[0][0]}..{points[-1][0]}"
    if slope <= allowed:
        return PASSED, slope
    timings = ", ".join(f"n={size}: {ms:.2f} ms" for size, ms in points)
    if early:
        top_size, top_ms = points[-1]
        projected = top_ms * (budget.n / top_size) ** slope
        limit = kill_ms(budget, scaling, 0.0, budget.n) or math.inf
        if projected <= limit:
            return PASSED, slope
        timings += f"; projected n={budget.n}: {projected:.0f} ms, over the kill limit {limit:.0f} ms"
    text = (
        f"perf_gate: time grows like n^{slope:.2f} over {span}, steeper than n^{allowed:g} "
        f"allowed for complexity={budget.complexity.value!r} ({timings}; best run per size, normalised); "
        "use an algorithm of the declared complexity, or declare the right one"
    )
    return Verdict(Outcome.FAILED, text, "complexity"), slope
