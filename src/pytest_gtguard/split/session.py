"""Run a whole split: plan, run both sides, classify, judge, compare the instance, write the report.

Shared by ``pytest --before --after`` and ``gtguard split``; it imports no pytest glue.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard import _timing
from pytest_gtguard._atomic import WriteError
from pytest_gtguard.constraints import for_instance
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.results import CollectError, RunResults
from pytest_gtguard.side.task import Task
from pytest_gtguard.split.causes import (
    causes_of,
    describe,
    explain_flaky,
    missing_module_problem,
    missing_modules,
    nothing_collected_problem,
    own_suites_hint,
    service_problem,
    unreachable_services,
    xfail_calls_hint,
)
from pytest_gtguard.split.classify import Category, Split, classify
from pytest_gtguard.split.config import SplitConfig, start_pool
from pytest_gtguard.split.evidence import run_gap
from pytest_gtguard.split.html import html_path, write_html
from pytest_gtguard.split.instance import Instance, find_instance, load_instance, write_lists
from pytest_gtguard.split.pool import ZygotePool
from pytest_gtguard.split.report import (
    REPORT_ALTERNATIVE,
    build_report,
    environment,
    new_report_path,
    write_report,
)
from pytest_gtguard.split.runner import RunOutcome, TraceOnReach, plan_runs, run_subprocesses
from pytest_gtguard.split.verdict import (
    ALLOW_SIDE_INDEPENDENT,
    ExitCode,
    Problem,
    Severity,
    Verdict,
    compare_instance,
    judge,
    run_problem,
    side_tests_problem,
)
from pytest_gtguard.task.category import meta_hint
from pytest_gtguard.task.sidetests import side_tests

__all__ = ["SplitResult", "run_split"]


@dataclass
class SplitResult:
    """The split, its verdict, where the report went, and the files that could not be written."""

    split: Split
    verdict: Verdict
    outcomes: list[RunOutcome]
    report: dict[str, Any]
    report_path: Path | None
    instance: Instance | None = None
    instance_updated: bool = False
    notes: list[str] = field(default_factory=list)
    write_errors: list[WriteError] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        """Return the exit code: NO_TESTS when nothing was collected anywhere, else the verdict's.

        A valid task whose report or instance update could not be written exits with PROBLEMS: a caller
        that reads the report must not take a 0 for "it is there" (issue 15).
        """
        if not self.split.tests and not self.verdict.crashed:
            return ExitCode.NO_TESTS
        if self.write_errors and self.verdict.exit_code is ExitCode.VALID:
            return ExitCode.PROBLEMS
        return self.verdict.exit_code


def run_split(
    cfg: SplitConfig,
    *,
    env: Mapping[str, str],
    progress: Callable[[RunOutcome], None] | None = None,
    pool: ZygotePool | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> SplitResult:
    """Run the split described by ``cfg``, on ``pool`` if given (the caller closes it).

    ``now`` defaults to ``_timing.utcnow``, looked up per call so tests can fake the clock. A report or
    instance file that cannot be written is recorded in ``write_errors``; the verdict stands.

    Raises:
        ConfigError: the runs count is invalid or the named instance file is missing.
    """
    if cfg.runs < 1:
        raise ConfigError(f"--gtguard-runs must be at least 1, got {cfg.runs}")
    now = now or _timing.utcnow
    instance, instance_error = _instance(cfg)
    started = now()
    with ThreadPoolExecutor(max_workers=1) as side_work:
        # git and platform queries (tens of ms of subprocesses) overlap the runs instead of following them.
        env_info = side_work.submit(environment, cfg.cwd)
        outcomes = _run(cfg, env, progress, pool, may_reach=_may_reach_other_side(cfg.task))
    crashed, gaps, failed_runs = False, [], []
    for outcome in outcomes:
        gap = run_gap(outcome)
        if gap is not None:
            # No evidence about its tests (issue 16): they become unknown, never F2P or regressions.
            crashed = crashed or outcome.results is None
            gaps.append((outcome.spec.side, gap))
            failed_runs.append(outcome)
        elif outcome.results is None:
            # pytest refused to start the run (e.g. a conftest that imports the missing code on an empty
            # before side): every test failed to load there, which is a collection error, not a crash.
            text = outcome.stderr or outcome.stdout or outcome.error or ""
            outcome.results = RunResults(outcome.spec.side, outcome.returncode, collect_errors=[CollectError("", text)])
    by_side = {
        s: [o.results for o in outcomes if o.spec.side == s and o.results and run_gap(o) is None]
        for s in ("before", "after")
    }
    root = str(cfg.task.root)
    split = classify(by_side["before"], by_side["after"], gaps=gaps, root=root)
    nothing = nothing_collected_problem(outcomes, cfg.task.root)
    # The environment first: when it lacks a package or a service, that is the cause of what follows.
    gaps_found = (
        missing_module_problem(missing_modules(by_side, cfg.task.root), cfg.task.root),
        service_problem(unreachable_services(by_side, cfg.task.root)),
    )
    problems = [p for p in gaps_found if p is not None]
    environment_gap = bool(problems)
    problems += judge(
        split,
        expect_f2p=cfg.expect_f2p,
        run_errors=[nothing] if nothing else [run_problem(o) for o in failed_runs],
        allow_side_independent=allow_side_independent(cfg.task.root, env),
        testing_hint=meta_hint(cfg.task.root) or own_suites_hint(split) or xfail_calls_hint(split, by_side["before"]),
        causes_of=lambda ids: describe(causes_of(by_side["after"], ids, root=root)),
    )
    problems = [explain_flaky(p, outcomes, root=root) if p.code == "FLAKY" else p for p in problems]
    problems += side_tests_problem(side_tests(cfg.task.root), split)
    updated, write_errors = False, []
    if instance_error is not None:
        problems.append(instance_error)
    elif instance is not None:
        # Lists are written only from complete evidence: never with a test still unknown (issue 16).
        if cfg.update_instance and not crashed and not split.ids(Category.UNKNOWN) and not environment_gap:
            listed = (Category.FAIL_TO_PASS, Category.PASS_TO_PASS)
            lists: dict[str, Iterable[str]] = {c.value: split.ids(c) for c in listed}
            try:
                write_lists(instance, lists)
                updated = True
            except WriteError as exc:
                write_errors.append(exc)
        problems.extend(compare_instance(instance, split))
    verdict = Verdict(tuple(problems), crashed)
    finished = now()
    report = build_report(
        run_id=str(uuid.uuid4()),
        started=started,
        finished=finished,
        task_root=cfg.task.root,
        outcomes=outcomes,
        split=split,
        verdict=verdict,
        env=env_info.result(),
        instance_path=instance.path if instance else None,
    )
    if instance is not None:  # which tests check each constraint of the problem statement (docs/constraints.md)
        report["prompt_constraints"] = for_instance(instance.data, cfg.task.root).to_json()
    report_path = _write(report, cfg, started, write_errors) if cfg.write_report else None
    return SplitResult(split, verdict, outcomes, report, report_path, instance, updated, write_errors=write_errors)


def _write(report: dict[str, Any], cfg: SplitConfig, started: dt.datetime, errors: list[WriteError]) -> Path | None:
    """Write the report to its own new folder (or ``--gtguard-report``); return its path, None if it failed."""
    try:
        path = cfg.report_path or new_report_path(cfg.task.root, started)
        write_report(report, path)
    except WriteError as exc:
        errors.append(exc)
        return None
    try:  # the same data as a page for a person, beside it (issue 18)
        write_html(report, html_path(path), alternative=REPORT_ALTERNATIVE)
    except WriteError as exc:
        errors.append(exc)
    from pytest_gtguard.perf.html import perf_page_path, rows_from_report, write_page

    if gates := rows_from_report(report):  # the perf gates' plots, when the tests have any (docs/perf.md)
        try:
            write_page(perf_page_path(path), gates, alternative=REPORT_ALTERNATIVE)
        except WriteError as exc:
            errors.append(exc)
    return path


def _run(
    cfg: SplitConfig,
    env: Mapping[str, str],
    progress: Callable[[RunOutcome], None] | None,
    pool: ZygotePool | None,
    *,
    may_reach: bool,
) -> list[RunOutcome]:
    if pool is not None:
        return _run_on(pool, cfg, progress, may_reach=may_reach)
    pool = start_pool(cfg, env)
    if pool is None:  # no fork: a fixed plan, run 0 of each side traced when a side may be reached
        specs = plan_runs(cfg.runs, cfg.seed, trace=may_reach, randomly=cfg.randomly)
        return run_subprocesses(
            specs, args=cfg.args, cwd=cfg.cwd, env=env, jobs=cfg.jobs, timeout=cfg.timeout, on_done=progress
        )
    with pool:
        return _run_on(pool, cfg, progress, may_reach=may_reach)


def _run_on(
    pool: ZygotePool, cfg: SplitConfig, progress: Callable[[RunOutcome], None] | None, *, may_reach: bool
) -> list[RunOutcome]:
    """Run the plan on ``pool``; runs only watch for the other side, and trace once one reached it."""
    specs = plan_runs(cfg.runs, cfg.seed, trace=False, watch=may_reach, randomly=cfg.randomly)
    follow_up = TraceOnReach(cfg.seed, specs) if may_reach else None
    return pool.run(specs, jobs=cfg.jobs, timeout=cfg.timeout, on_done=progress, follow_up=follow_up)


def _may_reach_other_side(task: Task) -> bool:
    """Return False when no test source names a repository folder, so no trace of side use is needed.

    The import finder already keeps bare imports on the side under test, so such a test cannot run or
    read the other side; the traced run costs a profile hook on every call before Python 3.12.
    """
    from pytest_gtguard.side.conventions import scan_conventions

    conventions = scan_conventions(task)
    return conventions.names_before or conventions.names_after


def allow_side_independent(root: Path, environ: Mapping[str, str] | None = None) -> bool:
    """Return whether the task opts in to mostly side-independent tests (env, then the task's pytest ini).

    Read like ``gtguard validate`` reads gtguard_expect_f2p: from GTGUARD_ALLOW_SIDE_INDEPENDENT, else
    the first pytest configuration file at the task root.
    """
    from pytest_gtguard.task.ini import read_ini

    env = os.environ if environ is None else environ
    raw = env.get(ALLOW_SIDE_INDEPENDENT.upper()) or read_ini(root, ALLOW_SIDE_INDEPENDENT) or ""
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _instance(cfg: SplitConfig) -> tuple[Instance | None, Problem | None]:
    path = cfg.instance_path or find_instance(cfg.task.root)
    if cfg.instance_path is not None and not cfg.instance_path.is_file():
        raise ConfigError(f"--gtguard-instance: {cfg.instance_path} does not exist; pass the task's instance JSON")
    if path is None:
        return None, None
    try:
        return load_instance(path), None
    except ConfigError as exc:
        return None, Problem(
            "INSTANCE_INVALID_JSON",
            Severity.ERROR,
            str(exc),
            "fix the JSON; the computed lists are in the report meanwhile",
        )
