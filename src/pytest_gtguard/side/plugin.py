"""pytest glue for side selection: activation before conftests load, header, fixtures, honest outcomes."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gtguard._config import option
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.settings import ALL_OPTIONS, BOUNDS
from pytest_gtguard.side.flags import SHORT_FLAGS, declared_options, named_folders, named_paths
from pytest_gtguard.side.rootdir import changed_setup, separate_values
from pytest_gtguard.side.task import Side, SideKind, Task, select_sides

if TYPE_CHECKING:
    from pytest_gtguard.side.exits import ExitGuard
    from pytest_gtguard.side.imports import SideFinder
    from pytest_gtguard.side.plan import SidePlan
    from pytest_gtguard.split.trace import ReachWatcher

# The import machinery (imports, load, conventions) is imported inside the functions that need it: this
# module is imported by every pytest run of everyone who has gtguard installed (bench/import_cost.py).

__all__ = [
    "SIDES_KEY",
    "SIDE_RUN_KEY",
    "TASK_KEY",
    "SidePlugin",
    "SideRun",
    "activate",
    "declared_options",
    "fixtures",
    "refuse_repo_as_test_path",
    "select",
]


@dataclass
class SideRun:
    """What an active single-side run set up; undone at unconfigure."""

    side: Side
    finder: SideFinder
    env: dict[str, str]
    sources: dict[str, str]
    notes: list[str] = field(default_factory=list)  # extra header lines: alias, detected variables
    monkeypatch: pytest.MonkeyPatch = field(default_factory=pytest.MonkeyPatch)
    exit_guard: ExitGuard | None = None  # os._exit while the session runs (side/exits.py)
    plan: SidePlan | None = None
    watcher: ReachWatcher | None = None  # sees code loaded by file path from the other side's folder


TASK_KEY = pytest.StashKey["Task | None"]()
SIDE_RUN_KEY = pytest.StashKey[SideRun]()
SIDES_KEY = pytest.StashKey["tuple[Side, ...]"]()


def _value(config: pytest.Config, dest: str) -> tuple[Any, str]:
    got = option(config, dest)
    return got.value, got.source


# pytest chooses rootdir and configfile (Config.parse -> findpaths.determine_setup) from a first parse that
# knows only pytest's own options: gtguard, loaded from its entry point later in the same call, has not
# declared --repo yet, so in `--repo PATH` that parse counts PATH among the test paths. What we weighed:
# - Fixing it before the choice: no hook of an entry-point plugin runs that early (pytest_addoption and
#   pytest_addhooks come after it and get no config); only the caller can write `--repo=PATH`.
# - Choosing again afterwards: needs Config._rootpath/_inipath/_inicfg (private), and cannot be done
#   safely anyway: by pytest_load_initial_conftests, the first hook with a config, the chosen file's
#   addopts are applied, its `pythonpath` is on sys.path and its `-p` plugins are imported.
# - So: stop with the fix whenever PATH changed the choice (a candidate's pytest.ini, tox.ini, setup.cfg
#   or pyproject.toml, or the task's ini passed over), and go on when it changed nothing (the usual
#   `cd task && pytest --repo cand`), which side.rootdir.changed_setup works out from what pytest chose.
_REPO_FLAGS = frozenset(f for opt in ALL_OPTIONS if opt.dest == "gtguard_repo" for f in opt.flags)


def refuse_repo_as_test_path(config: pytest.Config, parser: pytest.Parser) -> None:
    """Stop when ``--repo PATH`` (two arguments) let PATH choose pytest's rootdir or configfile."""
    tokens = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *map(str, config.invocation_params.args)]
    if _REPO_FLAGS.isdisjoint(tokens):
        return  # the cheap answer for almost every pytest run
    # The parser now knows every plugin's options: its positionals are the test paths of `--repo=PATH`.
    # A flag it does not know is a task conftest's own --repo (flags.py), not gtguard's.
    known, unknown = parser.parse_known_and_unknown_args(tokens)
    for flag, value in separate_values(tokens, _REPO_FLAGS - set(unknown)):
        if changed_setup(
            value,
            rootdir=config.rootpath,
            inifile=config.inipath,
            test_paths=[str(arg) for arg in known.file_or_dir],
            invocation_dir=config.invocation_params.dir,
            config_file=known.inifilename,
            rootdir_option=known.rootdir,
        ):
            chose = f"configfile {config.inipath} and rootdir" if config.inipath else "no configfile and rootdir"
            raise pytest.UsageError(
                f"{flag} {value}: pytest chooses its configuration before plugins declare their options, so it "
                f"took {value} for a test path and chose {chose} {config.rootpath}; write {flag}={value} "
                "(one argument) so the task's configuration applies"
            )


