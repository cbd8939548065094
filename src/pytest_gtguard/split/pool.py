"""Start one zygote per hash seed early, then fork the split's runs from them, ``jobs`` at a time.

Why a scheduler of our own rather than ``concurrent.futures`` or ``multiprocessing``: every run must
start in an interpreter whose PYTHONHASHSEED was fixed at its start and that has loaded nothing of the
task, the two sides' runs must overlap, and a run that hangs must be killed alone. The zygotes
(``split.zygote``) are started as soon as the parent knows it will split, so their imports overlap the
parent's own start-up; runs are then forked on demand, never more at once than ``jobs`` (runs that
share a core only make timing tests flakier). Linux and macOS only: elsewhere ``runner`` starts one
subprocess per run.

Faults: one side's tests must not change the other side's results, though both sides fork from the
same zygote. The root fix is in ``split.zygote``: a run's parent is its own keeper process, in its own
session, so a test that signals its parent or its group never reaches the zygote. Should a zygote still
die under its runs, it is started again and the runs it lost are rerun once; the note (and, if it dies
again, each lost run's error) names the runs it was running, with their seed and test. Only the zygote
signals runs (a timeout is a ``kill`` message): it alone knows whether a keeper was reaped, so a group
id is never killed after its pid could be reused. The zygotes die with this process (SIGKILL included,
see ``split.zygote``); on SIGTERM they are killed and the temp folder removed (``_procs.on_terminate``),
and a folder left by a SIGKILL is removed by the next split (``_procs.sweep_stale``). A run going on
for ``slow_after`` seconds is noted (which run, how long, which test) every as many seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard import _procs
from pytest_gtguard.results import clip
from pytest_gtguard.split.neighbours import blocked_plugins
from pytest_gtguard.split.runner import (
    CURRENT_SUFFIX,
    OUTPUT_TAIL,
    SLOW_AFTER,
    RunOutcome,
    RunSpec,
    SlowRuns,
    child_env,
    command,
    last_started,
    read_outcome,
    write_note,
)

__all__ = ["CAN_FORK", "ZygotePool", "blocked_plugins"]

CAN_FORK = hasattr(os, "fork")
_TERM_GRACE = 2.0  # seconds the zygotes get to end their runs on SIGTERM
_RESTARTS = 4  # zygotes a split restarts at most, all seeds together (each lost run is rerun once)


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
    suspects: str = ""  # the runs it was running when it died, and their tests

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
        """Return why this zygote ended early, from its exit code, the runs it ran, and its stderr."""
        code = self.proc.poll()
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        name = f"gtguard's zygote for PYTHONHASHSEED={self.seed}"
        if self.stalled:
            return f"{name} did not start in time: {clip(text, OUTPUT_TAIL)}"
        how = f"killed by {_procs.signal_name(-code)}" if code is not None and code < 0 else f"exit {code}"
        during = f" while {self.suspects}" if self.suspects else ""
        return f"{name} ended ({how}){during}: {clip(text, OUTPUT_TAIL)}".strip().rstrip(":")


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
    notes: Callable[[str], None] = write_note  # progress lines: slow runs, a zygote restarted
    slow_after: float = SLOW_AFTER
    _workdir: Path = field(init=False, repr=False)
    _zygotes: dict[int, _Zygote] = field(init=False, repr=False, default_factory=dict)
    _used: bool = field(init=False, repr=False, default=False)
    _rerun: set[RunSpec] = field(init=False, repr=False, default_factory=set)
    _restarts: int = field(init=False, repr=False, default=0)
    _selector: selectors.BaseSelector | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._workdir = _procs.temp_dir("split")
        _procs.add_terminate(self._terminate)
        try:
            for seed in dict.fromkeys(self.seeds):
                self._zygotes[seed] = self._start(seed)
        except BaseException:  # a Ctrl-C (or a failed start) before the caller holds the pool to close it
            self.close()
            raise

    def _start(self, seed: int) -> _Zygote:
        log = self.workdir / f"zygote-{seed}-{self._restarts}.err"
        argv = [sys.executable, "-m", "pytest_gtguard.split.zygote", f"--parent={os.getpid()}"]
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [*argv, *blocked_plugins(self.args)],
                cwd=self.cwd,
                env=child_env(self.env, seed),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                bufsize=0,
                start_new_session=True,
            )
        zygote = _Zygote(seed, proc, log)
        if self._selector is not None:
            assert proc.stdout is not None
            self._selector.register(proc.stdout, selectors.EVENT_READ, zygote)
        return zygote

    @property
    def workdir(self) -> Path:
        """Return the folder of the runs' output and results files (removed on close)."""
        return self._workdir

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
        selector = self._selector = selectors.DefaultSelector()
        for started in self._zygotes.values():
            assert started.proc.stdout is not None
            selector.register(started.proc.stdout, selectors.EVENT_READ, started)
        slow = SlowRuns(self.notes, self.slow_after)

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
                starts = {run.spec: run.start for run in running.values()}
                wait = min(self._wait(running, queue, began, timeout), slow.wait(starts))
                for key, _ in selector.select(wait):
                    zygote: _Zygote = key.data
                    for message in zygote.receive():
                        self._handle(message, zygote, running, finish, timeout)
                    if zygote.ended:
                        selector.unregister(key.fileobj)
                        self._lost(zygote, queue, running, finish)
                self._expire(running, queue, began, timeout)
                slow.check({run.spec: run.start for run in running.values()}, self.workdir)
        finally:
            selector.close()
            self._selector = None
            self._end_input()  # the zygotes exit now (killing what still runs), while the caller reports
        return sorted(done.values(), key=lambda outcome: (outcome.spec.index, outcome.spec.side))

    def _check_seeds(self, specs: Sequence[RunSpec]) -> None:
        missing = {spec.hash_seed for spec in specs} - set(self._zygotes)
        if missing:
            raise ValueError(f"no zygote was started for hash seeds {sorted(missing)}")

    def close(self) -> None:
        """End every zygote (they exit when their input ends) and remove the runs' files."""
        try:  # a Ctrl-C while waiting still removes the files
            self._end_input()
            for zygote in self._zygotes.values():
                try:
                    zygote.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    _procs.kill_group(zygote.proc.pid)
                    zygote.proc.wait()
                if zygote.proc.stdout is not None:
                    zygote.proc.stdout.close()
        finally:
            _procs.remove_terminate(self._terminate)
            _procs.remove_tree(self._workdir)  # a Ctrl-C landing here still removes all of it

    def _terminate(self) -> None:
        """SIGTERM: end the zygotes' input (they kill their runs), kill those still preloading, remove the files."""
        self._end_input()
        deadline = time.monotonic() + _TERM_GRACE
        for zygote in self._zygotes.values():
            _procs.wait_or_kill(zygote.proc.pid, max(0.0, deadline - time.monotonic()))
            _procs.remove_owned(zygote.proc.pid)
        _procs.remove_tree(self._workdir)

    def _end_input(self) -> None:
        for stdin in (z.proc.stdin for z in self._zygotes.values() if z.proc.stdin and not z.proc.stdin.closed):
            with contextlib.suppress(OSError):
                stdin.close()

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
            for suffix in (".json", ".status", CURRENT_SUFFIX):  # a rerun's files start afresh
                base.with_suffix(suffix).unlink(missing_ok=True)
            zygote = self._zygotes[spec.hash_seed]
            run_id = ids[spec] = max(ids.values(), default=-1) + 1  # never reused, by reruns neither
            zygote.send(
                {
                    "id": run_id,
                    "argv": command(spec, self.args, base.with_suffix(".json"))[3:],
                    "stdout": str(base.with_suffix(".out")),
                    "stderr": str(base.with_suffix(".err")),
                    "status": str(base.with_suffix(".status")),
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
            spec = run.spec
            outcome = read_outcome(spec, self._base(spec), int(message["code"]), float(message["duration"]))
            if run.killed:
                outcome.results, outcome.returncode, outcome.signal = None, -1, None
                outcome.error = (
                    f"the {spec.side} run {spec.index + 1} did not finish in {timeout:g} s "
                    "(raise --gtguard-run-timeout, or find the hanging test)"
                )
            elif int(message["code"]) < 0:  # the keeper, the run's parent process, was killed
                outcome.results, outcome.signal = None, _procs.signal_name(-int(message["code"]))
                during = f" during {outcome.last_test}" if outcome.last_test else ""
                outcome.error = (
                    f"the {spec.side} run {spec.index + 1} (PYTHONHASHSEED={spec.hash_seed}) killed its parent "
                    f"process with {outcome.signal}{during}; gtguard ended that run (a test must not signal "
                    "the process that runs it)"
                )
            finish(outcome)

    def _lost(
        self, zygote: _Zygote, queue: list[RunSpec], running: dict[int, _Running], finish: Callable[[RunOutcome], None]
    ) -> None:
        """Restart a zygote that died under its runs and rerun them once; else fail its runs."""
        zygote.proc.wait()
        mine = [run_id for run_id, run in running.items() if run.zygote is zygote]
        zygote.suspects = " and ".join(self._describe(running[run_id].spec) for run_id in mine)
        lost = [running.pop(run_id).spec for run_id in mine]
        again = zygote.ready and not zygote.stalled and self._restarts < _RESTARTS
        if again and not any(spec in self._rerun for spec in lost):
            # A test reached past its keeper to the zygote: its other runs get one new zygote, one more try.
            self._rerun.update(lost)
            self._restarts += 1
            self.notes(f"gtguard: {zygote.failure()}; starting it again and rerunning its runs")
            self._zygotes[zygote.seed] = self._start(zygote.seed)
            queue[:0] = lost
            return
        lost += [spec for spec in queue if spec.hash_seed == zygote.seed]
        queue[:] = [spec for spec in queue if spec.hash_seed != zygote.seed]
        for spec in lost:
            outcome = read_outcome(spec, self._base(spec), zygote.proc.returncode or -1, 0.0)
            outcome.results, outcome.error = None, zygote.failure()
            finish(outcome)

    def _describe(self, spec: RunSpec) -> str:
        running, last, previous = last_started(self._base(spec))  # the killer may have gone on to its next test
        where = f"{'was in' if running else 'had run'} {last}" if last else "had run no test yet"
        before = f" (after {previous})" if previous else ""
        return f"the {spec.side} run {spec.index + 1} (PYTHONHASHSEED={spec.hash_seed}) {where}{before}"

    def _expire(self, running: dict[int, _Running], queue: list[RunSpec], began: float, timeout: float) -> None:
        """Kill runs past their time, and zygotes that were not ready in that time (they then end)."""
        now = time.perf_counter()
        for run_id, run in running.items():
            if not run.killed and now - run.start > timeout:
                run.zygote.send({"kill": run_id})  # only the zygote knows its keeper is not reaped yet
                run.killed = True
        if now - began > timeout:
            for spec in queue:
                zygote = self._zygotes[spec.hash_seed]
                if not zygote.ready and not zygote.stalled:
                    zygote.stalled = True
                    _procs.kill_group(zygote.proc.pid)

    def _wait(self, running: dict[int, _Running], queue: list[RunSpec], began: float, timeout: float) -> float:
        """Return how long to wait for output: until the next run's deadline or the zygotes' start-up one."""
        deadlines = [run.start + timeout for run in running.values() if not run.killed]
        zygotes = {self._zygotes[spec.hash_seed] for spec in queue}
        if any(not z.ready and not z.stalled for z in zygotes):
            deadlines.append(began + timeout)
        return max(0.0, min(deadlines, default=time.perf_counter() + timeout) - time.perf_counter())

    def _base(self, spec: RunSpec) -> Path:
        """Return the run's file stem; a rerun's is its own (the lost attempt's keeper may still write)."""
        return self.workdir / (f"{spec.side}-{spec.index}" + ("-rerun" if spec in self._rerun else ""))


def _message(line: bytes) -> dict[str, Any] | None:
    """Return the message on ``line``, or None for anything else (a print from code the zygote ran early)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None
