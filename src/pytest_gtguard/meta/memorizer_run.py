"""The memorizer phase of ``pytest --meta``: record the suite's inputs, then run one memorizer per function.

Glue between the meta run's state and the pure modules (``memorizer``, ``memorizer_report``). One child runs
the judging tests on the ground truth with every public function recording its input keys; then, per
function called there, a child runs the tests that executed its lines with its memorizer switched in.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from pytest_gtguard.meta import memorizer, memorizer_report
from pytest_gtguard.meta.activate import LiveCode
from pytest_gtguard.meta.execute import ChildResult, Job, Status, Verdict, run_jobs, scaled
from pytest_gtguard.meta.memorizer_report import MemorizerResult
from pytest_gtguard.meta.mutate import SourceFile
from pytest_gtguard.meta.runner import ItemRunner
from pytest_gtguard.meta.smells import Finding

if TYPE_CHECKING:
    import pytest

__all__ = ["run"]

# The recording and memorizer children pay for keying every call (bind + pickle): budgets are generous.
_CPU_BASE_S = 1.0
_CPU_FACTOR = 10.0
_WALL_FLOOR_S = 5.0
_WALL_FACTOR = 4.0


class _Settings(Protocol):
    @property
    def workers(self) -> int: ...

    @property
    def memorizers(self) -> str: ...


class _Outcome(Protocol):
    @property
    def notes(self) -> list[str]: ...

    @property
    def findings(self) -> list[Finding]: ...


class _RunState(Protocol):
    """What the phase reads from the meta run (``phases._Run``)."""

    @property
    def session(self) -> pytest.Session: ...

    @property
    def runner(self) -> ItemRunner: ...

    @property
    def live(self) -> LiveCode: ...

    @property
    def parsed(self) -> Sequence[SourceFile]: ...

    @property
    def by_speed(self) -> Sequence[str]: ...

    @property
    def covering(self) -> Mapping[str, Mapping[int, set[str]]] | None: ...

    @property
    def durations(self) -> Mapping[str, float]: ...

    @property
    def max_setup(self) -> float: ...

    @property
    def settings(self) -> _Settings: ...

    @property
    def out(self) -> _Outcome: ...


def run(state: _RunState) -> list[MemorizerResult]:
    """Record the inputs, run the memorizers; add notes and ``passable-by-hardcoding`` findings to ``state.out``."""
    if state.settings.memorizers == "off":
        return []
    trees = {os.path.realpath(sf.path): sf.tree for sf in state.parsed}
    relpaths = {os.path.realpath(sf.path): sf.relpath for sf in state.parsed}
    functions = memorizer.public_functions(state.live, trees)
    methods = memorizer.public_methods(state.live)
    if methods:  # said, not silent: a class-based ground truth would otherwise show no memorizer line at all
        shown = ", ".join(methods[:4]) + (f" and {len(methods) - 4} more" if len(methods) > 4 else "")
        state.out.notes.append(
            f"memorizers judge module-level functions only; the public methods {shown} are not judged for "
            "hard-coding (docs/meta.md#memorizers-can-the-suite-be-passed-by-hard-coding)"
        )
    tests = list(state.by_speed)
    if not functions or not tests:
        return []
    table = _record(state, functions, tests)
    if table is None:
        return []
    jobs: dict[str, Job] = {}
    for fn in functions:
        if table.get(fn.name):
            jobs[fn.name] = _job(state, f"memorizer:{fn.name}", _covering_tests(state, fn) or tests)
    by_name = {fn.name: fn for fn in functions}

    def work(job: Job) -> ChildResult:
        fn = by_name[job.key.removeprefix("memorizer:")]
        _fresh_plugin_seed(state.session.config)
        return state.runner.run(job, lambda: memorizer.install_memorizer(fn, state.live, table[fn.name]))

    verdicts = {
        v.key.removeprefix("memorizer:"): v for v in run_jobs(list(jobs.values()), work, workers=state.settings.workers)
    }
    # The keying overhead and a busy machine can stretch a run past its budget: a timeout is confirmed
    # alone with budgets ten times larger before it counts (as a mutant's would) as detected.
    slow = [scaled(jobs[name], 10.0) for name, v in verdicts.items() if v.status is Status.TIMEOUT]
    verdicts.update({v.key.removeprefix("memorizer:"): v for v in run_jobs(slow, work, workers=1)})
    results = [
        _result(fn, relpaths.get(fn.path, fn.path), len(table.get(fn.name, ())), verdicts.get(fn.name))
        for fn in functions
    ]
    state.out.findings.extend(memorizer_report.findings(results))
    return results


def _record(
    state: _RunState, functions: Sequence[memorizer.PublicFunction], tests: list[str]
) -> dict[str, list[str]] | None:
    """Run the judging tests once with every public function recording its inputs; None if that run failed."""
    job = _job(state, "memorizer:record", tests)

    def work(job: Job) -> ChildResult:
        recorder = memorizer.Recorder()
        result = state.runner.run(job, lambda: memorizer.install_recorder(functions, state.live, recorder))
        return dataclasses.replace(result, payload={"inputs": recorder.table()})

    verdict = run_jobs([job], work, workers=1)[0]
    if verdict.status is not Status.SURVIVED:
        why = f" ({verdict.killed_by}: {verdict.reason})" if verdict.killed_by else f" ({verdict.reason})"
        state.out.notes.append(
            f"memorizers not run: the suite did not pass on the ground truth while its inputs were recorded "
            f"({verdict.status.value}){why}"
        )
        return None
    recorded: dict[str, list[str]] = verdict.payload.get("inputs", {})
    return recorded


def _fresh_plugin_seed(config: pytest.Config) -> None:
    """Give pytest-randomly a new session seed (in the child): it reseeds ``random`` before every test from it.

    With the seed of the recording run, tests that draw unseeded random inputs would draw the same ones
    again (memorizer.fresh_randomness reseeds only once, before the first test).
    """
    if isinstance(getattr(config.option, "randomly_seed", None), int):
        config.option.randomly_seed = int.from_bytes(os.urandom(4), "big")


def _covering_tests(state: _RunState, fn: memorizer.PublicFunction) -> list[str]:
    """Return the judging tests that ran a line of ``fn`` in the baseline, fastest first ([] if unknown)."""
    if state.covering is None:
        return []
    lines = state.covering.get(fn.path, {})
    ran: set[str] = set()
    for line in range(fn.first_line, fn.last_line + 1):
        ran |= lines.get(line, set())
    return [t for t in state.by_speed if t in ran]


def _job(state: _RunState, key: str, tests: Sequence[str]) -> Job:
    budgets = tuple(_CPU_BASE_S + _CPU_FACTOR * state.durations.get(t, 0.0) + 2 * state.max_setup for t in tests)
    total = sum(budgets)
    return Job(key, tuple(tests), total, max(_WALL_FLOOR_S, _WALL_FACTOR * total), budgets)


def _result(fn: memorizer.PublicFunction, file: str, inputs: int, verdict: Verdict | None) -> MemorizerResult:
    if verdict is None:
        return MemorizerResult(fn.name, file, fn.first_line, memorizer_report.NOT_EXERCISED, inputs)
    if verdict.status in (Status.KILLED, Status.TIMEOUT):
        killers = (verdict.killed_by,) if verdict.killed_by else ()
        return MemorizerResult(fn.name, file, fn.first_line, memorizer_report.KILLED, inputs, killers, _reason(verdict))
    if verdict.status is Status.SURVIVED:
        return MemorizerResult(fn.name, file, fn.first_line, memorizer_report.SURVIVED, inputs)
    return MemorizerResult(fn.name, file, fn.first_line, memorizer_report.NOT_JUDGED, inputs, (), _reason(verdict))


def _reason(verdict: Verdict) -> str:
    return f"{verdict.status.value}: {verdict.reason}" if verdict.reason else verdict.status.value
