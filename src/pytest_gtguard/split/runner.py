"""Run pytest against each side several times, in fresh interpreters, and read back their results.

Each run is a ``python -m pytest --before|--after`` subprocess with its own PYTHONHASHSEED and test
order, writing ``--gtguard-results`` JSON (never parsed from text). Fresh interpreters are the only way
to vary the hash seed (it is fixed at interpreter start-up). Runs of both sides are interleaved on a
pool as wide as the machine, so the two sides overlap in time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.results import RunResults, clip

__all__ = ["RunOutcome", "RunSpec", "plan_runs", "run_all"]

_OUTPUT_TAIL = 3000  # what evaluators keep of stdout (survey §3: ~last 3000 chars in 160 scripts)


@dataclass(frozen=True)
class RunSpec:
    """One planned run of one side."""

    side: str  # "before" or "after"
    index: int
    hash_seed: int
    order_seed: int | None  # None keeps pytest's collection order
    trace: bool  # record which sides each test touched (first run of each side)


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


def plan_runs(runs: int, seed: int, sides: Sequence[str] = ("before", "after")) -> list[RunSpec]:
    """Return the runs to make, interleaved by side so both sides progress together.

    Run 0 of each side keeps the collection order and traces; later runs shuffle the order and use
    other hash seeds. The same ``seed`` gives the same plan.
    """
    specs = []
    for index in range(runs):
        for side in sides:
            order = None if index == 0 else seed * 1000 + index
            specs.append(RunSpec(side, index, hash_seed=seed + index, order_seed=order, trace=index == 0))
    return specs


def command(spec: RunSpec, args: Sequence[str], results_path: Path) -> list[str]:
    """Return the pytest command line for ``spec``."""
    cmd = [sys.executable, "-m", "pytest", *args, f"--{spec.side}", "-p", "no:cacheprovider"]
    cmd += ["--gtguard-results", str(results_path)]
    if spec.order_seed is not None:
        cmd += ["--gtguard-shuffle", str(spec.order_seed)]
    if spec.trace:
        cmd.append("--gtguard-trace-sides")
    return cmd


def run_all(
    specs: Sequence[RunSpec],
    *,
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    jobs: int,
    timeout: float,
    on_done: Callable[[RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Run every spec (``jobs`` at a time) and return their outcomes in ``specs`` order."""
    with tempfile.TemporaryDirectory(prefix="gtguard-split-") as tmp:
        workdir = Path(tmp)

        def one(spec: RunSpec) -> RunOutcome:
            outcome = _run_one(spec, args=args, cwd=cwd, env=env, timeout=timeout, workdir=workdir)
            if on_done is not None:
                on_done(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, specs))


def child_env(env: Mapping[str, str], spec: RunSpec) -> dict[str, str]:
    """Return the environment of one run: the hash seed, and no side chosen by the parent's env."""
    out = {k: v for k, v in env.items() if k not in ("GTGUARD_SIDE", "PYTEST_ADDOPTS_GTGUARD")}
    out["PYTHONHASHSEED"] = str(spec.hash_seed)
    out["PYTHONDONTWRITEBYTECODE"] = "1"  # never write caches into the user's trees
    return out


def _run_one(
    spec: RunSpec, *, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, workdir: Path
) -> RunOutcome:
    results_path = workdir / f"{spec.side}-{spec.index}.json"
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            command(spec, args, results_path),
            cwd=cwd,
            env=child_env(env, spec),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return RunOutcome(
            spec,
            -1,
            None,
            _text(exc.stdout),
            _text(exc.stderr),
            time.perf_counter() - start,
            error=f"the {spec.side} run {spec.index + 1} did not finish in {timeout:g} s "
            "(raise --gtguard-run-timeout, or find the hanging test)",
        )
    duration = time.perf_counter() - start
    stdout, stderr = clip(proc.stdout, _OUTPUT_TAIL), clip(proc.stderr, _OUTPUT_TAIL)
    if not results_path.exists():
        return RunOutcome(
            spec,
            proc.returncode,
            None,
            stdout,
            stderr,
            duration,
            error=f"the {spec.side} run {spec.index + 1} exited with {proc.returncode} before writing results "
            "(a crash, os._exit, or a usage error: see its output below)",
        )
    results = RunResults.load(results_path)
    results.duration = duration
    return RunOutcome(spec, proc.returncode, results, stdout, stderr, duration)


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    return clip(raw.decode(errors="replace") if isinstance(raw, bytes) else raw, _OUTPUT_TAIL)


def default_jobs() -> int:
    """Return how many runs to make at once: every core."""
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2))
