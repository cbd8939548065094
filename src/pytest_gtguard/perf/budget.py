"""Pure arithmetic of ``perf_gate``: the budget from the marker, limits, and verdicts from measurements.

Nothing here measures anything: the runner feeds ``Run`` records in and gets ``Verdict``s out, so every
rule of the tolerance model (docs/perf.md) is unit-tested without a clock.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_gtguard.errors import InvalidMarker

__all__ = [
    "JITTER_MS",
    "KILL_SLACK_MS",
    "MACHINE_CAP",
    "MEMORY_TOLERANCE",
    "Clock",
    "Complexity",
    "Outcome",
    "PerfBudget",
    "Run",
    "Scaling",
    "Verdict",
    "budget_from_marker",
    "judge_memory",
    "judge_time",
    "kill_ms",
    "machine_factor",
    "pass_limit_ms",
    "perf_gate",
    "relax",
]

MACHINE_CAP = 3.0  # a reference workload slower than this x baseline makes a time verdict inconclusive
KILL_FACTOR = 2.0  # kill at KILL_FACTOR x tolerance x budget (3x at the default tolerance 1.5)
KILL_SLACK_MS = 10.0  # so tiny budgets are not killed by a page fault; bounded spend stays 3x + 50 ms
JITTER_MS = 1.0  # added to the pass limit: timer and fork granularity for sub-millisecond budgets
MEMORY_TOLERANCE = 0.10  # page granularity and allocator slack (VmHWM vs tracemalloc: 1-8 %)
MEMORY_SLACK_MB = 1.0
SWEEP_FLOOR = 0.1  # a smaller size's kill share never drops below 10 % of the full-size kill
MIN_COMPLEXITY_N = 100  # two decades below n need n >= 100


class Clock(enum.Enum):
    """Which clock a gate reads: CPU time of the measuring process, or wall time."""

    CPU = "cpu"
    WALL = "wall"


class Complexity(enum.Enum):
    """Declared growth class; ``max_slope`` is the largest log-log slope accepted for it."""

    CONSTANT = "O(1)"
    LOG = "O(log n)"
    LINEAR = "O(n)"
    NLOGN = "O(n log n)"
    QUADRATIC = "O(n^2)"

    @property
    def exponent(self) -> float:
        """Return the power of n used to share the budget among smaller sizes."""
        return {"O(1)": 0.0, "O(log n)": 0.0, "O(n)": 1.0, "O(n log n)": 1.0, "O(n^2)": 2.0}[self.value]

    @property
    def max_slope(self) -> float:
        """Return the largest fitted exponent accepted (measured O(n) Python code fits 1.04-1.28)."""
        return {"O(1)": 0.5, "O(log n)": 0.5, "O(n)": 1.5, "O(n log n)": 1.6, "O(n^2)": 2.5}[self.value]

    @classmethod
    def parse(cls, text: str) -> Complexity:
        """Read ``"O(n)"``, ``"O(n log n)"``, ``"O(n**2)"`` and similar spellings."""
        key = text.lower().replace(" ", "").replace("**", "^").replace("*", "").replace("(n)", "n")
        aliases = {
            "o1": cls.CONSTANT, "o(1)": cls.CONSTANT, "constant": cls.CONSTANT,
            "o(logn)": cls.LOG, "ologn": cls.LOG, "logarithmic": cls.LOG,
            "o(n)": cls.LINEAR, "on": cls.LINEAR, "linear": cls.LINEAR,
            "o(nlogn)": cls.NLOGN, "onlogn": cls.NLOGN, "linearithmic": cls.NLOGN,
            "o(n^2)": cls.QUADRATIC, "on^2": cls.QUADRATIC, "quadratic": cls.QUADRATIC,
        }  # fmt: skip
        try:
            return aliases[key]
        except KeyError:
            names = ", ".join(repr(c.value) for c in cls)
            raise ValueError(f"complexity={text!r} is not one of {names}") from None


@dataclass(frozen=True)
class PerfBudget:
    """What one ``@pytest.mark.perf_gate`` asks for."""

    n: int
    ms: float | None
    mb: float | None = None
    complexity: Complexity | None = None
    clock: Clock = Clock.CPU
    repeats: int = 5
    tolerance: float = 1.5


def perf_gate(
    n: int = 1,
    ms: float | None = None,
    *,
    mb: float | None = None,
    complexity: str | None = None,
    clock: str = "cpu",
    repeats: int = 5,
    tolerance: float = 1.5,
) -> PerfBudget:
    """Mirror the marker's signature, so Python's own TypeError names a wrong or missing argument."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n={n!r} must be a whole number >= 1 (the input size)")
    ms_ = _positive("ms", ms)
    mb_ = _positive("mb", mb)
    if ms_ is None and mb_ is None:
        raise ValueError("give a time budget ms= (milliseconds) and/or a memory budget mb= (megabytes)")
    if complexity is not None and not isinstance(complexity, str):
        raise ValueError(f"complexity={complexity!r} must be a string such as 'O(n)'")
    growth = Complexity.parse(complexity) if complexity is not None else None
    if growth is not None and ms_ is None:
        raise ValueError("complexity= needs a time budget ms= for the full size n")
    if growth is not None and n < MIN_COMPLEXITY_N:
        raise ValueError(f"complexity= needs n >= {MIN_COMPLEXITY_N} to fit over two decades of sizes; got n={n}")
    try:
        clock_ = Clock(clock)
    except ValueError:
        raise ValueError(f"clock={clock!r} must be 'cpu' or 'wall'") from None
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= 20:
        raise ValueError(f"repeats={repeats!r} must be a whole number from 1 to 20")
    tol = _positive("tolerance", tolerance)
    if tol is None or not 1.0 <= tol <= 10.0:
        raise ValueError(f"tolerance={tolerance!r} must be a number from 1 to 10 (1.5 = 50 % headroom)")
    return PerfBudget(n=n, ms=ms_, mb=mb_, complexity=growth, clock=clock_, repeats=repeats, tolerance=tol)


