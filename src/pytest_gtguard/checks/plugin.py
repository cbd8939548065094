"""pytest glue for the checks feature: markers, ini constraints, per-test verdicts, fixtures, summary."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gtguard._config import option
from pytest_gtguard.checks.constraints import MARKERS, Constraints, apply_marker
from pytest_gtguard.errors import GtguardError, InvalidMarker
from pytest_gtguard.side.plugin import SIDE_RUN_KEY, TASK_KEY
from pytest_gtguard.side.task import SideKind

if TYPE_CHECKING:
    from pytest_gtguard.checks.scope import Finding
    from pytest_gtguard.checks.session import Judge

# The recording machinery (session, scope, determinism) is imported when a run needs it: this module is
# imported by every pytest run of everyone who installs gtguard (bench/import_cost.py).

__all__ = ["PROPERTY", "ChecksPlugin", "ChecksSettings", "register"]

PROPERTY = "gtguard_checks"  # report.user_properties key: a list of Finding.to_json() dicts
OUTPUT_PROPERTY = "gtguard_output"
_MARKER_NAMES = ("forbid_imports", "forbid_calls", "python_syntax", "no_new_dependencies", "determinism")
_CONSTRAINTS_KEY = pytest.StashKey[Constraints]()


@dataclass(frozen=True)
class ChecksSettings:
    """Resolved options: the whole-task constraints and determinism run settings."""

    task_wide: Constraints
    runs: int
    timeout: float
    source: Path | None

    @classmethod
    def from_config(cls, config: pytest.Config) -> ChecksSettings:
        """Resolve every checks option; raise ``pytest.UsageError`` naming the bad value's source."""

        def value(dest: str) -> tuple[Any, str]:
            got = option(config, dest)
            return got.value, got.source

        try:
            constraints = Constraints()
            for dest, marker in (
                ("gtguard_forbid_imports", "forbid_imports"),
                ("gtguard_forbid_calls", "forbid_calls"),
            ):
                names, where = value(dest)
                if names:
                    constraints = apply_marker(constraints, marker, tuple(names), {}, where=where)
            version, where = value("gtguard_python_syntax")
            if version:
                constraints = apply_marker(constraints, "python_syntax", (version,), {}, where=where)
            if value("gtguard_no_new_dependencies")[0]:
                constraints = apply_marker(constraints, "no_new_dependencies", (), {}, where="")
            if value("gtguard_determinism_sources")[0]:
                constraints = apply_marker(constraints, "determinism", (), {"rerun": False}, where="")
            runs, runs_where = value("gtguard_determinism_runs")
            if int(runs) < 2:
                raise InvalidMarker(f"{runs_where}: determinism runs must be at least 2, got {runs}")
            timeout, _ = value("gtguard_determinism_timeout")
            source, source_where = value("gtguard_checks_source")
            if source is not None and not Path(source).exists():
                raise InvalidMarker(
                    f"{source_where}: code under test {source} does not exist; pass the folder (or file) "
                    "that holds the code the tests exercise"
                )
        except GtguardError as exc:
            raise pytest.UsageError(str(exc)) from None
        return cls(constraints, int(runs), float(timeout), source)


def register(config: pytest.Config, *, runs_tests: bool = True) -> None:
    """Add the markers and register the fixtures and the checks plugin (``-p no:gtguard-checks`` stops it).

    ``runs_tests`` is False in a process that runs no test itself (the split's parent): it then gets
    the markers and fixtures, for ``--markers`` and ``--fixtures``, but records nothing.
    """
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    settings = ChecksSettings.from_config(config)
    config.pluginmanager.register(Fixtures(settings), "gtguard-checks-fixtures")
    if config.pluginmanager.is_blocked("gtguard-checks") or not runs_tests:
        return
    config.pluginmanager.register(ChecksPlugin(config, settings), "gtguard-checks")


def _under_test(config: pytest.Config, settings: ChecksSettings) -> tuple[Path, str, Path | None, Path | None]:
    """Return the code under test, its label, and the task's before folder and root (when there is a task)."""
    run = config.stash.get(SIDE_RUN_KEY, None)
    task = run.side.task if run is not None else config.stash.get(TASK_KEY, None)
    if run is not None:
        under_test, label = run.side.path, run.side.describe()
    elif settings.source is not None:
        under_test, label = settings.source, str(settings.source)
    else:
        under_test, label = config.rootpath, f"{config.rootpath} (without test files)"
    return under_test, label, task.before_dir if task else None, task.root if task else None