def select(config: pytest.Config, args: Sequence[str]) -> tuple[Task | None, tuple[Side, ...]]:
    """Find the task and the sides asked for; raise ``pytest.UsageError`` with the fix on bad input.

    The first hook of every run, so it also checks every numeric option (settings.BOUNDS) and, for a split,
    that there are tests: a bad value stops here, before anything runs, whether or not this run reads it.
    """
    for dest in BOUNDS:
        option(config, dest)  # raises pytest.UsageError naming the value's source
    try:
        starts = [Path(a) for a in args if not a.startswith("-") and Path(a.split("::")[0]).exists()]
        task_dir, task_src = _value(config, "gtguard_task")
        if isinstance(task_dir, Path):
            task: Task | None = Task.at(task_dir, where=task_src)
        else:
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
        if len(sides) == 2 and task is not None:
            from pytest_gtguard.split.config import check_tests  # the split imports it anyway

            check_tests(task, starts, config.getini("testpaths"), example="pytest --before --after path/to/tests")
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    return task, sides


def activate(config: pytest.Config, side: Side) -> SideRun:
    """Point imports and environment variables at ``side`` before any conftest is imported."""
    try:
        run = _prepare(config, side)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    for name, value in run.env.items():
        run.monkeypatch.setenv(name, value)
    # Subprocesses the tests start see the side too, as with the PYTHONPATH swap 38% of tasks use.
    run.monkeypatch.setenv("PYTHONPATH", str(side.path), prepend=os.pathsep)
    run.finder.install()
    if run.plan is not None and run.plan.watch and side.task is not None and side.kind is not SideKind.CANDIDATE:
        from pytest_gtguard.split.trace import ReachWatcher

        run.watcher = ReachWatcher({"before": side.task.before_dir, "after": side.task.after_dir})
        run.watcher.start()
    from pytest_gtguard.side.exits import ExitGuard, graded, say_uncaptured

    # Until the session finishes, os._exit(0) from the code under test (conftests included) exits nonzero.
    if not graded():
        capman = config.pluginmanager.get_plugin("capturemanager")
        run.exit_guard = ExitGuard(os._exit, lambda text: say_uncaptured(capman, text))
        run.monkeypatch.setattr(os, "_exit", run.exit_guard)
    # Cleanups run even when the session dies before pytest_configure (a broken conftest), which
    # pytest_unconfigure would not see; pytest.main embedded twice must not inherit the side.
    config.add_cleanup(lambda: deactivate(run))
    return run


def _prepare(config: pytest.Config, side: Side) -> SideRun:
    from pytest_gtguard.side.conventions import TaskConventions, scan_conventions
    from pytest_gtguard.side.imports import SideFinder
    from pytest_gtguard.side.plan import plan_side

    templates, templates_where = _value(config, "gtguard_env")
    alias_mode, alias_mode_where = _value(config, "gtguard_alias_before")
    plan = plan_side(
        side,
        conventions=scan_conventions(side.task) if side.task else TaskConventions((), False, False),
        templates=[str(t) for t in templates] if isinstance(templates, tuple) else [],
        templates_where=templates_where,
        detect=bool(_value(config, "gtguard_env_detect")[0]),
        alias_name=str(_value(config, "gtguard_repo_alias")[0] or ""),
        alias_mode=str(alias_mode or ""),
        alias_mode_where=alias_mode_where,
        named=named_paths([str(a) for a in config.invocation_params.args]),
    )
    finder = SideFinder(side, alias=plan.alias)
    return SideRun(side, finder, plan.env, plan.sources, list(plan.notes), plan=plan)


