"""Run pytest against each side several times, in fresh interpreters, and read back their results.

Each run is a ``python -m pytest --before|--after`` subprocess with its own PYTHONHASHSEED and test
order, writing ``--gtguard-results`` JSON (never parsed from text). Fresh interpreters are the only way
to vary the hash seed (it is fixed at interpreter start-up). Runs of both sides are interleaved on a
pool as wide as the machine, so the two sides overlap in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
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

_CAN_FORK = hasattr(os, "fork")
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


def plan_runs(runs: int, seed: int, sides: Sequence[str] = ("before", "after"), *, trace: bool = True) -> list[RunSpec]:
    """Return the runs to make, interleaved by side so both sides progress together.

    Run 0 of each side keeps the collection order (and traces side use when ``trace``); later runs
    shuffle the order and use other hash seeds. The same ``seed`` gives the same plan.
    """
    specs = []
    for index in range(runs):
        for side in sides:
            order = None if index == 0 else seed * 1000 + index
            specs.append(RunSpec(side, index, hash_seed=seed + index, order_seed=order, trace=trace and index == 0))
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
    """Run every spec and return their outcomes in ``specs`` order.

    Specs that share a hash seed run as forks of one zygote interpreter (see ``zygote``); ``jobs``
    zygotes run at once. Without ``os.fork`` each spec is its own subprocess.
    """
    batches: dict[int, list[RunSpec]] = {}
    for spec in specs:
        batches.setdefault(spec.hash_seed if _CAN_FORK else id(spec), []).append(spec)
    with tempfile.TemporaryDirectory(prefix="gtguard-split-") as tmp:
        workdir = Path(tmp)

        def one(batch: list[RunSpec]) -> list[RunOutcome]:
            outcomes = _run_batch(batch, args=args, cwd=cwd, env=env, timeout=timeout, workdir=workdir)
            for outcome in outcomes:
                if on_done is not None:
                    on_done(outcome)
            return outcomes

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            done = {o.spec: o for outcomes in pool.map(one, batches.values()) for o in outcomes}
    return [done[spec] for spec in specs]


def child_env(env: Mapping[str, str], spec: RunSpec) -> dict[str, str]:
    """Return the environment of one run: the hash seed, and no side chosen by the parent's env."""
    out = {k: v for k, v in env.items() if k not in ("GTGUARD_SIDE", "PYTHONDONTWRITEBYTECODE")}
    out["PYTHONHASHSEED"] = str(spec.hash_seed)
    # Bytecode (pytest's rewritten test modules included) goes to a cache of gtguard's, never into the
    # user's trees; without any cache every run would recompile and re-rewrite everything it imports.
    out.setdefault("PYTHONPYCACHEPREFIX", str(pycache_dir()))
    return out


def pycache_dir() -> Path:
    """Return the persistent bytecode cache of split runs (per user, in the system's temp folder)."""
    return Path(tempfile.gettempdir()) / f"gtguard-pycache-{os.getuid() if hasattr(os, 'getuid') else 0}"


def _run_batch(
    batch: Sequence[RunSpec], *, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float, workdir: Path
) -> list[RunOutcome]:
    files = {spec: workdir / f"{spec.side}-{spec.index}" for spec in batch}
    runs = [
        {
            "argv": command(spec, args, files[spec].with_suffix(".json"))[3:],
            "stdout": str(files[spec].with_suffix(".out")),
            "stderr": str(files[spec].with_suffix(".err")),
        }
        for spec in batch
    ]
    start = time.perf_counter()
    if _CAN_FORK:
        cmd = [sys.executable, "-m", "pytest_gtguard.split.zygote"]
        stdin = json.dumps(runs)
    else:
        cmd, stdin = [sys.executable, "-m", "pytest", *runs[0]["argv"]], ""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=child_env(env, batch[0]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return [
            RunOutcome(
                spec,
                -1,
                None,
                _read(files[spec], ".out"),
                _read(files[spec], ".err"),
                time.perf_counter() - start,
                error=f"the {spec.side} run {spec.index + 1} did not finish in {timeout:g} s "
                "(raise --gtguard-run-timeout, or find the hanging test)",
            )
            for spec in batch
        ]
    if _CAN_FORK:
        try:
            report = json.loads(out)
            codes, durations = report["codes"], report["durations"]
        except (ValueError, KeyError):
            codes, durations = [proc.returncode] * len(batch), [time.perf_counter() - start] * len(batch)
            err = f"gtguard's zygote failed (exit {proc.returncode}): {clip(err, _OUTPUT_TAIL)}"
    else:
        codes, durations = [proc.returncode], [time.perf_counter() - start]
        _write(files[batch[0]], ".out", out)
        _write(files[batch[0]], ".err", err)
    return [
        _outcome(spec, files[spec], code, duration)
        for spec, code, duration in zip(batch, codes, durations, strict=True)
    ]


def _outcome(spec: RunSpec, base: Path, code: int, duration: float) -> RunOutcome:
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
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def _read(base: Path, suffix: str) -> str:
    path = base.with_suffix(suffix)
    return clip(path.read_text(errors="replace"), _OUTPUT_TAIL) if path.exists() else ""


def _write(base: Path, suffix: str, text: str) -> None:
    base.with_suffix(suffix).write_text(text)


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    return clip(raw.decode(errors="replace") if isinstance(raw, bytes) else raw, _OUTPUT_TAIL)


def default_jobs() -> int:
    """Return how many runs to make at once: every core."""
    return max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2))
