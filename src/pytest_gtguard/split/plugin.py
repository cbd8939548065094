"""pytest glue for the split: the parent that runs both sides, and the per-run results channel.

Imports only what starting the zygotes needs (``split.config``); the rest of the split loads while they
start (``pytest_runtestloop``), so they start ~15 ms sooner.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_gtguard import _cov, _xdist
from pytest_gtguard._config import option_value
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.side.task import Task
from pytest_gtguard.split.config import SplitConfig, neighbour_args, runs_at_once, start_pool
from pytest_gtguard.split.options import STRIPPED_FLAGS, STRIPPED_VALUED
from pytest_gtguard.split.runner import RunOutcome

if TYPE_CHECKING:
    from pytest_gtguard.split.session import SplitResult

__all__ = [
    "SplitPlugin",
    "child_args",
    "is_whole_process",
    "set_aside_test_plugins",
    "split_config",
    "split_reports",
    "will_run",
]

# The parent's own report files: a child given one would write over the parent's (and the others').
_REPORT_FLAGS = frozenset({"--json-report", "--json-report-summary"})
_REPORT_VALUED = frozenset(
    {"--junitxml", "--junit-xml", "--junitprefix", "--junit-prefix", "--json-report-file", "--json-report-indent"}
    | {"--gtguard-perf-html"}  # the split writes its own perf page, report-perf.html
)

_SCRIPTS = frozenset({"pytest", "py.test"})
# Options with which pytest answers and exits before any session runs: no runs are started for them.
_ANSWER_ONLY = ("help", "version", "showfixtures", "show_fixtures_per_test", "markers")


def child_args(args: Sequence[str]) -> tuple[str, ...]:
    """Return the user's arguments without the split's own options (the children get one side each)."""
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if arg in STRIPPED_FLAGS or arg in _REPORT_FLAGS:
            continue
        if name in STRIPPED_VALUED or name in _REPORT_VALUED:
            skip = "=" not in arg
            continue
        out.append(arg)
    return tuple(out)


def split_config(config: pytest.Config, task: Task) -> SplitConfig:
    """Build the split's settings from options, env and ini; raise ``pytest.UsageError`` on bad values."""
    runs, jobs = option_value(config, "gtguard_runs"), option_value(config, "gtguard_jobs")
    if runs < 1 or (jobs is not None and jobs < 1):
        raise pytest.UsageError("--gtguard-runs and --gtguard-jobs take a whole number of at least 1")
    randomly = config.pluginmanager.has_plugin("randomly")
    # xdist, pytest-cov and pytest-randomly options for the runs, and -n N as the runs at once (docs/xdist.md).
    given = neighbour_args(
        child_args(config.invocation_params.args),
        jobs=jobs,
        workers=_xdist.workers_value(config),
        xdist=_xdist.requested(config),
        cov=_cov.requested(config),
        randomly=randomly,
    )
    jobs_at_once, jobs_note = runs_at_once(given.jobs, task.root)
    return SplitConfig(
        task=task,
        args=given.args,
        cwd=config.invocation_params.dir,
        runs=runs,
        seed=option_value(config, "gtguard_seed"),
        jobs=jobs_at_once,
        timeout=option_value(config, "gtguard_run_timeout"),
        expect_f2p=option_value(config, "gtguard_expect_f2p"),
        instance_path=option_value(config, "gtguard_instance"),
        update_instance=option_value(config, "gtguard_update_instance"),
        report_path=option_value(config, "gtguard_report"),
        randomly=randomly,
        notes=given.notes + jobs_note,
    )


def set_aside_test_plugins(plugins: pytest.PytestPluginManager) -> None:
    """Unregister, in the split parent only, the plugins that serve tests and cost at session end.

    The parent runs no test, but hypothesis's terminal summary imports hypothesis whatever ran (0.2 s
    of CPU, taken from the zygotes starting up, and a bigger heap to tear down). Every run loads these
    plugins as usual (``zygote.LATE_IMPORTS`` lists them: the zygotes import that for the runs).
    """
    from pytest_gtguard.split.zygote import LATE_IMPORTS

    for name in LATE_IMPORTS:
        if plugins.get_plugin(name) is not None:
            plugins.unregister(name=name)
    # pytest-randomly's header would name a seed no run uses: each run gets its own (split.neighbours).
    if plugins.get_plugin("randomly") is not None:
        plugins.unregister(name="randomly")