def deactivate(run: SideRun) -> None:
    """Undo ``activate`` (in-process pytester runs share the interpreter); safe to call twice."""
    run.finder.uninstall()
    run.monkeypatch.undo()


class SidePlugin:
    """Hooks active while one side is under test."""

    def __init__(self, run: SideRun) -> None:
        self._run = run
        self._exit_guard = run.exit_guard
        self._empty = run.side.is_empty  # walk the folder once, not once per report
        self._passed_on_empty = 0
        task = run.side.task
        self._other_sides = tuple(
            folder.resolve()
            for folder in ((task.before_dir, task.after_dir) if task else ())
            if folder.is_dir() and folder.resolve() != run.side.path
        )
        self._explicit: tuple[Path, ...] | None = None
        self._own: tuple[Path, ...] = ()  # a testing task's own side folder: its suite is not the run's

    @pytest.hookimpl(tryfirst=True)  # before a conftest's own pytest_configure reads the option
    def pytest_configure(self, config: pytest.Config) -> None:
        """Set a task's own side option (``--repo before|after``) to the side under test (side/task_options.py)."""
        from pytest_gtguard.side.task_options import hand_side

        args = [str(a) for a in config.invocation_params.args]
        tokens = [*config.getini("addopts"), *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *args]
        starts = {config.invocation_params.dir, *(p.resolve() for p in named_folders(args))}
        kind = self._run.side.kind
        self._run.notes += hand_side(config.option, starts=starts, flags=SHORT_FLAGS, kind=kind, tokens=tokens)

    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        """Do not collect the other side's folder: its tests and conftests belong to that side.

        Testing tasks ship the solution's own suite in repository_after (survey §5); collecting it under
        --before would import repository_after through the back door, and under --after the run is about
        the meta-tests in tests/, so a testing task's own side folder is left out too. Naming the folder
        (or a file in it) on the command line still collects it.
        """
        if self._explicit is None:
            self._explicit = tuple(Path(arg.split("::")[0]).resolve() for arg in config.args)
            self._own = _own_side_if_testing(self._run.side)
        for folder in (*self._other_sides, *self._own):
            if _within(collection_path, folder) and not any(_within(arg, folder) for arg in self._explicit):
                return True
        return None

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Say which side and path are under test, first thing in the run."""
        side = self._run.side
        lines = [f"gtguard: testing {side.describe()}"]
        if side.task is not None:
            lines.append(f"gtguard: task {side.task.root}")
        if self._run.env:
            lines.append("gtguard: env " + " ".join(f"{k}={v}" for k, v in self._run.env.items()))
        lines.extend(self._run.notes)
        return lines

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        """Name the running test for an ``os._exit`` it makes."""
        if self._exit_guard is not None:
            self._exit_guard.where = f"the test {item.nodeid}"
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        """On an empty side a skip is a failure: nothing there can make a test legitimately skip."""
        report: pytest.TestReport = yield  # type: ignore[assignment]
        if self._empty:
            if report.skipped and not hasattr(report, "wasxfail"):
                report.outcome = "failed"
                report.longrepr = self._skip_message(report.longrepr)
            elif report.passed and report.when == "call":
                self._passed_on_empty += 1
        return report  # type: ignore[return-value]

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Iterator[None]:
        """Turn a module-level skip (``importorskip``, module-level ``pytest.skip``) into an error."""
        report: pytest.CollectReport = yield  # type: ignore[assignment]
        if self._empty and report.skipped:
            report.outcome = "failed"
            report.longrepr = self._skip_message(report.longrepr)
        return report  # type: ignore[return-value]

    def _skip_message(self, longrepr: object) -> str:
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return (
            f"gtguard: skipped against the empty side {self._run.side.describe()} ({reason}); "
            "on an empty side a skip counts as a failure"
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Iterator[None]:
        """Undo a conftest that forces exit status 0 (survey §2: 23 tasks do), so a failing side fails."""
        guard = self._exit_guard
        if guard is not None:
            guard.where, guard.status = "a pytest_sessionfinish hook", int(exitstatus)
        try:
            return (yield)
        finally:
            if guard is not None:
                guard.finished = True
            if exitstatus != 0 and session.exitstatus == 0:
                session.exitstatus = exitstatus
                _warn_line(
                    session.config,
                    f"gtguard: a pytest_sessionfinish hook changed the exit status from {int(exitstatus)} "
                    f"to 0; restored {int(exitstatus)} so a failing side cannot pass",
                )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Warn about tests that pass against an empty side, and about a run that executed the other side."""
        # A test file named in the other side's folder (a testing task's suite) is loaded from there on purpose.
        named_other = any(_within(arg, f) for arg in self._explicit or () for f in self._other_sides)
        if self._run.watcher is not None and self._run.plan is not None and not named_other:
            from pytest_gtguard.side.plan import other_side_message

            message = other_side_message(self._run.side, self._run.watcher.stop(), self._run.plan)
            if message:
                terminalreporter.write_line(message, red=True)
        if self._passed_on_empty:
            terminalreporter.write_line(
                f"gtguard: {self._passed_on_empty} test(s) passed against the empty side "
                f"{self._run.side.describe()}: they do not exercise its code (check their imports)",
                yellow=True,
            )