def _positive(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}={value!r} must be a positive number")
    return float(value)


def budget_from_marker(args: Sequence[object], kwargs: Mapping[str, object], *, where: str) -> PerfBudget:
    """Parse ``@pytest.mark.perf_gate(...)`` arguments; raise ``InvalidMarker`` naming test and fix."""
    try:
        return perf_gate(*args, **kwargs)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        text = str(exc).replace("perf_gate() ", "")
        raise InvalidMarker(
            f"{where}: @pytest.mark.perf_gate: {text}; "
            "expected perf_gate(n=SIZE, ms=BUDGET, *, mb=None, complexity=None, clock='cpu', repeats=5, "
            "tolerance=1.5)"
        ) from None


@dataclass(frozen=True)
class Scaling:
    """Run-wide factors: ``--gtguard-perf-scale`` and the reference workload's baseline time."""

    option: float = 1.0
    baseline_ms: float = 0.0  # <= 0: no normalisation (e.g. a fake clock in tests)
    source: str = "default"


@dataclass(frozen=True)
class Run:
    """One measured call at one size, in milliseconds of the gate's clock."""

    size: int
    call_ms: float  # at a kill: the time used when killed
    ref_ms: float  # reference workload, timed right before the call
    killed: bool = False
    stalled: bool = False  # wall backstop hit with the CPU budget unused
    starved: bool = False  # ... mostly waiting for a CPU (not blocked on I/O or a lock)
    peak_mb: float | None = None
    kill_at_ms: float | None = None