class ChecksPlugin:
    """Record what the code under test does and fail tests whose constraints it breaks."""

    def __init__(self, config: pytest.Config, settings: ChecksSettings) -> None:
        self._config = config
        self._settings = settings
        self._label = _under_test(config, settings)[1]
        self._judge: Judge | None = None
        self._summary: dict[str, list[Finding]] = {}
        # Recording from here on sees what the code under test does while it is collected (imports, a
        # socket opened at import time). A run with no whole-task constraint and no side under test starts
        # at the first marked test instead and pays nothing otherwise; module-level import statements are
        # still found by the static pass.
        if settings.task_wide.any() or config.stash.get(SIDE_RUN_KEY, None) is not None:
            self._start()

    def _start(self) -> Judge:
        from pytest_gtguard.checks.scope import Scope
        from pytest_gtguard.checks.session import DependencyBaseline, Judge

        under_test, label, before, root = _under_test(self._config, self._settings)
        deps = DependencyBaseline(under_test, [before, root], root) if before and root else None
        self._judge = Judge(Scope.of([under_test], label=label), deps)
        task_wide = self._settings.task_wide.determinism
        self._judge.start(trace_sources=task_wide is not None and task_wide.sources)
        return self._judge

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Keep what imports did so far; stop recording when no test has any constraint (no overhead)."""
        used = self._settings.task_wide.any() or any(
            item.get_closest_marker(name) is not None for item in items for name in _MARKER_NAMES
        )
        judge = self._judge if self._judge is not None or not used else self._start()
        if judge is None:
            return
        judge.end_of_collection()
        if not used:
            judge.stop()

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """Merge the whole-task constraints with the test's markers; a bad marker fails only this test."""
        constraints = self._settings.task_wide
        problem = None
        try:
            for name in _MARKER_NAMES:
                for mark in reversed(list(item.iter_markers(name))):  # class/module marks first, test's last
                    constraints = apply_marker(constraints, name, mark.args, mark.kwargs, where=item.nodeid)
        except InvalidMarker as exc:
            problem = str(exc)
        module = next((n for n in constraints.forbid_calls if isinstance(sys.modules.get(n), ModuleType)), None)
        if problem is None and module is not None:
            problem = (
                f"{item.nodeid}: @pytest.mark.forbid_calls: {module!r} is a module, not something to call; name its "
                f"functions, e.g. forbid_calls('{module}.<function>'), or keep it out with forbid_imports('{module}')"
            )
        if problem is not None:  # failed outside the except block: pytest would print the message twice, chained
            pytest.fail(problem, pytrace=False)
        if constraints.no_new_dependencies and (self._judge is None or self._judge.deps is None):
            pytest.fail(
                f"{item.nodeid}: no_new_dependencies needs the task's repository_before/ to compare "
                "with; run inside a task directory (pytest --after or --repo PATH)",
                pytrace=False,
            )
        item.stash[_CONSTRAINTS_KEY] = constraints

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """Trace the test, then fail it with every finding (file:line) if its constraints are broken."""
        constraints = item.stash.get(_CONSTRAINTS_KEY, None)
        judge = self._judge
        if constraints is None or not constraints.any() or judge is None:
            return (yield)
        since = judge.marks()
        watch = judge.watch(constraints)
        error: BaseException | None = None
        with watch:
            try:
                result = yield
            except BaseException as exc:  # re-raised below, after the findings are attached
                error, result = exc, None
        findings = judge.findings(constraints, since, watch.events)
        spec = constraints.determinism
        if error is None and spec is not None and spec.rerun:
            findings += self._rerun(item, spec.runs or self._settings.runs)
        if findings:
            item.user_properties.append((PROPERTY, [f.to_json() for f in findings]))
        if error is not None:
            raise error
        if findings:
            pytest.fail(_message(item.nodeid, findings, judge.scope.label), pytrace=False)
        return result

    def _rerun(self, item: pytest.Item, runs: int) -> list[Finding]:
        from pytest_gtguard.checks import determinism as det
        from pytest_gtguard.checks.scope import Finding
        from pytest_gtguard.hypothesis_policy import plugin as hypothesis_policy

        here = tuple(str(v) for k, v in item.user_properties if k == OUTPUT_PROPERTY)
        args = [*_side_args(self._config), *hypothesis_policy.child_args(self._config)]
        path, line = item.location[0], (item.location[1] or 0) + 1
        out: list[Finding] = []
        for i, variant in enumerate(det.variants(runs)):
            child = det.run_test(
                item.nodeid,
                args,
                variant,
                reverse_file=i % 2 == 1,
                sys_path=sys.path,
                cwd=self._config.rootpath,
                timeout=self._settings.timeout,
            )
            if child.outcome != "passed":
                detail = f"{child.outcome} {child.where}: {child.detail}".strip()
            elif child.outputs != here:
                detail = f"gtguard_output {list(child.outputs)} {child.where}, but {list(here)} in the session"
            else:
                continue
            out.append(Finding("determinism", "test outcome", "fresh-process re-run", path, line, detail))
        return out

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect findings from reports (works on the xdist controller too)."""
        # Setup, call and teardown reports all carry the item's properties: keep each finding once.
        for key, value in report.user_properties:
            if key == PROPERTY and isinstance(value, list):
                from pytest_gtguard.checks.scope import Finding

                known = self._summary.setdefault(report.nodeid, [])
                for item in value:
                    finding = Finding(**item) if isinstance(item, dict) else None
                    if finding is not None and finding not in known:
                        known.append(finding)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """List each finding once, with the tests it failed (an ini constraint fails every test)."""
        if not self._summary:
            return
        tests_by_finding: dict[str, list[str]] = {}
        for nodeid, findings in self._summary.items():
            for finding in findings:
                tests_by_finding.setdefault(finding.render(), []).append(nodeid)
        terminalreporter.write_sep("=", "gtguard checks")
        terminalreporter.write_line(f"code under test: {self._label}")
        for rendered, nodeids in tests_by_finding.items():
            shown = ", ".join(nodeids[:3]) + (f" and {len(nodeids) - 3} more" if len(nodeids) > 3 else "")
            terminalreporter.write_line(f"{rendered}  [{shown}]")

    def pytest_unconfigure(self) -> None:
        """Put the import system back (pytester runs many sessions in one interpreter)."""
        if self._judge is not None:
            self._judge.stop()


def _message(nodeid: str, findings: Sequence[Finding], label: str) -> str:
    lines = [f"gtguard checks: {len(findings)} finding(s) in the code under test {label}:"]
    lines += [f"  {f.render()}" for f in findings]
    return "\n".join(lines)


def _side_args(config: pytest.Config) -> list[str]:
    run = config.stash.get(SIDE_RUN_KEY, None)
    args = [f"--rootdir={config.rootpath}"]
    if config.inipath is not None:
        args += ["-c", str(config.inipath)]
    if run is None:
        return args
    if run.side.task is not None:
        args += ["--gtguard-task", str(run.side.task.root)]
    if run.side.kind is SideKind.CANDIDATE:
        return [*args, "--repo", str(run.side.path)]
    return [*args, f"--{run.side.kind.value}"]


class DeterminismProbe:
    """Call a function in fresh processes under varied hash seed, random seed and clock; compare results."""

    def __init__(self, node: pytest.Item, settings: ChecksSettings, rootpath: Path) -> None:
        self._node = node
        self._settings = settings
        self._root = rootpath

    def check(
        self,
        func: Callable[..., object] | str,
        args: Sequence[object] = (),
        kwargs: Mapping[str, object] | None = None,
        *,
        runs: int | None = None,
    ) -> object:
        """Return the function's result if every run agrees; otherwise fail the test with the differences."""
        __tracebackhide__ = True
        from pytest_gtguard.checks import determinism as det
        from pytest_gtguard.checks.scope import Finding

        if isinstance(func, str):
            module, _, qualname = func.partition(":")
            if not (module and qualname):
                pytest.fail(f"gtguard_determinism: {func!r} is not 'package.module:function'", pytrace=False)
        else:
            try:
                module, qualname = det.callable_name(func)
            except ValueError as exc:
                pytest.fail(f"gtguard_determinism: {exc}", pytrace=False)
        results = det.run_callable(
            module,
            qualname,
            args,
            kwargs,
            runs=det.variants(runs or self._settings.runs),
            sys_path=sys.path,
            cwd=self._root,
            timeout=self._settings.timeout,
        )
        differences = det.compare_runs(results)
        refused = next((r.refused for r in results if r.refused), "")
        if differences and not refused and results[0].ok:
            refused = det.uncomparable(results[0].value, by_repr=False, where="the result") or ""
        if refused:  # not a difference between runs: no value of this kind can ever compare equal
            pytest.fail(f"gtguard_determinism: {module}.{qualname}: {refused}", pytrace=False)
        if differences:
            path, line = self._node.location[0], (self._node.location[1] or 0) + 1
            findings = [
                Finding("determinism", f"{module}.{qualname}", "fresh-process call", path, line, d) for d in differences
            ]
            self._node.user_properties.append((PROPERTY, [f.to_json() for f in findings]))
            pytest.fail(
                "gtguard determinism: results differ between fresh processes:\n  " + "\n  ".join(differences),
                pytrace=False,
            )
        if not results[0].ok:
            pytest.fail(
                f"gtguard_determinism: {module}.{qualname} failed in a fresh process: {results[0].error}",
                pytrace=False,
            )
        return results[0].value


class Fixtures:
    """Fixtures of the checks feature (registered even when the checks plugin is blocked, for child runs)."""

    def __init__(self, settings: ChecksSettings) -> None:
        self._settings = settings

    @pytest.fixture
    def gtguard_output(self, request: pytest.FixtureRequest) -> Callable[[object], None]:
        """Return ``record(value)``: values a determinism re-run must reproduce (sets compare unordered)."""
        node = request.node
        from pytest_gtguard.checks import determinism as det

        def record(value: object) -> None:
            __tracebackhide__ = True
            refused = det.uncomparable(value, by_repr=True)
            if refused:  # refused now: the re-runs could only blame the code for nondeterminism (issue 15)
                pytest.fail(f"gtguard_output on {node.nodeid}: {refused}", pytrace=False)
            node.user_properties.append((OUTPUT_PROPERTY, det.canonical(value)))

        return record

    @pytest.fixture
    def gtguard_determinism(self, request: pytest.FixtureRequest) -> DeterminismProbe:
        """Return a probe: ``check(func, args)`` runs ``func`` in fresh processes and compares the results."""
        return DeterminismProbe(request.node, self._settings, request.config.rootpath)
