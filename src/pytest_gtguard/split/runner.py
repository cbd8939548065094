"""Plan the runs of a split, and read back what each run wrote.

Each run is ``pytest --before|--after`` in a fresh interpreter with its own PYTHONHASHSEED and test
order, writing ``--gtguard-results`` JSON (never parsed from text). Fresh interpreters are the only way
to vary the hash seed (it is fixed at interpreter start-up). Where the platform can fork, ``split.pool``
forks the runs from pre-started interpreters; ``run_subprocesses`` is the portable path.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_gtguard.results import UNKNOWN_REACH, RunResults, clip

__all__ = [
    "OUTPUT_TAIL",
    "RunOutcome",
    "RunSpec",
    "child_env",
    "command",
    "plan_runs",
    "read_outcome",
    "run_subprocesses",
]

OUTPUT_TAIL = 3000  # what evaluators keep of stdout (survey §3: ~last 3000 chars in 160 scripts)


@dataclass(frozen=True)
class RunSpec:
    """One planned run of one side."""

    side: str  # "before" or "after"
    index: int
    hash_seed: int
    order_seed: int | None  # None keeps pytest's collection order
    trace: bool  # record which sides each test touched (per test: a profile hook on every call)
    watch: bool = False  # record only whether the run reached another side's folder (cheap)


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


def plan_runs(
    runs: int, seed: int, sides: Sequence[str] = ("before", "after"), *, trace: bool = True, watch: bool = False
) -> list[RunSpec]:
    """Return the runs to make, interleaved by side so both sides progress together.

    Run 0 of each side keeps the collection order (and traces side use when ``trace``); later runs
    shuffle the order and use other hash seeds. ``watch`` has every untraced run report whether it
    reached another side (see ``TraceOnReach``). The same ``seed`` gives the same plan.
    """
    specs = []
    for index in range(runs):
        for side in sides:
            order = None if index == 0 else seed * 1000 + index
            traced = trace and index == 0
            specs.append(RunSpec(side, index, seed + index, order, trace=traced, watch=watch and not traced))
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
        return [*queued, RunSpec(spec.side, self._last[spec.side], self._seed, None, trace=True)]


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
) -> list[RunOutcome]:
    """Run every spec as its own ``python -m pytest`` subprocess, ``jobs`` at once (no ``os.fork``).

    Where the platform can fork, ``split.pool`` runs the specs instead, as forks of pre-started
    interpreters; this is the portable path, and the reference the pool must agree with.
    """
    with tempfile.TemporaryDirectory(prefix="gtguard-split-") as tmp:
        workdir = Path(tmp)

        def one(spec: RunSpec) -> RunOutcome:
            outcome = _run_one(
                spec, args=args, cwd=cwd, env=env, timeout=timeout, base=workdir / f"{spec.side}-{spec.index}"
            )
            if on_done is not None:
                on_done(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, specs))


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
    spec: RunSpec, *, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, base: Path
) -> RunOutcome:
    start = time.perf_counter()
    proc = subprocess.Popen(
        command(spec, args, base.with_suffix(".json")),
        cwd=cwd,
        env=child_env(env, spec.hash_seed),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return RunOutcome(
            spec,
            -1,
            None,
            "",
            "",
            time.perf_counter() - start,
            error=f"the {spec.side} run {spec.index + 1} did not finish in {timeout:g} s "
            "(raise --gtguard-run-timeout, or find the hanging test)",
        )
    _write(base, ".out", out)
    _write(base, ".err", err)
    return read_outcome(spec, base, proc.returncode, time.perf_counter() - start)


def read_outcome(spec: RunSpec, base: Path, code: int, duration: float) -> RunOutcome:
    """Return the outcome of a run that ended with ``code``, from the files under ``base``."""
    stdout, stderr = _read(base, ".out"), _read(base, ".err")
    results_path = base.with_suffix(".json")
    if not results_path.exists():
        return RunOutcome(
            spec,
            code,
            None,
            stdout,
            stderr,
            duration,
            error=f"the {spec.side} run {spec.index + 1} exited with {code} before writing results "
            "(a crash, os._exit, or a usage error: see its output)",
        )
    results = RunResults.load(results_path)
    results.duration = duration
    return RunOutcome(spec, code, results, stdout, stderr, duration)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)  # the run and whatever it started
        else:
            proc.kill()
    proc.communicate()


def _read(base: Path, suffix: str) -> str:
    path = base.with_suffix(suffix)
    return clip(path.read_text(errors="replace"), OUTPUT_TAIL) if path.exists() else ""


def _write(base: Path, suffix: str, text: str) -> None:
    base.with_suffix(suffix).write_text(text)


def default_jobs() -> int:
    """Return how many runs to make at once: every core."""
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2))