def _own_side_if_testing(side: Side) -> tuple[Path, ...]:
    if side.task is None or side.kind is SideKind.CANDIDATE:
        return ()
    from pytest_gtguard.task.category import task_category

    return (side.path,) if task_category(side.task.root).is_testing else ()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


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
            pytest.fail("gtguard_side: no side under test; run pytest --before, --after or --repo PATH", pytrace=False)
        return run.side

    @pytest.fixture
    def load_side(self, request: pytest.FixtureRequest) -> Callable[[str, str], ModuleType]:
        """Return ``load(side, module)``: import ``module`` from "before", "after" or a path, isolated."""
        config = request.config
        run = config.stash.get(SIDE_RUN_KEY, None)
        task = config.stash.get(TASK_KEY, None)
        alias, _ = _value(config, "gtguard_repo_alias")

        def load(which: str, module: str) -> ModuleType:
            __tracebackhide__ = True
            from pytest_gtguard.side.load import load_module

            side = _named_side(which, task, run)
            return load_module(side, module, finder=run.finder if run else None, alias=str(alias) or None)

        return load


def _named_side(which: str, task: Task | None, run: SideRun | None) -> Side:
    __tracebackhide__ = True
    if which in ("before", "after"):
        if task is None:
            pytest.fail(
                f"load_side({which!r}, ...): no task found; run inside the task or pass --gtguard-task",
                pytrace=False,
            )
        kind = SideKind(which)
        return Side(kind, task.before_dir if kind is SideKind.BEFORE else task.after_dir, task)
    if which in ("candidate", "under_test"):
        if run is None:
            pytest.fail(f"load_side({which!r}, ...): no side under test; run pytest --repo PATH", pytrace=False)
        return run.side
    path = Path(which)
    if not path.is_dir():
        pytest.fail(
            f"load_side({which!r}, ...): not 'before', 'after', 'under_test' or an existing folder",
            pytrace=False,
        )
    return Side(SideKind.CANDIDATE, path.resolve(), task)


fixtures = Fixtures()
