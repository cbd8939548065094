"""Signal the split and ``pytest --meta`` at random points; check that nothing is left or lost.

Usage::

    python bench/fault_signals.py --rounds 30 --seed 1
    python bench/fault_signals.py --rounds 2 --targets split --signals TERM

For each target (``pytest --before --after``, ``pytest --meta``) and each signal (SIGKILL, SIGINT,
SIGTERM), ``--rounds`` times: start the command on a copy of ``examples/wordstats`` in a temp folder
(its own session, a marker in its environment, its own TMPDIR), send the signal to the pytest process
after a random delay (seeded with ``--seed``; between 0 and 1.2 times the command's measured duration,
so some signals land after it ended), then check:

- the task tree is byte-identical (bytecode goes to a cache outside it, as in a CI run with
  ``PYTHONPYCACHEPREFIX``);
- no process carrying the marker is left (looked up in ``/proc/*/environ``, zombies excluded) once
  a few seconds passed;
- the report a consumer reads (``report.json``, ``mutation-report.json``) is absent or complete JSON;
- gtguard's temp folders are gone (after SIGKILL: once the rerun swept them);
- a rerun, without a signal, exits as a clean run does, and leaves no process either.

Prints a table of counts per signal and target; exits 1 when any check failed. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "wordstats"
SIGNALS = {"KILL": signal.SIGKILL, "INT": signal.SIGINT, "TERM": signal.SIGTERM}
CHECKS = ("tree", "processes", "report", "temp", "rerun")
_GRACE = 10.0  # seconds for killed processes to go (signals land asynchronously)
_MARK = "GTGUARD_FAULT_BENCH"


@dataclass(frozen=True)
class Target:
    """One command under test and the report it writes."""

    name: str
    args: tuple[str, ...]
    report: str  # file name inside the out folder

    def argv(self, out: Path) -> list[str]:
        """Return the command line, its report going under ``out``."""
        where = str(out / self.report) if self.name == "split" else str(out)
        return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *self.args, where, "-q"]


TARGETS = {
    "split": Target("split", ("--before", "--after", "--gtguard-runs", "2", "--gtguard-report"), "report.json"),
    "meta": Target(
        "meta", ("--meta", "--gtguard-meta-max-mutants", "6", "--gtguard-meta-report"), "mutation-report.json"
    ),
}


@dataclass
class Tally:
    """Counts of one signal x target."""

    rounds: int = 0
    ended_first: int = 0  # the command had ended before the signal was sent
    ok: Counter[str] = field(default_factory=Counter)
    codes: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _marked(mark: str) -> list[int]:
    """Return the live (not zombie) processes whose environment carries ``mark``."""
    needle = f"{_MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
        except OSError:
            continue
        found.append(int(entry.name))
    return found


def _left(mark: str) -> list[int]:
    deadline = time.monotonic() + _GRACE
    while (left := _marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:  # do not let one failed round spoil the next
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def _report_ok(path: Path) -> bool:
    if not path.exists():
        return True
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return False
    return True


def _temps(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("gtguard-") and "pycache" not in p.name)


class Bench:
    """The task copy, its private folders, and the commands' environment."""

    def __init__(self, work: Path) -> None:
        self.task = work / "task"
        shutil.copytree(EXAMPLE, self.task, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        self.tmp = work / "tmp"
        self.tmp.mkdir()
        self.out = work / "out"
        self.pycache = work / "pycache"
        self.tree = _snapshot(self.task)

    def env(self, mark: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GTGUARD_"))}
        env.update({_MARK: mark, "TMPDIR": str(self.tmp), "PYTHONPYCACHEPREFIX": str(self.pycache)})
        return env

    def start(self, target: Target, mark: str) -> subprocess.Popen[bytes]:
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir()
        return subprocess.Popen(
            target.argv(self.out),
            cwd=self.task,
            env=self.env(mark),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the bench's own group never sees the signals
        )

    def clean_run(self, target: Target) -> tuple[int, float, list[int]]:
        """Run ``target`` to its end; return its exit code, duration and the processes it left."""
        mark = uuid.uuid4().hex
        began = time.perf_counter()
        proc = self.start(target, mark)
        code = proc.wait(timeout=600)
        return code, time.perf_counter() - began, _left(mark)


def one_round(bench: Bench, target: Target, sig: signal.Signals, delay: float, clean: int, tally: Tally) -> None:
    """Signal ``target`` after ``delay`` seconds, check everything, rerun, and count."""
    mark = uuid.uuid4().hex
    proc = bench.start(target, mark)
    try:
        proc.wait(timeout=delay)
        tally.ended_first += 1
    except subprocess.TimeoutExpired:
        proc.send_signal(sig)
    try:
        code = proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
        tally.failures.append(f"{target.name} {sig.name}: did not end within 120 s of the signal")
    tally.rounds += 1
    tally.codes[code] += 1
    results = {
        "tree": _snapshot(bench.task) == bench.tree,
        "processes": not _left(mark),
        "report": _report_ok(bench.out / target.report),
    }
    temps_after_signal = _temps(bench.tmp)
    rerun, _, left = bench.clean_run(target)
    results["rerun"] = rerun == clean and not left and _report_ok(bench.out / target.report)
    # SIGINT and SIGTERM clean up at once; a SIGKILLed run's folder goes at the next run's start.
    temps_after_rerun = _temps(bench.tmp)
    results["temp"] = not temps_after_rerun and (sig == signal.SIGKILL or not temps_after_signal)
    results["tree"] = results["tree"] and _snapshot(bench.task) == bench.tree
    failed = [check for check, passed in results.items() if not passed]
    verdict = f"failed {', '.join(failed)}" if failed else "ok"
    print(f"{target.name} {sig.name} after {delay:.2f} s: exit {code}, {verdict}")
    for check, passed in results.items():
        tally.ok[check] += passed
        if not passed:
            detail = f" {temps_after_signal} then {temps_after_rerun}" if check == "temp" else ""
            tally.failures.append(f"{target.name} {sig.name} after {delay:.2f} s: {check} (exit {code}){detail}")


def main(argv: list[str] | None = None) -> int:
    """Run the bench; print the table; return 1 when a check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds per signal and target (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random signal times (default 0)")
    parser.add_argument("--targets", default="split,meta", help="comma-separated: split, meta (default both)")
    parser.add_argument("--signals", default="KILL,INT,TERM", help="comma-separated: KILL, INT, TERM (default all)")
    ns = parser.parse_args(argv)
    if not Path("/proc/self/environ").exists():
        print("fault_signals: needs Linux's /proc to find leftover processes", file=sys.stderr)
        return 2
    # A shell starts background jobs with SIGINT ignored, and the commands would inherit that: a handler
    # of our own makes them start with the default, as from a terminal.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = random.Random(ns.seed)
    targets = [TARGETS[name] for name in ns.targets.split(",")]
    signals = [SIGNALS[name] for name in ns.signals.split(",")]
    tallies: dict[tuple[str, str], Tally] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fault-signals-") as work:
        bench = Bench(Path(work))
        for target in targets:
            bench.clean_run(target)  # fills the bytecode cache: the next run's duration is the usual one
            clean, duration, left = bench.clean_run(target)
            print(f"{target.name}: a clean run exits {clean} in {duration:.2f} s, leaving {len(left)} process(es)")
            plan = [(sig, rng.uniform(0, 1.2 * duration)) for sig in signals for _ in range(ns.rounds)]
            rng.shuffle(plan)
            for sig, delay in plan:
                tally = tallies.setdefault((target.name, sig.name), Tally())
                one_round(bench, target, sig, delay, clean, tally)
    _print(tallies, ns, time.perf_counter() - began)
    return 1 if any(t.failures for t in tallies.values()) else 0


def _print(tallies: dict[tuple[str, str], Tally], ns: argparse.Namespace, seconds: float) -> None:
    print(f"\nfault_signals --rounds {ns.rounds} --seed {ns.seed}: {seconds:.0f} s")
    header = ["target", "signal", "rounds", "ended first", *CHECKS, "exit codes"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for (target, sig), tally in sorted(tallies.items()):
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(tally.codes.items()))
        cells = [target, sig, str(tally.rounds), str(tally.ended_first)]
        cells += [f"{tally.ok[check]}/{tally.rounds}" for check in CHECKS]
        print("| " + " | ".join([*cells, codes]) + " |")
    for tally in tallies.values():
        for failure in tally.failures:
            print(f"FAILED {failure}")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.exit(main())
