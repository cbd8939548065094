"""pytest glue for side selection: activation before conftests load, header, fixtures, honest outcomes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.settings import CORE_OPTIONS, Option, resolve
from pytest_gtguard.side.imports import SideFinder
from pytest_gtguard.side.load import load_module
from pytest_gtguard.side.task import Side, SideKind, Task, render_env, select_sides

__all__ = ["SIDE_RUN_KEY", "TASK_KEY", "SidePlugin", "SideRun", "activate", "fixtures"]

_OPTS = {opt.dest: opt for opt in CORE_OPTIONS}


@dataclass
class SideRun:
    """What an active single-side run set up; undone at unconfigure."""

    side: Side
    finder: SideFinder
    env: dict[str, str]
    sources: dict[str, str]
    monkeypatch: pytest.MonkeyPatch = field(default_factory=pytest.MonkeyPatch)


TASK_KEY = pytest.StashKey["Task | None"]()
SIDE_RUN_KEY = pytest.StashKey[SideRun]()
SIDES_KEY = pytest.StashKey["tuple[Side, ...]"]()


def _value(config: pytest.Config, dest: str) -> tuple[object, str]:
    got = resolve(
        _OPTS[dest], cli=config.known_args_namespace, environ=os.environ, getini=config.getini, base=config.rootpath
    )
    return got.value, got.source


def select(config: pytest.Config, args: Sequence[str]) -> tuple[Task | None, tuple[Side, ...]]:
    """Find the task and the sides asked for; raise ``pytest.UsageError`` with the fix on bad input."""
    try:
        task_dir, task_src = _value(config, "gtguard_task")
        if isinstance(task_dir, Path):
            task: Task | None = Task.at(task_dir, where=task_src)
        else:
            starts = [Path(a) for a in args if not a.startswith("-") and Path(a.split("::")[0]).exists()]
            task = Task.discover([*starts, config.rootpath, config.invocation_params.dir])
        repo, _ = _value(config, "gtguard_repo")
        fallback, fallback_src = _value(config, "gtguard_side")
        sides = select_sides(
            before=bool(_value(config, "gtguard_before")[0]),
            after=bool(_value(config, "gtguard_after")[0]),
            repo=repo if isinstance(repo, Path) else None,
            fallback=str(fallback) if fallback else None,
            fallback_source=fallback_src,
            task=task,
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    return task, sides


def activate(config: pytest.Config, side: Side) -> SideRun:
    """Point imports and environment variables at ``side`` before any conftest is imported."""
    templates, where = _value(config, "gtguard_env")
    alias, _ = _value(config, "gtguard_repo_alias")
    try:
        env = render_env(tuple(templates or ()), side, where=where)  # type: ignore[call-overload]
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    run = SideRun(side, SideFinder(side, alias=str(alias) or None), env, {"gtguard_env": where})
    for name, value in env.items():
        run.monkeypatch.setenv(name, value)
    # Subprocesses the tests start see the side too, as with the PYTHONPATH swap 38% of tasks use.
    run.monkeypatch.setenv("PYTHONPATH", str(side.path), prepend=os.pathsep)
    run.finder.install()
    return run


def deactivate(run: SideRun) -> None:
    """Undo ``activate`` (in-process pytester runs share the interpreter)."""
    run.finder.uninstall()
    run.monkeypatch.undo()


class SidePlugin:
    """Hooks active while one side is under test."""

    def __init__(self, run: SideRun) -> None:
        self._run = run
        self._passed_on_empty = 0
        self._restored: tuple[int, int] | None = None

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Say which side and path are under test, first thing in the run."""
        side = self._run.side
        lines = [f"gtguard: testing {side.describe()}"]
        if side.task is not None:
            lines.append(f"gtguard: task {side.task.root}")
        if self._run.env:
            lines.append("gtguard: env " + " ".join(f"{k}={v}" for k, v in self._run.env.items()))
        return lines

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        """On an empty side a skip is a failure: nothing there can make a test legitimately skip."""
        report: pytest.TestReport = yield
        if self._run.side.is_empty:
            if report.skipped and not hasattr(report, "wasxfail"):
                reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
                report.outcome = "failed"
                report.longrepr = (
                    f"gtguard: skipped against an empty side {self._run.side.describe()} ({reason}); "
                    "on an empty side a skip counts as a failure"
                )
            elif report.passed and report.when == "call":
                self._passed_on_empty += 1
        return report  # type: ignore[return-value]

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Iterator[None]:
        """Undo a conftest that forces exit status 0 (survey §2: 23 tasks do), so a failing side fails."""
        try:
            return (yield)
        finally:
            if exitstatus != 0 and session.exitstatus == 0:
                self._restored = (int(exitstatus), 0)
                session.exitstatus = exitstatus
                _warn_line(session.config, f"gtguard: a pytest_sessionfinish hook changed the exit status from "
                           f"{int(exitstatus)} to 0; restored {int(exitstatus)} so a failing side cannot pass")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Warn about tests that pass against an empty side: they cannot be testing its code."""
        if self._passed_on_empty:
            terminalreporter.write_line(
                f"gtguard: {self._passed_on_empty} test(s) passed against the empty side "
                f"{self._run.side.describe()}: they do not exercise its code (check their imports)",
                yellow=True,
            )


def _warn_line(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text, red=True)


class Fixtures:
    """Fixtures available whenever gtguard is installed."""

    @pytest.fixture
    def gtguard_side(self, request: pytest.FixtureRequest) -> Side:
        """Return the side under test (kind, path, task); fail the test when no side was selected."""
        run = request.config.stash.get(SIDE_RUN_KEY, None)
        if run is None:
            pytest.fail("gtguard_side: no side under test; run pytest --before, --after or --repo PATH",
                        pytrace=False)
        return run.side

    @pytest.fixture
    def load_side(self, request: pytest.FixtureRequest) -> Callable[[str, str], ModuleType]:
        """Return ``load(side, module)``: import ``module`` from side "before", "after" or a path, isolated."""
        config = request.config
        run = config.stash.get(SIDE_RUN_KEY, None)
        task = config.stash.get(TASK_KEY, None)
        alias, _ = _value(config, "gtguard_repo_alias")

        def load(which: str, module: str) -> ModuleType:
            __tracebackhide__ = True
            side = _named_side(which, task, run)
            return load_module(side, module, finder=run.finder if run else None, alias=str(alias) or None)

        return load


def _named_side(which: str, task: Task | None, run: SideRun | None) -> Side:
    __tracebackhide__ = True
    if which in ("before", "after"):
        if task is None:
            pytest.fail(f"load_side({which!r}, ...): no task found; run inside the task or pass --gtguard-task",
                        pytrace=False)
        kind = SideKind(which)
        return Side(kind, task.before_dir if kind is SideKind.BEFORE else task.after_dir, task)
    if which in ("candidate", "under_test") and run is not None:
        return run.side
    path = Path(which)
    if not path.is_dir():
        pytest.fail(f"load_side({which!r}, ...): not 'before', 'after' or an existing folder", pytrace=False)
    return Side(SideKind.CANDIDATE, path.resolve(), task)


fixtures = Fixtures()
