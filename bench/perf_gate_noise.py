"""Noise bench for perf_gate: false fails, detection, cost of a wrong solution, gate overhead.

One task (order-preserving dedupe of n integers), two solutions: a correct O(n) one (a set) and a
wrong O(n^2) one (``x not in list``). Each is gated many times idle and under a CPU hog on every core
(busy-loop processes this script starts, bounds with a deadline and stops by pid). The budget is the
harshest honest one: the correct solution's own idle median CPU time at n (the survey's ground truth
that fails its own gate by 1.3 ms had set exactly that).

Prints, per condition: the false-fail rate of the correct solution (and inconclusive verdicts), the
detection rate of the wrong one, the CPU spent on the wrong one per gate (against 3x budget + 50 ms),
and the gate's overhead (gate wall time minus the call's own wall time; target <= 5 % or 20 ms).

    python bench/perf_gate_noise.py            # full: >= 500 gated runs of the correct one under load
    python bench/perf_gate_noise.py --quick    # a smoke run (about a minute and a half)
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_gtguard.perf.budget import Complexity, Outcome, PerfBudget, Scaling, relax
from pytest_gtguard.perf.measure import measure, measure_reference
from pytest_gtguard.perf.runner import GateReport, run_gate

HOG = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def dedupe_linear(items: list[int]) -> list[int]:
    seen: set[int] = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def dedupe_quadratic(items: list[int]) -> list[int]:
    out: list[int] = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def make_input(n: int, seed: int = 1234) -> list[int]:
    rng = random.Random(seed + n)
    return [rng.randrange(n) for _ in range(n)]


@dataclass
class Tally:
    gates: int = 0
    failed: int = 0
    inconclusive: int = 0
    child_cpu_ms: list[float] = field(default_factory=list)
    over_ms: list[float] = field(default_factory=list)  # CPU spent beyond 3x the effective budget
    wall_overhead_ms: list[float] = field(default_factory=list)
    wall_overhead_pct: list[float] = field(default_factory=list)
    cpu_overhead_ms: list[float] = field(default_factory=list)
    cpu_overhead_pct: list[float] = field(default_factory=list)

    def add(self, report: GateReport, parent_cpu_ms: float) -> None:
        self.gates += 1
        self.failed += report.outcome is Outcome.FAILED
        self.inconclusive += report.outcome is Outcome.INCONCLUSIVE
        spent = sum(m.child_cpu_ms for m in report.measurements)
        self.child_cpu_ms.append(spent)
        killed = [m.run for m in report.measurements if m.run.killed]
        if killed and report.budget.ms is not None:
            # The effective budget of the gate: ms= x the machine factor of the killed run (never < 1).
            effective = report.budget.ms * relax(killed[-1].ref_ms, report.scaling)
            self.over_ms.append(spent - 3 * effective)
        if report.outcome is Outcome.PASSED:
            wall = sum(m.wall_ms for m in report.measurements)
            call_wall = sum(m.call_wall_ms for m in report.measurements)
            call_cpu = sum(m.run.call_ms for m in report.measurements)
            self.wall_overhead_ms.append(wall - call_wall)
            self.wall_overhead_pct.append(100 * (wall - call_wall) / call_wall if call_wall else 0.0)
            # CPU overhead: fork, reference workload, bookkeeping in both processes; immune to queueing.
            cpu_overhead = parent_cpu_ms + spent - call_cpu
            self.cpu_overhead_ms.append(cpu_overhead)
            self.cpu_overhead_pct.append(100 * cpu_overhead / call_cpu if call_cpu else 0.0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def gate_many(
    label: str, count: int, budget: PerfBudget, scaling: Scaling, solve: Callable[[list[int]], object]
) -> Tally:
    inputs = {size: make_input(size) for size in sorted({budget.n, *_sizes(budget)})}
    tally = Tally()
    started = time.perf_counter()
    for _ in range(count):
        before = time.process_time()
        report = run_gate(budget, scaling, lambda size: lambda data=inputs[size]: solve(data))
        tally.add(report, parent_cpu_ms=(time.process_time() - before) * 1000)
    print(f"  {label}: {count} gates in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return tally


def _sizes(budget: PerfBudget) -> list[int]:
    from pytest_gtguard.perf.growth import sweep_sizes

    return sweep_sizes(budget)


def start_hogs(count: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", HOG.format(seconds=seconds)]) for _ in range(count)]


def stop_hogs(hogs: list[subprocess.Popen[bytes]]) -> None:
    for hog in hogs:
        if hog.poll() is None:
            hog.send_signal(signal.SIGTERM)
    for hog in hogs:
        hog.wait(timeout=10)


def idle_median_ms(n: int, runs: int = 9) -> float:
    data = make_input(n)
    times = [
        measure(lambda: dedupe_linear(data), size=n, wall=False, kill_for_ref=lambda _r: None).run.call_ms
        for _ in range(runs)
    ]
    return statistics.median(times)


def report_line(name: str, correct: Tally, wrong: Tally, budget_ms: float) -> list[str]:
    over = max(wrong.over_ms, default=0.0)
    sweep = "complexity" in name
    label = "sweep cost (all sizes, vs one call at n)" if sweep else "overhead"
    return [
        f"## {name}",
        f"correct O(n): {correct.failed}/{correct.gates} false fails "
        f"({100 * correct.failed / max(correct.gates, 1):.2f} %), {correct.inconclusive} inconclusive",
        f"wrong O(n^2): {wrong.failed}/{wrong.gates} detected "
        f"({100 * wrong.failed / max(wrong.gates, 1):.1f} %), {wrong.inconclusive} inconclusive",
        f"CPU spent on the wrong one per gate (all its measuring processes: fork, reference, call): "
        f"median {statistics.median(wrong.child_cpu_ms):.0f} ms, max {max(wrong.child_cpu_ms):.0f} ms "
        f"(3 x ms= + 50 = {3 * budget_ms + 50:.0f} ms); "
        f"beyond 3x the effective budget (ms= x machine factor): median {pct(wrong.over_ms, 0.5):.0f} ms, "
        f"max {over:.0f} ms (target <= 50 ms: {'OK' if over <= 50 else 'OVER'})",
        f"{label} on the correct one: CPU median {pct(correct.cpu_overhead_ms, 0.5):.1f} ms "
        f"({pct(correct.cpu_overhead_pct, 0.5):.1f} %), p90 {pct(correct.cpu_overhead_ms, 0.9):.1f} ms; "
        f"wall median {pct(correct.wall_overhead_ms, 0.5):.1f} ms "
        f"({pct(correct.wall_overhead_pct, 0.5):.1f} %), "
        f"p90 {pct(correct.wall_overhead_ms, 0.9):.1f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run with few gates")
    parser.add_argument("--n", type=int, default=200_000, help="input size (default 200000)")
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="busy processes (default: cores)")
    args = parser.parse_args()
    correct_idle, correct_load, wrong_count, complexity_count = (20, 40, 8, 6) if args.quick else (200, 500, 60, 40)

    baseline = measure_reference(wall=False)
    budget_ms = idle_median_ms(args.n)
    scaling = Scaling(option=1.0, baseline_ms=baseline)
    plain = PerfBudget(n=args.n, ms=budget_ms)
    growth = PerfBudget(n=args.n, ms=budget_ms, complexity=Complexity.LINEAR)
    lines = [
        f"# perf_gate noise bench ({'quick' if args.quick else 'full'}): n={args.n}, "
        f"budget ms={budget_ms:.1f} (the correct solution's idle median CPU), "
        f"reference baseline {baseline:.2f} ms, "
        f"{os.cpu_count()} cores, {args.hogs} hogs under load, Python {sys.version.split()[0]}",
    ]
    results: dict[str, tuple[Tally, Tally]] = {}
    for condition in ("idle", "load"):
        hogs = start_hogs(args.hogs, seconds=1800) if condition == "load" else []
        try:
            if hogs:
                time.sleep(1.0)
            count = correct_load if condition == "load" else correct_idle
            for name, budget, n_correct, n_wrong in (
                ("plain", plain, count, wrong_count),
                ("complexity O(n)", growth, complexity_count, complexity_count),
            ):
                correct = gate_many(f"{condition} {name} correct", n_correct, budget, scaling, dedupe_linear)
                wrong = gate_many(f"{condition} {name} wrong", n_wrong, budget, scaling, dedupe_quadratic)
                results[f"{condition}, {name} gate"] = (correct, wrong)
        finally:
            stop_hogs(hogs)
    for name, (correct, wrong) in results.items():
        lines += report_line(name, correct, wrong, budget_ms)
    load_correct = results["load, plain gate"][0].gates + results["load, complexity O(n) gate"][0].gates
    load_fails = results["load, plain gate"][0].failed + results["load, complexity O(n) gate"][0].failed
    lines.append(f"## total under load: {load_fails} false fails in {load_correct} gated runs of the correct one")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
