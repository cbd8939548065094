"""Plan the runs of a split, and read back what each run wrote.

Each run is ``pytest --before|--after`` in a fresh interpreter with its own PYTHONHASHSEED and test
order, writing ``--gtguard-results`` JSON (never parsed from text). Fresh interpreters are the only way
to vary the hash seed (it is fixed at interpreter start-up). Where the platform can fork, ``split.pool``
forks the runs from pre-started interpreters; ``run_subprocesses`` is the portable path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_gtguard import _procs
from pytest_gtguard.results import UNKNOWN_REACH, RunResults, clip
from pytest_gtguard.split.neighbours import random_seed, randomly_args

__all__ = [
    "OUTPUT_TAIL",
    "SLOW_AFTER",
    "RunOutcome",
    "RunSpec",
    "SlowRuns",
    "child_env",
    "command",
    "current_test",
    "last_started",
    "plan_runs",
    "read_outcome",
    "run_subprocesses",
]

OUTPUT_TAIL = 3000  # what evaluators keep of stdout (survey §3: ~last 3000 chars in 160 scripts)
SLOW_AFTER = 60.0  # seconds a run goes on before the parent says so, and again every as many seconds
CURRENT_SUFFIX = ".current"  # beside a run's results file: the test it is in (``split.channel`` writes it)


@dataclass(frozen=True)
class RunSpec:
    """One planned run of one side."""

    side: str  # "before" or "after"
    index: int
    hash_seed: int
    order_seed: int | None  # None keeps pytest's collection order
    trace: bool  # record which sides each test touched (per test: a profile hook on every call)
    watch: bool = False  # record only whether the run reached another side's folder (cheap)
    random_seed: int | None = None  # pytest-randomly's --randomly-seed for the run; None: not installed/used


@dataclass
class RunOutcome:
    """What one run produced; ``results`` is None when the run crashed before writing them."""

    spec: RunSpec
    returncode: int
    results: RunResults | None
    stdout: str
    stderr: str
    duration: float
    error: str | None = None
    signal: str | None = None  # the signal the run died of ("SIGKILL", "SIGSEGV"), None when it exited
    last_test: str | None = None  # the test that had started and not finished when the run ended


def plan_runs(
    runs: int,
    seed: int,
    sides: Sequence[str] = ("before", "after"),
    *,
    trace: bool = True,
    watch: bool = False,
    randomly: bool = False,
) -> list[RunSpec]:
    """Return the runs to make, interleaved by side so both sides progress together.

    Run 0 of each side keeps the collection order (and traces side use when ``trace``); later runs
    shuffle the order and use other hash seeds. ``watch`` has every untraced run report whether it
    reached another side (see ``TraceOnReach``). ``randomly`` gives each run a pytest-randomly seed
    (``neighbours.random_seed``). The same ``seed`` gives the same plan.
    """
    specs = []
    for index in range(runs):
        for side in sides:
            order = None if index == 0 else seed * 1000 + index
            traced = trace and index == 0
            rnd = random_seed(seed, index) if randomly else None
            specs.append(RunSpec(side, index, seed + index, order, traced, watch and not traced, rnd))
    return specs


class TraceOnReach:
    """Give a side a traced run once one of its watched runs reached the other side's folder.

    Tracing every call (the per-test attribution of side use) slows a run down; most tasks whose tests
    name a side folder never load the other side at all. So every run only watches (``watch``), and
    the first time a run of one side reports the other side's folder, the next queued run of that side
    becomes a traced one, or, when none is left, one traced run is added (hash seed of run 0, pytest's
    order). Used as ``ZygotePool.run``'s ``follow_up``.
    """

    def __init__(self, seed: int, planned: Sequence[RunSpec]) -> None:
        self._seed = seed
        self._traced = {spec.side for spec in planned if spec.trace}
        self._last = {spec.side: max(s.index for s in planned if s.side == spec.side) for spec in planned}
        self._random = next((spec.random_seed for spec in planned if spec.index == 0), None)

    def __call__(self, outcome: RunOutcome, queued: list[RunSpec]) -> list[RunSpec]:
        """Return the queue to go on with after ``outcome``."""
        spec, results = outcome.spec, outcome.results
        other = "after" if spec.side == "before" else "before"
        if results is None or spec.side in self._traced or not {other, UNKNOWN_REACH} & set(results.reached):
            return queued
        self._traced.add(spec.side)
        for position, pending in enumerate(queued):
            if pending.side == spec.side:
                return [*queued[:position], replace(pending, trace=True, watch=False), *queued[position + 1 :]]
        self._last[spec.side] += 1
        # The added run repeats run 0's conditions: its hash seed, pytest's order, its pytest-randomly seed.
        return [*queued, RunSpec(spec.side, self._last[spec.side], self._seed, None, True, random_seed=self._random)]


def command(spec: RunSpec, args: Sequence[str], results_path: Path) -> list[str]:
    """Return the pytest command line for ``spec``."""
    cmd = [sys.executable, "-m", "pytest", *args, f"--{spec.side}", "-p", "no:cacheprovider"]
    # A module that cannot import (typical on before) must not stop the other modules' tests: the split
    # wants every test's outcome, and its module's tests count as errors anyway.
    cmd.append("--continue-on-collection-errors")
    cmd += ["--gtguard-results", str(results_path)]
    if spec.order_seed is not None:
        cmd += ["--gtguard-shuffle", str(spec.order_seed)]
    if spec.trace:
        cmd.append("--gtguard-trace-sides")
    elif spec.watch:
        cmd.append("--gtguard-reach-sides")
    if spec.random_seed is not None:
        cmd += randomly_args(spec.random_seed)
    return cmd


def run_subprocesses(
    specs: Sequence[RunSpec],
    *,
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    jobs: int,
    timeout: float,
    on_done: Callable[[RunOutcome], None] | None = None,
    notes: Callable[[str], None] | None = None,
    slow_after: float = SLOW_AFTER,
) -> list[RunOutcome]:
    """Run every spec as its own ``python -m pytest`` subprocess, ``jobs`` at once (no ``os.fork``).

    Where the platform can fork, ``split.pool`` runs the specs instead, as forks of pre-started
    interpreters; this is the portable path, and the reference the pool must agree with. ``notes``
    gets a line every ``slow_after`` seconds a run goes on (stderr by default). On SIGTERM the runs'
    groups are killed and the temp folder removed before the process ends.
    """
    workdir = _procs.temp_dir("split")
    started: dict[RunSpec, tuple[subprocess.Popen[bytes], float]] = {}

    def one(spec: RunSpec) -> RunOutcome:
        base = workdir / f"{spec.side}-{spec.index}"
        outcome = _run_one(spec, args=args, cwd=cwd, env=env, timeout=timeout, base=base, started=started)
        if on_done is not None:
            on_done(outcome)
        return outcome

    def terminate() -> None:
        for proc, _ in list(started.values()):
            _procs.kill_group(proc.pid)
        _procs.remove_tree(workdir)

    slow = SlowRuns(notes or write_note, slow_after)
    try:
        with _procs.on_terminate(terminate), ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(one, spec) for spec in specs]
            while not all(future.done() for future in futures):
                starts = {spec: start for spec, (_, start) in list(started.items())}
                wait(futures, timeout=slow.wait(starts) if starts else 0.05)
                slow.check({spec: start for spec, (_, start) in list(started.items())}, workdir)
            return [future.result() for future in futures]
    except BaseException:  # Ctrl-C: the runs end now, not when they are done
        for proc, _ in list(started.values()):
            _procs.kill_group(proc.pid)
        raise
    finally:
        _procs.remove_tree(workdir)  # a Ctrl-C landing here still removes all of it


def write_note(line: str) -> None:
    """Print one progress line on the parent's stderr."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class SlowRuns:
    """Say which runs go on for long, how long, and in which test: every ``every`` seconds of each run."""

    def __init__(self, notes: Callable[[str], None], every: float) -> None:
        self._notes = notes
        self._every = every
        self._noted: dict[RunSpec, int] = {}

    def _due(self, spec: RunSpec, start: float) -> float:
        return start + self._every * (self._noted.get(spec, 0) + 1)

    def wait(self, running: Mapping[RunSpec, float]) -> float:
        """Return how long the caller may wait before the next note is due (``running``: spec -> start)."""
        now = time.perf_counter()
        due = [self._due(spec, start) for spec, start in list(running.items())]
        return max(0.0, min(due, default=now + self._every) - now)

    def check(self, running: Mapping[RunSpec, float], workdir: Path) -> None:
        """Note each run in ``running`` (spec -> start) whose note is due; its files are under ``workdir``."""
        now = time.perf_counter()
        for spec, start in list(running.items()):
            if now >= self._due(spec, start):
                self._noted[spec] = int((now - start) // self._every)
                test = current_test(workdir / f"{spec.side}-{spec.index}")
                self._notes(slow_note(spec, now - start, test))


def slow_note(spec: RunSpec, seconds: float, test: str | None) -> str:
    """Return the line that says a run goes on: which run, for how long, in which test."""
    minutes, secs = divmod(int(seconds), 60)
    took = f"{minutes} min {secs} s" if minutes else f"{secs} s"
    where = f"in {test}" if test else "not in a test (collecting, or between tests)"
    return (
        f"gtguard: the {spec.side} run {spec.index + 1} (PYTHONHASHSEED={spec.hash_seed}) has been running "
        f"for {took}, {where}"
    )


def current_test(base: Path) -> str | None:
    """Return the test a run has started and not finished, from its channel's ``.current`` file."""
    running, last, _ = last_started(base)
    return last if running else None


def last_started(base: Path) -> tuple[bool, str | None, str | None]:
    """Return whether a run is in a test, the last test it started, and the one before (``split.channel``)."""
    try:
        text = base.with_suffix(CURRENT_SUFFIX).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False, None, None
    state, last, previous = [*text.split("\n"), "", ""][:3]
    return state == "running", last or None, previous or None


def child_env(env: Mapping[str, str], hash_seed: int) -> dict[str, str]:
    """Return the environment of one run: the hash seed, and no side chosen by the parent's env."""
    out = {k: v for k, v in env.items() if k not in ("GTGUARD_SIDE", "PYTHONDONTWRITEBYTECODE")}
    out["PYTHONHASHSEED"] = str(hash_seed)
    # Bytecode (pytest's rewritten test modules included) goes to a cache of gtguard's, never into the
    # user's trees; without any cache every run would recompile and re-rewrite everything it imports.
    out.setdefault("PYTHONPYCACHEPREFIX", str(pycache_dir()))
    return out


def pycache_dir() -> Path:
    """Return the persistent bytecode cache of split runs (per user, in the system's temp folder)."""
    return Path(tempfile.gettempdir()) / f"gtguard-pycache-{os.getuid() if hasattr(os, 'getuid') else 0}"


def _run_one(
    spec: RunSpec,
    *,
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    base: Path,
    started: dict[RunSpec, tuple[subprocess.Popen[bytes], float]],
) -> RunOutcome:
    """Run one spec; its output goes to files (a background process holding a pipe would hold us too)."""
    start = time.perf_counter()
    with base.with_suffix(".out").open("wb") as out, base.with_suffix(".err").open("wb") as err:
        proc = subprocess.Popen(
            command(spec, args, base.with_suffix(".json")),
            cwd=cwd,
            env=child_env(env, spec.hash_seed),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    started[spec] = (proc, start)
    try:
        finished = _procs.wait_ended(proc.pid, timeout, proc.wait)
        _procs.kill_group(proc.pid)  # what the run started goes with it (not reaped yet: the group is ours)
        proc.wait()
    finally:
        started.pop(spec, None)
    duration = time.perf_counter() - start
    outcome = read_outcome(spec, base, proc.returncode, duration)
    if not finished:
        outcome.results, outcome.returncode, outcome.signal = None, -1, None
        outcome.error = (
            f"the {spec.side} run {spec.index + 1} did not finish in {timeout:g} s "
            "(raise --gtguard-run-timeout, or find the hanging test)"
        )
    return outcome


def read_outcome(spec: RunSpec, base: Path, code: int, duration: float) -> RunOutcome:
    """Return the outcome of a run that ended with ``code``, from the files under ``base``.

    A negative ``code`` is a signal (as ``subprocess`` reports it); a run forked by a zygote that died
    of a signal has its name in ``<base>.status`` instead (its keeper wrote it).
    """
    stdout, stderr = _read(base, ".out"), _read(base, ".err")
    results_path = base.with_suffix(".json")
    died_of = _procs.signal_name(-code) if code < 0 else _status(base)
    if died_of is not None and died_of in signal.Signals.__members__:
        code = -signal.Signals[died_of].value
    last_test = current_test(base)
    if not results_path.exists():
        how = f"died of {died_of}" if died_of else f"exited with {code}"
        during = f" during {last_test}" if last_test else ""
        return RunOutcome(
            spec,
            code,
            None,
            stdout,
            stderr,
            duration,
            error=f"the {spec.side} run {spec.index + 1} {how}{during} before writing results "
            "(a crash, os._exit, or a usage error: see its output)",
            signal=died_of,
            last_test=last_test,
        )
    results = RunResults.load(results_path)
    results.duration = duration
    return RunOutcome(spec, code, results, stdout, stderr, duration, signal=died_of, last_test=last_test)


def _status(base: Path) -> str | None:
    try:
        return base.with_suffix(".status").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _read(base: Path, suffix: str) -> str:
    path = base.with_suffix(suffix)
    return clip(path.read_text(errors="replace"), OUTPUT_TAIL) if path.exists() else ""


def default_jobs() -> int:
    """Return how many runs to make at once: every core."""
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2))
