"""The phases of ``pytest --meta``: baseline, sentinel, hand-written variants, seeded mutants, score.

Glue between the collected session (``ItemRunner``) and the pure modules; the hooks call ``run``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gtguard import _procs
from pytest_gtguard.errors import ConfigError, MetaSetupError
from pytest_gtguard.meta import (
    activate,
    memorizer_report,
    memorizer_run,
    mutate,
    report,
    smells,
    terminal,
    variants,
    warm,
)
from pytest_gtguard.meta.execute import ChildResult, Job, Status, Verdict, run_jobs, scaled
from pytest_gtguard.meta.inputs import calibration, listed_requirements
from pytest_gtguard.meta.outcome import MetaOutcome
from pytest_gtguard.meta.runner import ItemRunner
from pytest_gtguard.meta.score import VariantResult, failures, score
from pytest_gtguard.meta.selection import covering_map, mutant_result, tests_for
from pytest_gtguard.side.plugin import TASK_KEY

if TYPE_CHECKING:
    from pytest_gtguard.meta.plugin import MetaSettings

__all__ = ["MetaOutcome", "MetaSetupError", "run"]

# Budgets: a hang dies after ~CPU_BASE s of CPU; generous multiples keep slow-but-finite mutants alive.
_CPU_BASE_S = 0.03
_CPU_FACTOR = 4.0
_WALL_FLOOR_S = 2.0
_WALL_FACTOR = 4.0


def run(
    session: pytest.Session, runner: ItemRunner, settings: MetaSettings, sources: Sequence[Path], cov: Any
) -> MetaOutcome:
    """Run every phase against the collected ``session`` and return the outcome."""
    if not sources:
        targets = ", ".join(str(t) for t in settings.targets)
        raise MetaSetupError(
            f"gtguard meta: no ground-truth .py files under {targets} (test files and test "
            "folders are skipped); point --gtguard-meta-target at the code the tests import"
        )
    return _Run(session, runner, settings, sources, cov).execute()


class _Run:
    """One meta run: the state its phases share, and one method per phase."""

    def __init__(
        self,
        session: pytest.Session,
        runner: ItemRunner,
        settings: MetaSettings,
        sources: Sequence[Path],
        cov: Any,
    ) -> None:
        self.session, self.runner, self.settings, self.sources, self.cov = (
            session,
            runner,
            settings,
            sources,
            cov,
        )
        self.root = session.config.rootpath
        self.out = MetaOutcome()
        self._started = self._last = time.perf_counter()
        self.parsed = [_parse(path, self.root) for path in sources]
        self.live = activate.LiveCode.scan(sources)
        self.ids = tuple(item.nodeid for item in session.items)
        self.durations: dict[str, float] = {}
        self.max_setup = 0.0
        self.covering: dict[str, dict[int, set[str]]] | None = None
        self.by_speed: list[str] = []
        self._reached_cache: set[str] | None = None
        runner.prewarm()
        self._lap("setup")

    def execute(self) -> MetaOutcome:
        """Run the phases in order; a failing baseline ends the run with its verdict."""
        if self._baseline():
            reporter = self.session.config.pluginmanager.get_plugin("terminalreporter")
            with self.runner.quiet():  # children of these phases print nothing and skip traceback formatting
                self._alone()
                self._sentinel()
                self._variants()
                self._lap("checks")
                self.out.memorizers = memorizer_run.run(self)
                self._lap("memorizer")
                self._mutants(reporter)
            self._finish()
        self.out.timings["total"] = time.perf_counter() - self._started
        return self.out

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        self.out.timings[name] = now - self._last
        self._last = now

    def job(self, key: str, tests: Sequence[str]) -> Job:
        """Return a job with a CPU budget per test and a wall-clock backstop."""
        budgets = tuple(_CPU_BASE_S + _CPU_FACTOR * self.durations.get(t, 0.0) + 2 * self.max_setup for t in tests)
        total = sum(budgets) or _CPU_BASE_S
        # The wall clock is only a backstop for children that block without using CPU; under load a
        # child gets a fraction of a core, so it is a generous multiple of the CPU budgets.
        return Job(key, tuple(tests), total, max(_WALL_FLOOR_S, _WALL_FACTOR * total), budgets)

    def _baseline(self) -> bool:
        """Run the whole suite once on the ground truth with per-test coverage; False if a test fails."""
        out = self.out
        job = Job("baseline", self.ids, None, None)
        with _procs.temp_folder("baseline") as scratch:
            running = scratch / "running"
            base = run_jobs([job], lambda j: self.runner.baseline(j, self.cov, self.sources, running), workers=1)[0]
            culprit = running.read_text(encoding="utf-8") if running.exists() else "collection"
        if base.status is not Status.SURVIVED:
            raise MetaSetupError(
                f"gtguard meta: the baseline run crashed in {culprit} ({base.reason}); the suite must run to "
                "the end on the ground truth: fix that test, or deselect it with -k / --deselect"
            )
        self.runner.replay(base.payload["reports"])
        self._lap("baseline")
        self.durations = base.payload["durations"]
        self.max_setup = max(base.payload["setups"].values(), default=0.0)
        measured = base.payload.get("coverage", {})
        if measured:
            files = measured.get("files", {}).items()
            out.coverage = {
                "files": {_relative(Path(f), self.root): info for f, info in files},
                "totals": measured.get("totals", {}),
            }
        failed = sorted({r["nodeid"] for r in base.payload["reports"] if r.get("outcome") == "failed"})
        if failed:
            out.baseline_failed = failed
            out.failures.append(f"{len(failed)} test(s) fail on the ground truth; a suite must pass on correct code")
            return False
        self.covering = covering_map(base.payload.get("covering"))
        self.by_speed = sorted(self.ids, key=lambda t: (self.durations.get(t, 0.0), t))
        # Children fork from here: import now what the baseline's ground truth imported, so no child pays a
        # first import (a heavy library) that the budgets, measured warm, do not include.
        if warm.warm_imports(warm.executed_imports(self.sources, self.covering)):
            self.live = activate.LiveCode.scan(self.sources)  # a ground-truth module may be among them
        return True

    def _alone(self) -> None:
        """Run each test on its own; one that fails alone is reported and not used to judge.

        It needs another test's side effects, and mutants run only their covering tests: it would "kill"
        every mutant it meets.
        """
        # Only tests that ran ground-truth code can tell a broken version from it: they alone judge
        # mutants and variants, so only they need the check.
        judges = [t for t in self.by_speed if self.covering is None or t in self._reached()]
        jobs = {t: self.job(t, [t]) for t in judges}
        alone = {v.key: v for v in run_jobs(list(jobs.values()), self._alone_work, workers=self.settings.workers)}
        # A timeout alone is retried once with the whole baseline's time: only a failure shows a dependency.
        slow = [t for t, v in alone.items() if v.status is Status.TIMEOUT]
        spare = _WALL_FLOOR_S + sum(self.durations.values()) + 2 * self.max_setup
        jobs.update({t: Job(t, (t,), spare, _WALL_FACTOR * spare, (spare,)) for t in slow})
        alone.update({v.key: v for v in run_jobs([jobs[t] for t in slow], self._alone_work, workers=1)})
        budgets = {t: job.cpu_budget_s or 0.0 for t, job in jobs.items()}
        lonely, found = warm.alone_findings(alone.values(), budget_s=budgets)
        self.out.findings.extend(found)
        self.by_speed = [t for t in judges if t not in lonely]

    def _alone_work(self, job: Job) -> ChildResult:
        return self.runner.run(job, _nothing)

    def _reached(self) -> set[str]:
        """Return the tests that ran at least one ground-truth line in the baseline."""
        if self._reached_cache is None:
            lines = (tests for per_file in (self.covering or {}).values() for tests in per_file.values())
            self._reached_cache = set().union(*lines)
        return self._reached_cache

    def _sentinel(self) -> None:
        """Make every ground-truth function raise: at least one test must notice (mutmut's forced fail)."""
        reached = [t for t in self.by_speed if self.covering is None or t in self._reached()]
        trees = activate.sentinel_sources(self.sources)
        job = self.job("sentinel", reached or self.by_speed)

        def work(j: Job) -> ChildResult:
            return self.runner.run(j, lambda: activate.activate_sentinel(trees, self.live))

        sentinel = run_jobs([job], work, workers=1)[0]
        if sentinel.status is Status.TIMEOUT:
            # Failing is dearer than passing (shrinking, tracebacks) and a busy machine stretches the wall
            # clock: a timeout is confirmed with budgets ten times larger before it stops the run.
            sentinel = run_jobs([scaled(job, 10.0)], work, workers=1)[0]
        if sentinel.status is not Status.KILLED:
            raise MetaSetupError(
                "gtguard meta: sentinel run: no test failed while every ground-truth function raised, so "
                f"mutants cannot reach the code the tests run ({sentinel.status.value}). Mutated: "
                f"{', '.join(str(s) for s in self.sources[:5])}; set gtguard_meta_target to the code the "
                "tests import"
            )
        self.out.sentinel = f"forced failure caught by {sentinel.killed_by}"

    def _variants(self) -> None:
        """Run each hand-written variant against the whole suite; each must be killed."""
        settings, root = self.settings, self.root
        try:
            declared = variants.declared(
                settings.variants, base=root, sources=self.sources, where=settings.variants_source
            )
            found = variants.discovered(_test_dirs(settings, root), sources=self.sources, notes=self.out.notes)
        except ConfigError as exc:
            raise MetaSetupError(str(exc)) from None
        unique = {(v.target, v.text): v for v in [*declared, *found]}
        chosen = {f"variant:{v.name}:{_relative(v.target, root)}": v for v in unique.values()}
        verdicts = run_jobs(
            [self.job(key, self.by_speed) for key in chosen],
            lambda j: self.runner.run(
                j, lambda: activate.activate_source(chosen[j.key].target, chosen[j.key].text, self.live)
            ),
            workers=settings.workers,
        )
        self.out.variants = [
            VariantResult(
                chosen[v.key].name,
                _relative(chosen[v.key].target, root),
                chosen[v.key].origin,
                v.status,
                v.killed_by,
                v.reason,
            )
            for v in verdicts
        ]

    def _mutants(self, reporter: Any) -> None:
        """Generate, sample and run the seeded mutants, each against the tests that cover it."""
        out, settings = self.out, self.settings
        generated, out.tce_dropped = mutate.generate(self.parsed)
        generated = [m for m in generated if m.operator in settings.operators]
        out.generated = len(generated)
        chosen = mutate.sample(generated, seed=settings.seed, limit=settings.max_mutants)
        ignored = calibration(settings.calibrate)
        jobs, tests_of = [], {}
        for m in chosen:
            tests_of[m.id] = tests_for(m, self.covering, self.by_speed)
            if tests_of[m.id] and m.id not in ignored:
                jobs.append(self.job(m.id, tests_of[m.id]))
        by_id = {m.id: m for m in chosen}
        # Every sampled mutant counts, those settled without a child (NoCoverage, Ignored) from the start.
        jobless = [m.id for m in chosen if not tests_of[m.id] or m.id in ignored]
        settled = [Status.IGNORED if mid in ignored else Status.NO_COVERAGE for mid in jobless]
        progress = terminal.mutant_progress(reporter, total=len(chosen), settled=settled)
        self._lap("generation")
        results: dict[str, Verdict] = {}

        def record(verdict: Verdict) -> None:
            results[verdict.key] = verdict
            progress(verdict)

        try:
            run_jobs(
                jobs,
                lambda j: self.runner.run(j, lambda: activate.activate_mutant(by_id[j.key], self.live)),
                workers=settings.workers,
                on_verdict=record,
            )
        except KeyboardInterrupt:
            # Keep what finished: score it, show it, then let pytest report the interruption (exit 2).
            out.interrupted = True
            out.notes.append(f"interrupted after {len(results)} of {len(jobs)} mutants; the score covers those")
            unfinished = {j.key for j in jobs} - results.keys()
            chosen = [m for m in chosen if m.id not in unfinished]
        self._lap("mutation")
        for mid in ignored.keys() & by_id.keys():
            results[mid] = Verdict(mid, Status.IGNORED, None, 0, ignored[mid], 0.0)
        cpu = sorted(v.cpu_s for v in results.values())
        hangs = sorted(v.cpu_s for v in results.values() if v.status is Status.TIMEOUT)
        out.child_cpu_ms = {
            "median": 1000 * cpu[len(cpu) // 2] if cpu else 0.0,
            "timeoutMedian": 1000 * hangs[len(hangs) // 2] if hangs else 0.0,
        }
        out.mutants = [mutant_result(m, results.get(m.id), tests_of[m.id]) for m in chosen]

    def _finish(self) -> None:
        """Score, findings, reports and the verdict."""
        out, settings, session = self.out, self.settings, self.session
        reqs = _requirements(session)
        listed = listed_requirements(session.config.stash.get(TASK_KEY, None)) if reqs else []
        out.score = score(out.mutants, requirements=reqs, listed=listed, variants=out.variants)
        collected: dict[str, set[str]] = {}
        for item in session.items:
            collected.setdefault(str(item.path.resolve()), set()).add(getattr(item, "originalname", item.name))
        test_files = {item.path for item in session.items}
        if settings.suite is not None and settings.suite.is_dir():
            code = {s.resolve() for s in self.sources}
            test_files |= {
                p for p in settings.suite.rglob("*.py") if p.name != "conftest.py" and p.resolve() not in code
            }
        out.findings += smells.scan_suite(test_files, collected=collected, root=self.root)
        out.findings += smells.with_kill_data(out.score.kills_by_test, out.score.runs_by_test)
        out.failures = failures(out.score, out.variants, min_score=settings.min_score)
        out.failures += memorizer_report.failures(out.memorizers, mode=settings.memorizers)
        if settings.report_dir is not None:
            tests = report.collected_tests(session.items)
            out.report_paths = report.write_reports(out, settings, self.parsed, self.root, tests)


def _nothing() -> None:
    """Activate nothing: the ground truth as it is."""


def _parse(path: Path, root: Path) -> mutate.SourceFile:
    rel = _relative(path, root)
    try:
        return mutate.parse_source(path, rel)
    except SyntaxError as exc:
        raise MetaSetupError(
            f"gtguard meta: {rel}:{exc.lineno}: syntax error in the ground truth ({exc.msg}); "
            "fix the file or leave it out with gtguard_meta_target"
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise MetaSetupError(f"gtguard meta: cannot read {rel}: {exc}") from None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _requirements(session: pytest.Session) -> dict[str, list[str]]:
    reqs: dict[str, list[str]] = {}
    for item in session.items:
        for marker in item.iter_markers("req"):
            for req in marker.args:
                reqs.setdefault(str(req), []).append(item.nodeid)
    return reqs


def _test_dirs(settings: MetaSettings, root: Path) -> list[Path]:
    dirs = {p for p in (settings.suite, root / "tests", root / "test") if p is not None and p.is_dir()}
    return sorted(dirs)
