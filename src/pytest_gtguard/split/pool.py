"""Start one zygote per hash seed early, then fork the split's runs from them, ``jobs`` at a time.

Why a scheduler of our own rather than ``concurrent.futures`` or ``multiprocessing``: every run must
start in an interpreter whose PYTHONHASHSEED was fixed at its start and that has loaded nothing of the
task, the two sides' runs must overlap, and a run that hangs must be killed alone. The zygotes
(``split.zygote``) are started as soon as the parent knows it will split, so their imports overlap the
parent's own start-up; runs are then forked on demand, never more at once than ``jobs`` (runs that
share a core only make timing tests flakier). Linux and macOS only: elsewhere ``runner`` starts one
subprocess per run.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard.results import clip
from pytest_gtguard.split.runner import OUTPUT_TAIL, RunOutcome, RunSpec, child_env, command, read_outcome

__all__ = ["CAN_FORK", "ZygotePool", "blocked_plugins"]

CAN_FORK = hasattr(os, "fork")


@dataclass(eq=False)
class _Zygote:
    """One zygote process and what it has said so far."""

    seed: int
    proc: subprocess.Popen[bytes]
    log: Path
    buffer: bytes = b""
    ready: bool = False
    ended: bool = False
    stalled: bool = False

    def send(self, message: dict[str, Any]) -> None:
        """Write one command line; a zygote that died is noticed when its output ends."""
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    def receive(self) -> list[dict[str, Any]]:
        """Read what is available and return the complete messages in it."""
        assert self.proc.stdout is not None
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            self.ended = True
        self.buffer += chunk
        lines = self.buffer.split(b"\n")
        self.buffer = lines.pop()
        return [message for line in lines if (message := _message(line)) is not None]

    def failure(self) -> str:
        """Return why this zygote ended early, from its exit code and stderr."""
        code = self.proc.poll()
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        if self.stalled:
            return f"gtguard's zygote for PYTHONHASHSEED={self.seed} did not start in time: {clip(text, OUTPUT_TAIL)}"
        return f"gtguard's zygote for PYTHONHASHSEED={self.seed} ended (exit {code}): {clip(text, OUTPUT_TAIL)}".strip()


@dataclass
class _Running:
    spec: RunSpec
    zygote: _Zygote
    start: float
    pid: int | None = None
    killed: bool = False


@dataclass
class ZygotePool:
    """The zygotes of one split, one per hash seed, started on construction; close it when done."""

    seeds: Sequence[int]
    env: Mapping[str, str]
    cwd: Path
    args: Sequence[str] = ()  # every run's pytest arguments (their -p no:NAME plugins are not preloaded)
    _tmp: tempfile.TemporaryDirectory[str] = field(init=False, repr=False)
    _zygotes: dict[int, _Zygote] = field(init=False, repr=False, default_factory=dict)
    _used: bool = field(init=False, repr=False, default=False)

    def __post_init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="gtguard-split-")
        for seed in dict.fromkeys(self.seeds):
            log = self.workdir / f"zygote-{seed}.err"
            with log.open("wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "pytest_gtguard.split.zygote", *blocked_plugins(self.args)],
                    cwd=self.cwd,
                    env=child_env(self.env, seed),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    bufsize=0,
                    start_new_session=True,
                )
            self._zygotes[seed] = _Zygote(seed, proc, log)

    @property
    def workdir(self) -> Path:
        """Return the folder of the runs' output and results files (removed on close)."""
        return Path(self._tmp.name)

    def run(
        self,
        specs: Sequence[RunSpec],
        *,
        timeout: float,
        jobs: int,
        on_done: Callable[[RunOutcome], None] | None = None,
        follow_up: Callable[[RunOutcome, list[RunSpec]], list[RunSpec]] | None = None,
    ) -> list[RunOutcome]:
        """Run every spec on the zygote of its hash seed; return the outcomes by run index, then side.

        ``follow_up`` sees each outcome with the runs still queued and returns the queue to go on with
        (it may change queued runs or add some: see ``runner.TraceOnReach``).
        """
        if self._used:
            raise RuntimeError("a ZygotePool runs one split; start another pool for another")
        self._used = True
        queue = list(specs)
        self._check_seeds(queue)
        ids: dict[RunSpec, int] = {}
        running: dict[int, _Running] = {}
        done: dict[RunSpec, RunOutcome] = {}
        selector = selectors.DefaultSelector()
        for started in self._zygotes.values():
            assert started.proc.stdout is not None
            selector.register(started.proc.stdout, selectors.EVENT_READ, started)

        def finish(outcome: RunOutcome) -> None:
            done[outcome.spec] = outcome
            if on_done is not None:
                on_done(outcome)
            if follow_up is not None:
                queue[:] = follow_up(outcome, list(queue))
                self._check_seeds(queue)
                for zygote in {self._zygotes[spec.hash_seed] for spec in queue}:
                    if zygote.ended:  # a run added for a zygote that is already gone
                        self._lost(zygote, queue, running, finish)

        began = time.perf_counter()
        try:
            while queue or running:
                self._dispatch(queue, running, ids, jobs)
                for key, _ in selector.select(self._wait(running, queue, began, timeout)):
                    zygote: _Zygote = key.data
                    for message in zygote.receive():
                        self._handle(message, zygote, running, finish, timeout)
                    if zygote.ended:
                        selector.unregister(key.fileobj)
                        self._lost(zygote, queue, running, finish)
                self._expire(running, queue, began, timeout)
        except BaseException:
            for run in running.values():
                _kill(run.pid)
            raise
        finally:
            selector.close()
            self._end_input()  # the zygotes exit now, while the caller writes its report
        return sorted(done.values(), key=lambda outcome: (outcome.spec.index, outcome.spec.side))

    def _check_seeds(self, specs: Sequence[RunSpec]) -> None:
        missing = {spec.hash_seed for spec in specs} - set(self._zygotes)
        if missing:
            raise ValueError(f"no zygote was started for hash seeds {sorted(missing)}")

    def close(self) -> None:
        """End every zygote (they exit when their input ends) and remove the runs' files."""
        self._end_input()
        for zygote in self._zygotes.values():
            try:
                zygote.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _kill(zygote.proc.pid)
                zygote.proc.wait()
            if zygote.proc.stdout is not None:
                zygote.proc.stdout.close()
        self._tmp.cleanup()

    def _end_input(self) -> None:
        for zygote in self._zygotes.values():
            if zygote.proc.stdin is not None and not zygote.proc.stdin.closed:
                with contextlib.suppress(OSError):
                    zygote.proc.stdin.close()

    def __enter__(self) -> ZygotePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _dispatch(
        self,
        queue: list[RunSpec],
        running: dict[int, _Running],
        ids: dict[RunSpec, int],
        jobs: int,
    ) -> None:
        """Start queued runs, in plan order, while there are free slots and ready zygotes."""
        while len(running) < jobs:
            spec = next(
                (s for s in queue if self._zygotes[s.hash_seed].ready and not self._zygotes[s.hash_seed].ended), None
            )
            if spec is None:
                return
            queue.remove(spec)
            base = self._base(spec)
            zygote = self._zygotes[spec.hash_seed]
            run_id = ids[spec] = len(ids)
            zygote.send(
                {
                    "id": run_id,
                    "argv": command(spec, self.args, base.with_suffix(".json"))[3:],
                    "stdout": str(base.with_suffix(".out")),
                    "stderr": str(base.with_suffix(".err")),
                }
            )
            running[run_id] = _Running(spec, zygote, time.perf_counter())

    def _handle(
        self,
        message: dict[str, Any],
        zygote: _Zygote,
        running: dict[int, _Running],
        finish: Callable[[RunOutcome], None],
        timeout: float,
    ) -> None:
        if message.get("ready"):
            zygote.ready = True
        elif "started" in message and message["started"] in running:
            running[message["started"]].pid = int(message["pid"])
        elif "done" in message and message["done"] in running:
            run = running.pop(message["done"])
            outcome = read_outcome(run.spec, self._base(run.spec), int(message["code"]), float(message["duration"]))
            if run.killed:
                outcome.results, outcome.returncode = None, -1
                outcome.error = (
                    f"the {run.spec.side} run {run.spec.index + 1} did not finish in {timeout:g} s "
                    "(raise --gtguard-run-timeout, or find the hanging test)"
                )
            finish(outcome)

    def _lost(
        self, zygote: _Zygote, queue: list[RunSpec], running: dict[int, _Running], finish: Callable[[RunOutcome], None]
    ) -> None:
        """Fail the runs of a zygote that ended before running them all."""
        zygote.proc.wait()
        lost = [spec for spec in queue if spec.hash_seed == zygote.seed]
        for spec in lost:
            queue.remove(spec)
        for run_id in [run_id for run_id, run in running.items() if run.zygote is zygote]:
            lost.append(running.pop(run_id).spec)
        for spec in lost:
            outcome = read_outcome(spec, self._base(spec), zygote.proc.returncode or -1, 0.0)
            outcome.results, outcome.error = None, zygote.failure()
            finish(outcome)

    def _expire(self, running: dict[int, _Running], queue: list[RunSpec], began: float, timeout: float) -> None:
        """Kill runs past their time, and zygotes that were not ready in that time (they then end)."""
        now = time.perf_counter()
        for run in running.values():
            if not run.killed and run.pid is not None and now - run.start > timeout:
                _kill(run.pid)
                run.killed = True
        if now - began > timeout:
            for spec in queue:
                zygote = self._zygotes[spec.hash_seed]
                if not zygote.ready and not zygote.stalled:
                    zygote.stalled = True
                    _kill(zygote.proc.pid)

    def _wait(self, running: dict[int, _Running], queue: list[RunSpec], began: float, timeout: float) -> float:
        """Return how long to wait for output: until the next run's deadline or the zygotes' start-up one."""
        deadlines = [run.start + timeout for run in running.values() if not run.killed]
        zygotes = {self._zygotes[spec.hash_seed] for spec in queue}
        if any(not z.ready and not z.stalled for z in zygotes):
            deadlines.append(began + timeout)
        return max(0.0, min(deadlines, default=time.perf_counter() + timeout) - time.perf_counter())

    def _base(self, spec: RunSpec) -> Path:
        return self.workdir / f"{spec.side}-{spec.index}"


def _message(line: bytes) -> dict[str, Any] | None:
    """Return the message on ``line``, or None for anything else (a print from code the zygote ran early)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def blocked_plugins(args: Sequence[str]) -> list[str]:
    """Return the plugin names ``args`` block (``-p no:NAME``), or ``["*"]`` when they disable autoloading."""
    names: list[str] = []
    for flag, value in itertools.pairwise([*args, ""]):
        if flag == "--disable-plugin-autoload":
            return ["*"]
        spec = value if flag == "-p" else flag[2:] if flag.startswith("-p") else ""
        if spec.startswith("no:"):
            names.append(spec[3:])
    return names


def _kill(pid: int | None) -> None:
    """Kill the process group of ``pid`` (a run and whatever it started), or the process alone."""
    if pid is None:
        return
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)
            return
