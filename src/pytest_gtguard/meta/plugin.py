"""pytest glue for ``pytest --meta``: settings, the implied side, and MetaPlugin (takes over the run loop)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_gtguard import _cov, _header, _procs, _xdist
from pytest_gtguard._config import option
from pytest_gtguard.meta import phases
from pytest_gtguard.meta.memorizer_report import MODES as MEMORIZER_MODES
from pytest_gtguard.meta.operators import FAMILIES
from pytest_gtguard.meta.runner import ItemRunner, start_coverage
from pytest_gtguard.meta.sources import default_suite, find_sources
from pytest_gtguard.side.plugin import TASK_KEY
from pytest_gtguard.side.task import Side, SideKind, Task

__all__ = ["COV_NOTE", "MetaPlugin", "MetaSettings", "configure", "implied_sides", "meta_requested"]

COV_NOTE = (
    "gtguard: --cov ignored under --meta: gtguard measures each test's coverage itself to pick the tests for "
    "each mutant, and coverage.py runs one collector per process; run pytest --cov without --meta for the figure"
)


def _value(config: pytest.Config, dest: str) -> tuple[Any, str]:
    got = option(config, dest)
    return got.value, got.source


def meta_requested(config: pytest.Config) -> bool:
    """Return True when ``--meta`` was given."""
    return bool(_value(config, "gtguard_meta")[0])


def configure(config: pytest.Config, side: Side | None) -> None:
    """Register MetaPlugin when ``--meta`` was given (never on xdist workers); plugin.py adds the req marker."""
    if meta_requested(config) and not _xdist.is_worker(config):
        _cov.stand_down(config, COV_NOTE)  # before --meta's own coverage starts (docs/xdist.md)
        plugin = MetaPlugin(config, MetaSettings.from_config(config, side))
        config.pluginmanager.register(plugin, "gtguard-meta")


def implied_sides(config: pytest.Config, task: Task | None, sides: tuple[Side, ...]) -> tuple[Side, ...]:
    """In a task with no side chosen, ``--meta`` tests the after side (the ground truth)."""
    if sides or task is None or not task.after_dir.is_dir() or not meta_requested(config):
        return sides
    return (Side(SideKind.AFTER, task.after_dir, task),)


@dataclass(frozen=True)
class MetaSettings:
    """Resolved ``--meta`` settings."""

    seed: int
    max_mutants: int | None
    min_score: float
    suite: Path | None
    targets: tuple[Path, ...]
    variants: tuple[str, ...]
    variants_source: str
    workers: int
    report_dir: Path | None
    operators: frozenset[str] = frozenset(FAMILIES)
    calibrate: Path | None = None
    evaluation: Path | None = None  # the evaluation report.json, when the reports went to the default place
    memorizers: str = "warn"  # warn, fail or off (memorizer_report.MODES)

    @classmethod
    def from_config(cls, config: pytest.Config, side: Side | None) -> MetaSettings:
        """Resolve every option; raise ``pytest.UsageError`` naming the option on a bad value."""
        xdist_workers = None
        if _xdist.requested(config):  # --meta forks its own workers: -n N says how many, xdist starts none
            xdist_workers = _xdist.workers_count(_xdist.workers_value(config))
            _xdist.no_workers(config)
        if not hasattr(os, "fork"):
            raise pytest.UsageError("--meta needs os.fork (Linux or macOS); on Windows run it under WSL")
        seed, _ = _value(config, "gtguard_meta_seed")
        max_mutants, max_src = _value(config, "gtguard_meta_max_mutants")
        min_score, min_src = _value(config, "gtguard_meta_min_score")
        workers, workers_src = _value(config, "gtguard_meta_workers")
        if max_mutants is not None and max_mutants < 1:
            raise pytest.UsageError(f"{max_src}: expected at least 1 mutant, got {max_mutants}")
        if not 0 <= min_score <= 100:
            raise pytest.UsageError(f"{min_src}: a score is a percentage from 0 to 100, got {min_score:g}")
        if workers is not None and workers < 1:
            raise pytest.UsageError(f"{workers_src}: expected at least 1 worker, got {workers}")
        if xdist_workers is not None:
            given = _xdist.workers_value(config)
            note = f"-n {given} → no xdist workers; {workers_src} sets the meta workers"
            if workers is None:
                workers, note = xdist_workers, f"-n {given} → {xdist_workers} meta workers, no xdist workers"
            _header.add_line(config, "xdist", f"gtguard: {note}")
        suite, _ = _value(config, "gtguard_meta_suite")
        if suite is None:
            suite = default_suite(side.path if side else None)
        targets, targets_src = _value(config, "gtguard_meta_target")
        target_paths = tuple(Path(str(t)) for t in targets or ())
        target_paths = tuple(t if t.is_absolute() else config.rootpath / t for t in target_paths)
        for target in target_paths:
            if not target.exists():
                raise pytest.UsageError(
                    f"{targets_src}: {target} does not exist; name the ground-truth files or folders to mutate"
                )
        if not target_paths:
            target_paths = (side.path,) if side is not None else (config.rootpath,)
        variants, variants_src = _value(config, "gtguard_meta_variants")
        report, _ = _value(config, "gtguard_meta_report")
        evaluation = None
        if report is None and side is not None and side.task is not None:
            # Inside a task the meta run is the evaluation: evaluation/<date>/<time>/{report.json, meta/}.
            from pytest_gtguard.split.report import default_report_path

            evaluation = default_report_path(side.task.root, dt.datetime.now(dt.timezone.utc))
            report = evaluation.parent / "meta"
        names, names_src = _value(config, "gtguard_meta_operators")
        operators = frozenset(n for raw in names or () for n in str(raw).replace(",", " ").split())
        unknown = operators - set(FAMILIES)
        if unknown:
            raise pytest.UsageError(
                f"{names_src}: unknown operator famil(ies) {', '.join(sorted(unknown))}; "
                f"choose from {', '.join(FAMILIES)}"
            )
        memorizers, memorizers_src = _value(config, "gtguard_meta_memorizers")
        if str(memorizers).strip().lower() not in MEMORIZER_MODES:
            raise pytest.UsageError(f"{memorizers_src}: got {memorizers!r}; pass {', '.join(MEMORIZER_MODES)}")
        return cls(
            int(seed),
            max_mutants,
            float(min_score),
            suite,
            target_paths,
            tuple(variants or ()),
            variants_src,
            int(workers or os.cpu_count() or 1),
            report,
            operators or frozenset(FAMILIES),
            _value(config, "gtguard_meta_calibrate")[0],
            evaluation,
            str(memorizers).strip().lower(),
        )


class MetaPlugin:
    """Take over the run loop after collection and judge the collected suite."""

    def __init__(self, config: pytest.Config, settings: MetaSettings) -> None:
        self._config = config
        self._settings = settings
        self._cov: Any = None
        self._sources: list[Path] = []
        self._outcome: phases.MetaOutcome | None = None
        self._started = dt.datetime.now(dt.timezone.utc)
        self._runner: ItemRunner | None = None
        if settings.suite is not None and config.args_source is not pytest.Config.ArgsSource.ARGS:
            config.args = [str(settings.suite)]

    def pytest_report_header(self) -> list[str]:
        """Say what is judged against what, and the seed (reproducibility, as pytest-randomly does)."""
        s = self._settings
        targets = ", ".join(str(t) for t in s.targets)
        return [
            f"gtguard meta: suite {s.suite or 'as collected'}; mutating {targets}; seed {s.seed}; workers {s.workers}"
        ]

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session: pytest.Session) -> Iterator[None]:
        """Measure coverage while the suite imports the ground truth, so import-time lines count."""
        # Test folders are left out of the mutated code, unless the ground truth itself lives in them.
        exclude = [self._settings.suite] if self._settings.suite else []
        exclude += [Path(a.split("::")[0]) for a in self._config.args if Path(a.split("::")[0]).is_dir()]
        targets = [t.resolve() for t in self._settings.targets]
        exclude = [e for e in exclude if e.exists() and not any(t.is_relative_to(e.resolve()) for t in targets)]
        self._sources = find_sources(self._settings.targets, exclude=exclude)
        self._cov = start_coverage(self._sources)
        try:
            return (yield)
        finally:
            if self._cov is not None:
                self._cov.stop()

    @pytest.hookimpl(tryfirst=True)  # tryfirst: replace pytest's own loop, as xdist's DSession does
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """Run the meta phases instead of the normal loop."""
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            return None  # the default loop reports the collection errors
        if session.config.option.collectonly or not session.items:
            return None  # nothing to judge: pytest says "no tests ran" (exit 5)
        self._runner = ItemRunner(session)
        session.config.pluginmanager.register(self._runner, "gtguard-meta-runner")
        try:
            # SIGTERM in any phase (the baseline's folder too, not only the children's) removes this
            # process's temp folders, then ends it as SIGTERM would (_procs.add_terminate).
            with _procs.on_terminate(_no_cleanup):
                self._outcome = phases.run(session, self._runner, self._settings, self._sources, self._cov)
        except phases.MetaSetupError as exc:
            raise pytest.UsageError(str(exc)) from None
        session.testsfailed += len(self._outcome.failures)
        task = session.config.stash.get(TASK_KEY, None)
        if self._settings.evaluation is not None and task is not None:
            from pytest_gtguard.meta.evaluation import write_meta_report

            write_meta_report(self._outcome, path=self._settings.evaluation, task_root=task.root, started=self._started)
        if self._outcome.interrupted:
            raise KeyboardInterrupt  # pytest reports it (exit 2); the summary shows the finished part
        return True

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the meta summary: phases, score, survivors, findings, verdict."""
        if self._outcome is None:
            return
        from pytest_gtguard.meta import terminal

        terminalreporter.section("gtguard meta")
        for line, markup in terminal.summary_lines(self._outcome, min_score=self._settings.min_score):
            terminalreporter.write_line(line, **markup)
        sys.stdout.flush()
        # pytest's closing line prints every stats key as "<reports> <key>": one report per mutant run
        # gives "22 mutants, meta score 75.0% (pass, min 80%)" (the split's closing line does the same).
        part = terminal.closing_part(self._outcome, min_score=self._settings.min_score)
        if part is not None:
            key, _ = part
            reports = terminalreporter.stats.setdefault(key, [])
            for m in self._outcome.mutants:
                outcome = _CLOSING_OUTCOMES.get(m.status.value, "skipped")
                reports.append(pytest.TestReport(m.id, (m.file, m.line - 1, m.id), {}, outcome, None, "call"))


# What each mutant's entry in the closing line's stats counts as, for plugins that read the reports.
_CLOSING_OUTCOMES: dict[str, Literal["passed", "failed", "skipped"]] = {
    "Killed": "passed",
    "Timeout": "passed",
    "Survived": "failed",
    "NoCoverage": "failed",
}


def _no_cleanup() -> None:
    """Nothing beyond what SIGTERM's handler does for every gtguard process: remove its temp folders."""
