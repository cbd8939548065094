"""The phases of ``pytest --meta``: baseline, sentinel, hand-written variants, seeded mutants, score.

Glue between the collected session (``ItemRunner``) and the pure modules; the hooks call ``run``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_gtguard.errors import ConfigError, MetaSetupError
from pytest_gtguard.meta import activate, mutate, report, smells, variants
from pytest_gtguard.meta.execute import Job, Status, Verdict, run_jobs
from pytest_gtguard.meta.outcome import MetaOutcome
from pytest_gtguard.meta.runner import ItemRunner
from pytest_gtguard.meta.score import MutantResult, VariantResult, failures, score
from pytest_gtguard.side.plugin import TASK_KEY
from pytest_gtguard.side.task import Task

__all__ = ["MetaOutcome", "MetaSetupError", "run"]

# Budgets: a hang dies after ~CPU_BASE s of CPU; generous multiples keep slow-but-finite mutants alive.
_CPU_BASE_S = 0.03
_CPU_FACTOR = 4.0
_WALL_FLOOR_S = 2.0
_WALL_FACTOR = 4.0


def run(
    session: pytest.Session, runner: ItemRunner, settings: Any, sources: Sequence[Path], cov: Any
) -> MetaOutcome:
    """Run every phase against the collected ``session`` and return the outcome."""
    config = session.config
    out = MetaOutcome()
    if not sources:
        targets = ", ".join(str(t) for t in settings.targets)
        raise MetaSetupError(
            f"gtguard meta: no ground-truth .py files under {targets} (test files and test "
            "folders are skipped); point --gtguard-meta-target at the code the tests import"
        )
    started = time.perf_counter()
    root = config.rootpath
    parsed = [_parse(path, root) for path in sources]
    live = activate.LiveCode.scan(sources)
    ids = tuple(item.nodeid for item in session.items)
    runner.prewarm()
    out.timings["setup"] = time.perf_counter() - started

    # 1. Baseline: the whole suite once on the ground truth, with per-test coverage.
    job = Job("baseline", ids, None, None)
    with tempfile.TemporaryDirectory(prefix="gtguard-baseline-") as scratch:
        running = Path(scratch) / "running"
        base = run_jobs([job], lambda j: runner.baseline(j, cov, sources, running), workers=1)[0]
        culprit = running.read_text(encoding="utf-8") if running.exists() else "collection"
    if base.status is not Status.SURVIVED:
        raise MetaSetupError(
            f"gtguard meta: the baseline run crashed in {culprit} ({base.reason}); the suite must run to the "
            "end on the ground truth: fix that test, or deselect it with -k / --deselect"
        )
    runner.replay(base.payload["reports"])
    out.timings["baseline"] = time.perf_counter() - started - out.timings["setup"]
    durations: dict[str, float] = base.payload["durations"]
    max_setup = max(base.payload["setups"].values(), default=0.0)
    failed = sorted({r["nodeid"] for r in base.payload["reports"] if r.get("outcome") == "failed"})
    measured = base.payload.get("coverage", {})
    out.coverage = (
        {
            "files": {_relative(Path(f), root): info for f, info in measured.get("files", {}).items()},
            "totals": measured.get("totals", {}),
        }
        if measured
        else {}
    )
    if failed:
        out.baseline_failed = failed
        out.failures.append(
            f"{len(failed)} test(s) fail on the ground truth; a suite must pass on correct code"
        )
        return out
    covering = _covering(base.payload.get("covering"))
    by_speed = sorted(ids, key=lambda t: (durations.get(t, 0.0), t))

    def job_for(key: str, tests: Sequence[str]) -> Job:
        budgets = tuple(_CPU_BASE_S + _CPU_FACTOR * durations.get(t, 0.0) + 2 * max_setup for t in tests)
        total = sum(budgets) or _CPU_BASE_S
        # The wall clock is only a backstop for children that block without using CPU; under load a
        # child gets a fraction of a core, so it is a generous multiple of the CPU budgets.
        return Job(key, tuple(tests), total, max(_WALL_FLOOR_S, _WALL_FACTOR * total), budgets)

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    with runner.quiet():  # children of these phases print nothing and skip traceback formatting
        # 1b. Each test alone on the ground truth: a mutant's tests run without the rest of the suite, so
        # a test that needs another test's side effects would "kill" every mutant it meets.
        alone = run_jobs(
            [job_for(t, [t]) for t in by_speed], lambda j: runner.run(j, _nothing), workers=settings.workers
        )
        lonely = {v.key for v in alone if v.status is not Status.SURVIVED}
        out.findings.extend(
            smells.Finding(
                "fails-alone",
                t.split("::", 1)[0],
                0,
                t,
                "fails when run on its own against the ground "
                "truth (it depends on another test's side effects); not used to judge mutants",
            )
            for t in sorted(lonely)
        )
        by_speed = [t for t in by_speed if t not in lonely]

        # 2. Sentinel: every ground-truth function raises; at least one test must notice.
        reached = [
            t
            for t in by_speed
            if covering is None or any(t in tests for f in covering.values() for tests in f.values())
        ]
        trees = activate.sentinel_sources(sources)
        sentinel = run_jobs(
            [job_for("sentinel", reached or by_speed)],
            lambda j: runner.run(j, lambda: activate.activate_sentinel(trees, live)),
            workers=1,
        )[0]
        if sentinel.status is not Status.KILLED:
            raise MetaSetupError(
                "gtguard meta: sentinel run: no test failed while every ground-truth function raised, so "
                f"mutants cannot reach the code the tests run ({sentinel.status.value}). Mutated: "
                f"{', '.join(str(s) for s in sources[:5]) or 'no files'}; set gtguard_meta_target to the "
                "code the tests import"
            )
        out.sentinel = f"forced failure caught by {sentinel.killed_by}"

        # 3. Hand-written variants: each must be killed.
        try:
            declared = variants.declared(
                settings.variants, base=root, sources=sources, where=settings.variants_source
            )
            found = variants.discovered(_test_dirs(session, settings, root), sources=sources, notes=out.notes)
        except ConfigError as exc:
            raise MetaSetupError(str(exc)) from None
        unique = {(v.target, v.text): v for v in [*declared, *found]}
        chosen = {f"variant:{v.name}:{_relative(v.target, root)}": v for v in unique.values()}
        verdicts = run_jobs(
            [job_for(key, by_speed) for key in chosen],
            lambda j: runner.run(
                j, lambda: activate.activate_source(chosen[j.key].target, chosen[j.key].text, live)
            ),
            workers=settings.workers,
        )
        out.variants = [
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

        # 4. Seeded mutants, each against the tests that cover it, fastest first.
        t_gen = time.perf_counter()
        out.timings["checks"] = t_gen - started - out.timings["setup"] - out.timings["baseline"]
        generated, out.tce_dropped = mutate.generate(parsed)
        generated = [m for m in generated if m.operator in settings.operators]
        out.generated = len(generated)
        chosen_mutants = mutate.sample(generated, seed=settings.seed, limit=settings.max_mutants)
        ignored = _calibration(settings.calibrate)
        jobs, tests_of = [], {}
        for m in chosen_mutants:
            tests = _tests_for(m, covering, by_speed)
            tests_of[m.id] = tests
            if tests and m.id not in ignored:
                jobs.append(job_for(m.id, tests))
        by_id = {m.id: m for m in chosen_mutants}
        progress = _progress(reporter, len(jobs))
        t_mut = time.perf_counter()
        out.timings["generation"] = t_mut - t_gen
        results: dict[str, Verdict] = {}

        def record(verdict: Verdict) -> None:
            results[verdict.key] = verdict
            progress(verdict)

        try:
            run_jobs(
                jobs,
                lambda j: runner.run(j, lambda: activate.activate_mutant(by_id[j.key], live)),
                workers=settings.workers,
                on_verdict=record,
            )
        except KeyboardInterrupt:
            # Keep what finished: score it, show it, then let pytest report the interruption (exit 2).
            out.interrupted = True
            out.notes.append(
                f"interrupted after {len(results)} of {len(jobs)} mutants; the score covers those"
            )
            unfinished = {j.key for j in jobs} - results.keys()
            chosen_mutants = [m for m in chosen_mutants if m.id not in unfinished]
        out.timings["mutation"] = time.perf_counter() - t_mut
        for mid in ignored.keys() & by_id.keys():
            results[mid] = Verdict(mid, Status.IGNORED, None, 0, ignored[mid], 0.0)
        cpu = sorted(v.cpu_s for v in results.values())
        hangs = sorted(v.cpu_s for v in results.values() if v.status is Status.TIMEOUT)
        out.child_cpu_ms = {
            "median": 1000 * cpu[len(cpu) // 2] if cpu else 0.0,
            "timeoutMedian": 1000 * hangs[len(hangs) // 2] if hangs else 0.0,
        }
        out.mutants = [_result(m, results.get(m.id), tests_of[m.id]) for m in chosen_mutants]

    # 5. Score, findings, reports, verdict.
    reqs = _requirements(session)
    listed = _listed_requirements(config.stash.get(TASK_KEY, None)) if reqs else []
    out.score = score(out.mutants, requirements=reqs, listed=listed, variants=out.variants)
    collected: dict[str, set[str]] = {}
    for item in session.items:
        collected.setdefault(str(item.path.resolve()), set()).add(getattr(item, "originalname", item.name))
    test_files = {item.path for item in session.items}
    if settings.suite is not None and settings.suite.is_dir():
        code = {s.resolve() for s in sources}
        test_files |= {
            p for p in settings.suite.rglob("*.py") if p.name != "conftest.py" and p.resolve() not in code
        }
    out.findings += smells.scan_suite(test_files, collected=collected, root=root)
    out.findings += smells.with_kill_data(out.score.kills_by_test, out.score.runs_by_test)
    out.failures = failures(out.score, out.variants, min_score=settings.min_score)
    out.timings["total"] = time.perf_counter() - started
    if settings.report_dir is not None:
        out.report_paths = _write_reports(out, settings, parsed, root)
    return out


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


def _covering(raw: Mapping[str, Mapping[str, list[str]]] | None) -> dict[str, dict[int, set[str]]] | None:
    if raw is None:
        return None
    return {f: {int(line): set(tests) for line, tests in lines.items()} for f, lines in raw.items()}


def _tests_for(
    m: mutate.Mutant, covering: dict[str, dict[int, set[str]]] | None, by_speed: Sequence[str]
) -> list[str]:
    """Return the tests to run against ``m``: those that ran its lines, likeliest killers first.

    Tests named after the mutated function come first (``test_clamp_*`` for ``clamp``), then by baseline
    duration: a static order, so the killing test does not depend on scheduling.
    """
    if covering is None:
        chosen = list(by_speed)  # no coverage data: every test
    else:
        lines = covering.get(os.path.realpath(m.site.file.path), {})
        hit: set[str] = set()
        for line in range(m.line, m.end_line + 1):
            hit |= lines.get(line, set())
        chosen = [t for t in by_speed if t in hit]
    name = m.site.name.strip("_").lower()
    return sorted(chosen, key=lambda t: name not in t.rsplit("::", 1)[-1].lower())  # stable: speed order kept


def _result(m: mutate.Mutant, verdict: Verdict | None, tests: Sequence[str]) -> MutantResult:
    status = verdict.status if verdict else Status.NO_COVERAGE
    reason = verdict.reason if verdict else "no test runs this line"
    return MutantResult(
        m.id,
        m.site.file.relpath,
        m.operator,
        m.description,
        m.line,
        m.column,
        m.end_line,
        m.end_column,
        m.replacement,
        m.diff(),
        status,
        tuple(tests),
        verdict.killed_by if verdict else None,
        verdict.tests_run if verdict else 0,
        reason,
        (verdict.duration_s * 1000) if verdict else 0.0,
    )


def _calibration(path: Path | None) -> dict[str, str]:
    """Return ids of mutants a reference run did not detect (likely equivalent), with the reason to show."""
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        mutants = [m for info in document["files"].values() for m in info["mutants"]]
        undetected = {str(m["id"]) for m in mutants if m["status"] in ("Survived", "NoCoverage")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MetaSetupError(
            f"gtguard meta: --gtguard-meta-calibrate {path}: not a mutation report written by "
            f"--gtguard-meta-report ({type(exc).__name__}: {exc}); run the reference suite with "
            "--gtguard-meta-report=DIR and pass DIR/mutation-report.json"
        ) from None
    return dict.fromkeys(
        undetected, f"the reference run ({path.name}) did not detect it either: likely equivalent"
    )


def _listed_requirements(task: Task | None) -> list[str]:
    """Return the ``requirements`` list of the task's instance file, if it has one (free text, numbered)."""
    if task is None:
        return []
    for path in sorted((task.root / "instances").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        listed = data.get("requirements") if isinstance(data, dict) else None
        if isinstance(listed, list):
            return [str(r) for r in listed]
    return []


def _requirements(session: pytest.Session) -> dict[str, list[str]]:
    reqs: dict[str, list[str]] = {}
    for item in session.items:
        for marker in item.iter_markers("req"):
            for req in marker.args:
                reqs.setdefault(str(req), []).append(item.nodeid)
    return reqs


def _test_dirs(session: pytest.Session, settings: Any, root: Path) -> list[Path]:
    dirs = {p for p in (settings.suite, root / "tests", root / "test") if p is not None and p.is_dir()}
    return sorted(dirs)


def _progress(reporter: Any, total: int) -> Callable[[Verdict], None]:
    counts = {"done": 0, "killed": 0, "survived": 0, "shown": -1}
    tty = reporter is not None and reporter.isatty

    def on_verdict(verdict: Verdict) -> None:
        counts["done"] += 1
        counts["killed"] += verdict.status in (Status.KILLED, Status.TIMEOUT)
        counts["survived"] += verdict.status is Status.SURVIVED
        if reporter is None:
            return
        tenth = 10 * counts["done"] // max(total, 1)
        if not tty and tenth == counts["shown"]:
            return
        counts["shown"] = tenth
        bar = report.progress_bar(counts["done"], total, killed=counts["killed"], survived=counts["survived"])
        reporter.write(("\r" if tty else "\n") + "gtguard meta: mutants " + bar, flush=True)
        if counts["done"] == total:
            reporter.write("\n")

    return on_verdict


def _write_reports(
    out: MetaOutcome, settings: Any, parsed: Sequence[mutate.SourceFile], root: Path
) -> list[Path]:
    from pytest_gtguard import __version__

    if out.score is None:
        return []
    document = report.to_schema(
        out.mutants,
        sources={p.relpath: p.text for p in parsed},
        root=root,
        score=out.score,
        variants=out.variants,
        findings=out.findings,
        coverage=out.coverage,
        config={
            "seed": settings.seed,
            "maxMutants": settings.max_mutants,
            "minScore": settings.min_score,
            "failures": out.failures,
            "baselineFailed": out.baseline_failed,
            "childCpuMs": out.child_cpu_ms,
        },
        performance={
            "initialRun": out.timings.get("baseline", 0.0),
            "mutation": out.timings.get("mutation", 0.0),
        },
        version=__version__,
    )
    json_path = settings.report_dir / "mutation-report.json"
    html_path = settings.report_dir / "mutation-report.html"
    report.write_json(document, json_path)
    report.write_html(document, html_path)
    return [json_path, html_path]
