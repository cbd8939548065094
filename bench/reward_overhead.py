"""Time of `gtguard grade` per candidate against a bare `pytest --repo` run of the same tree.

The acceptance of `gtguard grade`: grading the bundled example's ground truth costs at most 1.3x a
bare `pytest --repo=repository_after` run per candidate with OS isolation on, and `--jobs 2` keeps
both cores busy. Everything runs on a copy of the task in a temp dir (examples/wordstats, or
--task PATH), with the grade cache in that temp dir too, warmed by one untimed call first: what an RL
loop sees after its first call. Four figures, from --repeat interleaved rounds (median and range):

1. one candidate, one call: `gtguard grade TASK TASK/repository_after` against the bare run
   (`python -m pytest --repo=repository_after -q -p no:cacheprovider`, from the task). The grade
   call also pays its own interpreter, the task's fingerprint and the cache read;
2. per candidate inside one call: --candidates copies of repository_after graded by ONE call,
   against as many bare runs one after the other; the figure that matters at RL scale. Also the
   marginal cost of a candidate: (the N-candidate call - the 1-candidate call) / (N - 1);
3. the same N-candidate call with `--jobs 2`: wall time, its speedup over `--jobs 1`, and the CPU
   it used: (user + system) / wall of the call and everything under it (2.00 = two cores busy);
4. the machine: CPUs, load, how much of a second core two CPU-bound processes got per round (other
   jobs share it), and the cost of starting bubblewrap alone against `true`.

Each line gives wall time and, beside it, CPU time (user + system of everything the command started),
with a ratio for each: on a shared machine the neighbours' load moves wall time far more than CPU time.

CPU time comes from getrusage(RUSAGE_CHILDREN), which counts only children that were waited for.
bubblewrap's outer process exits without waiting for the pid-1 process of its namespace (that one
reaps the run), so the bench makes itself a child subreaper: the orphaned pid 1 is handed to the
bench, which reaps it, and the sandboxed run's CPU time is counted.

Bytecode caching is on, as on a user's machine, even where this machine's environment sets
PYTHONDONTWRITEBYTECODE (the sandboxed run itself is started with -B by the grader).

    python bench/reward_overhead.py [--repeat 7] [--candidates 8] [--isolation namespaces] [--task PATH]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_gtguard.reward.model import Isolation
from pytest_gtguard.reward.sandbox import SandboxUnavailable, can_drop_privileges, choose_isolation

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "wordstats"
GTGUARD = str(Path(sys.executable).parent / "gtguard")
BWRAP = ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
_SPIN = "total = 0\nfor i in range(3_000_000):\n    total += i * i % 7\n"  # a fixed amount of work
_PR_SET_CHILD_SUBREAPER = 36


def copy_task(source: Path, root: Path) -> None:
    """Copy a task (without caches, reports or VCS data) into ``root``."""
    ignore = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", "evaluation", "*.pyc")
    shutil.copytree(source, root, ignore=ignore, dirs_exist_ok=True)


def compile_gtguard() -> None:
    """Give gtguard the bytecode a wheel install has (pip compiles it): this machine may set
    PYTHONDONTWRITEBYTECODE, and an editable install would then recompile gtguard in every run."""
    import compileall

    import pytest_gtguard

    compileall.compile_dir(Path(pytest_gtguard.__file__).parent, quiet=1)


def adopt_orphans() -> bool:
    """Make this process a child subreaper (Linux), so the sandbox's orphaned pid 1 is reaped here."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap(deadline: float = 5.0) -> None:
    """Wait for every orphan handed to this process (their CPU time then counts in RUSAGE_CHILDREN)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.001)


def measured(fn: Callable[[], object]) -> tuple[float, float]:
    """Run ``fn``; return its wall time and the CPU time (user + system) of the processes it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Bench:
    """The commands timed, on one copy of the task."""

    def __init__(self, task: Path, candidates: Sequence[Path], isolation: str, env: dict[str, str]) -> None:
        self.task, self.candidates, self.isolation, self.env = task, list(candidates), isolation, env

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(argv, cwd=self.task, env=self.env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(argv)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc

    def grade(self, candidates: Sequence[Path], jobs: int = 1) -> str:
        """``gtguard grade`` of ``candidates`` in one call; return its JSON lines."""
        argv = [GTGUARD, "grade", str(self.task), *map(str, candidates), "--isolation", self.isolation, "--json"]
        return self._run([*argv, "--jobs", str(jobs)]).stdout

    def grade_one(self) -> None:
        # After the first bare run the ground truth holds that run's __pycache__: the grader leaves it
        # out of the workspace and notes bytecode-shipped, which does not change the reward.
        self.grade([self.task / "repository_after"])

    def grade_all(self, jobs: int = 1) -> None:
        self.grade(self.candidates, jobs)

    def bare(self) -> None:
        """The bare run: plain pytest on the ground truth, from the task, as a user would type it."""
        self._run([sys.executable, "-m", "pytest", "--repo=repository_after", "-q", "-p", "no:cacheprovider"])

    def bare_all(self) -> None:
        for _ in self.candidates:
            self.bare()


def check_grades(output: str, count: int) -> None:
    """Stop unless every candidate was graded +1: a bench of failing grades times the wrong thing."""
    grades = [json.loads(line) for line in output.splitlines() if line.strip()]
    if len(grades) != count or any(g["reward"] != 1.0 for g in grades):
        sys.exit(f"the ground truth did not grade +1 every time:\n{output}")


def parallel_speedup() -> float:
    """Return how much faster two CPU-bound processes finish together than one after the other.

    2.0 is two whole cores. On a shared machine the second core comes and goes with the neighbours'
    load, and `--jobs 2` feels it: printed next to its speedup.
    """

    def spin(n: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    return 2 * spin(1) / spin(2)


def startup_ms(argv: list[str], runs: int) -> float:
    """Return the median wall time (ms) of starting ``argv`` and waiting for it."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def spread(values: Sequence[float], unit: str = "s", scale: float = 1.0) -> str:
    """Return 'median unit (min-max)'."""
    med, low, high = (scale * v for v in (statistics.median(values), min(values), max(values)))
    digits = 0 if unit == "ms" else 2
    return f"{med:.{digits}f} {unit} ({low:.{digits}f}-{high:.{digits}f})"


def ratios(top: Sequence[float], bottom: Sequence[float]) -> str:
    """Return the ratio of the medians and the median of the rounds' own ratios."""
    of_medians = statistics.median(top) / statistics.median(bottom)
    paired = [x / y for x, y in zip(top, bottom, strict=True)]
    return (
        f"{of_medians:.2f}x; median of the rounds' ratios {statistics.median(paired):.2f}x "
        f"(range {min(paired):.2f}-{max(paired):.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--candidates", type=int, default=8, help="candidates graded by one call (N >= 2)")
    parser.add_argument("--isolation", choices=["auto", "namespaces", "process"], default="namespaces")
    parser.add_argument("--task", type=Path, default=EXAMPLE, help="a task folder to copy and use instead")
    opts = parser.parse_args()
    if opts.candidates < 2:
        parser.error("--candidates takes 2 or more")
    if not (opts.task / "repository_after").is_dir():
        parser.error(f"--task {opts.task}: no repository_after/ to grade")
    try:
        level = choose_isolation(opts.isolation)  # what `auto` resolves to
    except SandboxUnavailable as exc:
        parser.error(str(exc))
    compile_gtguard()
    counted = adopt_orphans()
    n = opts.candidates
    with tempfile.TemporaryDirectory(prefix="reward-bench-") as tmp:
        root = Path(tmp)
        task = root / "task"
        copy_task(opts.task, task)
        candidates = [root / "candidates" / f"c{i}" for i in range(n)]
        for cand in candidates:
            copy_task(task / "repository_after", cand)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["GTGUARD_CACHE_DIR"] = str(root / "cache")
        bench = Bench(task, candidates, opts.isolation, env)
        # Untimed: fills the grade cache (the ground truth's run), warms the page cache, checks the task.
        check_grades(bench.grade([task / "repository_after"]), 1)
        check_grades(bench.grade(candidates, 2), n)
        bench.bare()
        reap()  # the warm-up's sandboxed runs, so that their CPU time is not counted in the first round
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in ("one", "bare", "many", "bare_n", "many2")}
        speedup = []
        for _ in range(opts.repeat):  # interleaved, so load changes hit all alike
            times["one"].append(measured(bench.grade_one))
            times["bare"].append(measured(bench.bare))
            times["many"].append(measured(bench.grade_all))
            times["bare_n"].append(measured(bench.bare_all))
            times["many2"].append(measured(lambda: bench.grade_all(jobs=2)))
            speedup.append(parallel_speedup())
        bwrap = shutil.which("bwrap")
        runs = max(5, opts.repeat)
        true_ms = startup_ms(["true"], runs)
        bwrap_ms = startup_ms([bwrap, *BWRAP], runs) if bwrap else None

    wall = {k: [w for w, _ in v] for k, v in times.items()}
    cpu = {k: [c for _, c in v] for k, v in times.items()}
    one, bare, many, bare_n, many2 = (wall[k] for k in ("one", "bare", "many", "bare_n", "many2"))
    name = opts.task.resolve().name
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"task {name}; --isolation {opts.isolation} ({level.value}); median (range) of {opts.repeat} interleaved rounds"
    )
    print(
        f"machine: os.cpu_count() {os.cpu_count()}, sched_getaffinity {affinity} CPUs, load average {load} "
        "(at the end; the bench's own runs count about 1)"
    )
    print(
        f"two CPU-bound processes at once ran {statistics.median(speedup):.2f}x as fast as one after the other "
        f"(2.00 = two whole cores; range {min(speedup):.2f}-{max(speedup):.2f})"
    )
    if bwrap_ms is None:
        print(f"starting `true`: {true_ms:.1f} ms; bwrap not installed")
    else:
        print(f"starting `true`: {true_ms:.1f} ms; `bwrap --unshare-all ... true`: {bwrap_ms:.1f} ms")
    if not counted:
        print("not a child subreaper here: the CPU time of runs inside bubblewrap may be missing below")
    print()
    print("1. one candidate per call (warm cache)")
    print(f"   gtguard grade TASK TASK/repository_after: {spread(one)}, CPU {spread(cpu['one'])}")
    print(f"   bare pytest --repo=repository_after:      {spread(bare)}, CPU {spread(cpu['bare'])}")
    print(f"   ratio: {ratios(one, bare)}")
    print(f"   CPU time ratio: {ratios(cpu['one'], cpu['bare'])}")
    print(f"2. {n} candidates in one call, against {n} bare runs one after the other")
    print(f"   gtguard grade, {n} candidates, --jobs 1:   {spread(many)}, CPU {spread(cpu['many'])}")
    print(f"   {n} bare runs:                             {spread(bare_n)}, CPU {spread(cpu['bare_n'])}")
    per = spread([t / n for t in many], "ms", 1000)
    print(f"   per candidate: {per} against {spread([t / n for t in bare_n], 'ms', 1000)} a bare run")
    marginal = [(m - o) / (n - 1) for m, o in zip(many, one, strict=True)]
    print(f"   marginal cost of a candidate, (call of {n} - call of 1) / {n - 1}: {spread(marginal, 'ms', 1000)}")
    print(f"   ratio per candidate: {ratios(many, bare_n)}  (target <= 1.3x)")
    print(f"   CPU time ratio per candidate: {ratios(cpu['many'], cpu['bare_n'])}")
    print(f"3. the same {n} candidates with --jobs 2")
    print(f"   gtguard grade --jobs 2:                    {spread(many2)}, CPU {spread(cpu['many2'])}")
    print(f"   speedup over --jobs 1: {ratios(many, many2)}")
    used1 = [c / w for c, w in zip(cpu["many"], many, strict=True)]
    used2 = [c / w for c, w in zip(cpu["many2"], many2, strict=True)]
    print(f"   CPU used, (user+sys)/wall: --jobs 2 {spread(used2, 'cores')}; --jobs 1 {spread(used1, 'cores')}")
    print(f"   ratio per candidate with --jobs 2 against the sequential bare runs: {ratios(many2, bare_n)}")
    if level is Isolation.PROCESS and not can_drop_privileges():
        print("   (process isolation, no drop to `nobody`: the grader runs one candidate at a time, whatever --jobs)")


if __name__ == "__main__":
    main()