class Outcome(enum.Enum):
    """Verdict of a gate (or of one part of it)."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"  # a GtguardWarning, never a failure


@dataclass(frozen=True)
class Verdict:
    """An outcome with the sentence that explains it (empty when passed)."""

    outcome: Outcome
    message: str = ""
    kind: str = "time"  # time | kill | stall | complexity | memory


PASSED = Verdict(Outcome.PASSED)


def machine_factor(ref_ms: float, scaling: Scaling) -> float:
    """Return how much slower the reference workload ran than its baseline (1.0 when unknown)."""
    if scaling.baseline_ms <= 0 or ref_ms <= 0:
        return 1.0
    return ref_ms / scaling.baseline_ms


def relax(ref_ms: float, scaling: Scaling) -> float:
    """Return the factor budgets get for this run: never below 1 (never tighten), never above the cap."""
    return min(max(machine_factor(ref_ms, scaling), 1.0), MACHINE_CAP)


def size_share(budget: PerfBudget, size: int) -> float:
    """Return the part of the full-size budget a smaller sweep size may use."""
    if budget.complexity is None or size >= budget.n:
        return 1.0
    return max(float((size / budget.n) ** budget.complexity.exponent), SWEEP_FLOOR)


def pass_limit_ms(budget: PerfBudget, scaling: Scaling, ref_ms: float) -> float:
    """Return the largest time one run at size n may take and pass."""
    if budget.ms is None:
        return math.inf
    return budget.ms * scaling.option * relax(ref_ms, scaling) * budget.tolerance + JITTER_MS


def kill_ms(budget: PerfBudget, scaling: Scaling, ref_ms: float, size: int) -> float | None:
    """Return the time after which a run at ``size`` is stopped: clearly over budget, no repeat can help."""
    if budget.ms is None:
        return None
    full = KILL_FACTOR * budget.tolerance * budget.ms * scaling.option * relax(ref_ms, scaling)
    return full * size_share(budget, size) + KILL_SLACK_MS


def describe_scaling(budget: PerfBudget, scaling: Scaling, ref_ms: float) -> str:
    """Say which factors were applied to ``ms=`` (for failure messages)."""
    parts = []
    if scaling.option != 1.0:
        parts.append(f"--gtguard-perf-scale x{scaling.option:g}")
    factor = machine_factor(ref_ms, scaling)
    parts.append(
        f"machine x{min(max(factor, 1.0), MACHINE_CAP):.2f}"
        + (
            f" (reference workload {ref_ms:.1f} ms vs baseline {scaling.baseline_ms:.1f} ms)"
            if scaling.baseline_ms > 0
            else " (no reference baseline)"
        )
    )
    return ", ".join(parts)


def _limit_text(budget: PerfBudget, scaling: Scaling, ref_ms: float) -> str:
    scaled = describe_scaling(budget, scaling, ref_ms)
    return f"budget {budget.ms:g} ms x{budget.tolerance:g} tolerance, {scaled}"


def judge_time(budget: PerfBudget, scaling: Scaling, runs: Sequence[Run], *, final: bool) -> Verdict | None:
    """Judge the runs at size n so far; ``None`` means "repeat" (only while ``final`` is false).

    One run within the limit passes (noise only ever adds time). A killed run fails at once. Runs on a
    machine slower than ``MACHINE_CAP`` x baseline cannot fail: they make the verdict inconclusive.
    """
    unit = "ms CPU" if budget.clock is Clock.CPU else "ms wall"
    if budget.ms is None or not runs:
        return PASSED if budget.ms is None else None
    last = runs[-1]
    if any(
        run.call_ms <= pass_limit_ms(budget, scaling, run.ref_ms) for run in runs if not (run.killed or run.stalled)
    ):
        return PASSED
    slow_machine = machine_factor(last.ref_ms, scaling) > MACHINE_CAP
    if last.killed:
        share = size_share(budget, last.size)
        scaled = "" if share == 1.0 else f" x{share:.3g} for n={last.size} of {budget.n}"
        text = (
            f"perf_gate: stopped at n={last.size} after {last.call_ms:.1f} {unit}, over the kill limit "
            f"{last.kill_at_ms or 0:.0f} ms = {KILL_FACTOR * budget.tolerance:g}x the budget "
            f"{budget.ms:g} ms{scaled} ({describe_scaling(budget, scaling, last.ref_ms)}) "
            f"+ {KILL_SLACK_MS:g} ms; the call is far too slow (wrong complexity?); fix the code, "
            "or raise ms= if the budget is too tight"
        )
        return Verdict(Outcome.INCONCLUSIVE if slow_machine else Outcome.FAILED, text, "kill")
    if last.stalled:
        why = "waiting for a CPU (machine overloaded)" if last.starved else "blocked (sleep, I/O or a lock)"
        text = (
            f"perf_gate: stopped at n={last.size} by the wall-clock backstop after using only "
            f"{last.call_ms:.1f} {unit}: the call was {why}; use clock='wall' if waiting is part of the work"
        )
        return Verdict(Outcome.INCONCLUSIVE if last.starved else Outcome.FAILED, text, "stall")
    if not final and len(runs) < budget.repeats:
        return None
    conclusive = [run for run in runs if machine_factor(run.ref_ms, scaling) <= MACHINE_CAP]
    best = min(runs, key=lambda run: run.call_ms / relax(run.ref_ms, scaling))
    times = ", ".join(f"{run.call_ms:.1f}" for run in runs)
    text = (
        f"perf_gate: best of {len(runs)} runs at n={best.size} took {best.call_ms:.1f} {unit} "
        f"(all runs: {times}), over the limit {pass_limit_ms(budget, scaling, best.ref_ms):.1f} ms = "
        f"{_limit_text(budget, scaling, best.ref_ms)} + {JITTER_MS:g} ms; "
        "make the code faster, or raise ms= (or --gtguard-perf-scale for a slower machine)"
    )
    if not conclusive:
        return Verdict(
            Outcome.INCONCLUSIVE,
            text.replace(
                "perf_gate:",
                f"perf_gate: inconclusive, machine over {MACHINE_CAP:g}x slower than baseline;",
                1,
            ),
        )
    return Verdict(Outcome.FAILED, text)


def judge_memory(budget: PerfBudget, runs: Sequence[Run]) -> Verdict:
    """Compare the smallest peak memory of the completed runs at n with ``mb=`` (+10 % + 1 MB)."""
    if budget.mb is None:
        return PASSED
    peaks = [run.peak_mb for run in runs if run.size == budget.n and not run.killed and run.peak_mb is not None]
    if not peaks:
        return Verdict(
            Outcome.INCONCLUSIVE,
            "perf_gate: peak memory could not be measured here (needs /proc or getrusage); mb= not checked",
            "memory",
        )
    peak = min(peaks)
    limit = budget.mb * (1 + MEMORY_TOLERANCE) + MEMORY_SLACK_MB
    if peak <= limit:
        return PASSED
    return Verdict(
        Outcome.FAILED,
        f"perf_gate: peak memory of the call at n={budget.n} was {peak:.1f} MB, "
        f"over the budget mb={budget.mb:g} "
        f"(limit {limit:.1f} MB with {MEMORY_TOLERANCE:.0%} + {MEMORY_SLACK_MB:g} MB allocator slack); "
        "use less memory, or raise mb=",
        "memory",
    )