def is_whole_process(config: pytest.Config) -> bool:
    """Return whether ``config``'s session is the pytest command line itself, which exits after it.

    Not so under pytester's in-process runs or a ``pytest.main`` embedded in a program: their process
    goes on, and must keep its garbage collection as it was.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    # `python -m pytest`, or the `pytest` / `py.test` console scripts.
    launched = (spec is not None and spec.name == "pytest.__main__") or os.path.basename(sys.argv[0]) in _SCRIPTS
    return launched and tuple(sys.argv[1:]) == tuple(config.invocation_params.args)


def will_run(config: pytest.Config) -> bool:
    """Return whether this command line will reach the session (and so the runs)."""
    namespace = config.known_args_namespace
    return not any(getattr(namespace, dest, False) for dest in _ANSWER_ONLY)


def split_reports(report: dict[str, Any]) -> list[pytest.TestReport]:
    """Return a call and a teardown report per test id of the evaluation ``report`` (the report.json dict)."""
    from pytest_gtguard.split.testreports import CATEGORY_KEY, split_tests

    root, out = str(report.get("task") or ""), []
    for test in split_tests(report):
        call = pytest.TestReport(
            test.nodeid, test.location, {}, test.outcome, test.longrepr(root), "call", duration=test.duration
        )
        setattr(call, CATEGORY_KEY, test.category)
        props = test.properties()  # on the teardown report, where junitxml and pytest-json-report read them
        out += [
            call,
            pytest.TestReport(test.nodeid, test.location, {}, "passed", None, "teardown", user_properties=props),
        ]
    return out


class SplitPlugin:
    """Run both sides in child processes instead of collecting and running tests here."""

    def __init__(self, cfg: SplitConfig, *, prestart: bool = True) -> None:
        self._cfg = cfg
        self._result: SplitResult | None = None
        # Taken before the parent activates a side for its conftests: the children must not inherit that
        # side's PYTHONPATH or variables (899d52 picks its side by searching PYTHONPATH for a folder name).
        self._env = dict(os.environ)
        # The runs' interpreters start importing now, while this process loads conftests and configures.
        self._pool = start_pool(cfg, self._env) if prestart else None

    def pytest_report_header(self) -> list[str]:
        """Say what the split will do."""
        cfg = self._cfg
        return [
            f"gtguard: split of task {cfg.task.root}: {cfg.runs} run(s) per side, {cfg.jobs} at a time, "
            f"seed {cfg.seed}",
            *cfg.notes,
        ]

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """Start no xdist worker and no pytest-cov here: the runs are this split's own processes."""
        _xdist.no_workers(config)  # before xdist's trylast pytest_configure starts its session
        _cov.stand_down(config, None)  # the header's note (cfg.notes) says why

    def pytest_collection(self, session: pytest.Session) -> bool:
        """Collect nothing here: each side is collected in its own fresh process."""
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Run the split; tryfirst so pytest's own loop (and xdist's) never start."""
        from pytest_gtguard.split.render import progress_line
        from pytest_gtguard.split.session import run_split

        reporter = session.config.pluginmanager.get_plugin("terminalreporter")

        def progress(outcome: RunOutcome) -> None:
            if reporter is not None:
                reporter.write_line(progress_line(outcome))

        try:
            self._result = run_split(self._cfg, env=self._env, progress=progress, pool=self._pool)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        # junitxml, pytest-json-report and the closing line see one test per split test id (issue 18).
        for report in split_reports(self._result.report):
            session.config.hook.pytest_runtest_logreport(report=report)
        if is_whole_process(session.config):
            # The process only reports and exits from here. Its teardown's collections walk the whole
            # heap (pytest and every plugin: 30-75 ms, after the last run ended); frozen, they skip it.
            gc.freeze()
        return True

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the lists' sizes, the problems with their fixes, and the verdict."""
        if self._result is None:
            return
        from pytest_gtguard.split.render import summary_lines

        terminalreporter.section("gtguard split")
        for text, markup in summary_lines(self._result, update_instance=self._cfg.update_instance):
            terminalreporter.write_line(text, **markup)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """Count the split's reports under their category (``1 fail-to-pass``), printing no letter."""
        from pytest_gtguard.split.testreports import CATEGORY_KEY, status_key

        category = getattr(report, CATEGORY_KEY, None)
        if category is None or report.when != "call":
            return None
        return status_key(category), "", ""

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_modifyreport(self, json_report: dict[str, Any]) -> None:
        """Make pytest-json-report's report the split's: outcomes, category per test, summary, exit code."""
        if self._result is not None:
            from pytest_gtguard.split.jsonreport import aggregate

            aggregate(json_report, self._result.report, int(self._result.exit_code), self._result.report_path)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Exit with the split's documented code (docs/split.md)."""
        if self._result is not None:
            session.exitstatus = int(self._result.exit_code)

    def close(self) -> None:
        """End the runs' interpreters (also when the session never ran: --help, a usage error)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
