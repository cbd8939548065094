"""The fork-per-job machinery classifies whatever a child does; every child ends in os._exit."""

from __future__ import annotations

import os

import pytest

from pytest_gtguard.meta.execute import ChildResult, Job, Status, run_jobs


def _spin(job: Job) -> ChildResult:
    while True:
        pass


def _block(job: Job) -> ChildResult:
    read_end, _write_end = os.pipe()
    os.read(read_end, 1)  # blocks forever without using CPU: only the wall backstop ends it
    return ChildResult()


def _exit_quietly(job: Job) -> ChildResult:
    os._exit(0)


def _raise_exit(job: Job) -> ChildResult:
    raise SystemExit(0)


def _memory(job: Job) -> ChildResult:
    raise MemoryError


def _kill(job: Job) -> ChildResult:
    return ChildResult(killed_by="t::a", tests_run=1, reason="AssertionError")


def _survive(job: Job) -> ChildResult:
    return ChildResult(tests_run=2)


WORK = {
    "spin": _spin,
    "block": _block,
    "exit": _exit_quietly,
    "sysexit": _raise_exit,
    "memory": _memory,
    "kill": _kill,
    "survive": _survive,
}


def test_execute_classifies_every_kind_of_child_end() -> None:
    jobs = [Job(key, ("t::a",), cpu_budget_s=0.05, wall_budget_s=0.3) for key in WORK]

    verdicts = run_jobs(jobs, lambda job: WORK[job.key](job), workers=2)

    got = {v.key: (v.status, v.killed_by) for v in verdicts}
    assert got == {
        "spin": (Status.TIMEOUT, None),
        "block": (Status.TIMEOUT, None),
        "exit": (Status.RUNTIME_ERROR, None),
        "sysexit": (Status.RUNTIME_ERROR, None),
        "memory": (Status.RUNTIME_ERROR, None),
        "kill": (Status.KILLED, "t::a"),
        "survive": (Status.SURVIVED, None),
    }
    assert [v.key for v in verdicts] == list(WORK)  # job order, whatever the finishing order


def test_execute_reports_each_verdict_as_it_arrives() -> None:
    seen: list[str] = []

    run_jobs([Job("kill", (), None, None)], _kill, workers=1, on_verdict=lambda v: seen.append(v.key))

    assert seen == ["kill"]


@pytest.mark.parametrize("key", ["exit", "memory"], ids=["os-exit", "memory"])
def test_execute_runtime_error_says_why(key: str) -> None:
    verdict = run_jobs([Job(key, (), None, None)], WORK[key], workers=1)[0]

    expected = "before reporting" if key == "exit" else "memory limit"
    assert expected in verdict.reason
