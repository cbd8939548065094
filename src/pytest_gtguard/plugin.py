"""pytest entry point: declare options and register feature plugins. No logic here."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_gtguard._config import option_value
from pytest_gtguard._xdist import is_worker
from pytest_gtguard.errors import GtguardDeprecationWarning
from pytest_gtguard.meta.options import REQ_MARKER_HELP
from pytest_gtguard.settings import declare_options, deprecated_uses
from pytest_gtguard.side import plugin as side
from pytest_gtguard.split.options import CHANNEL_OPTIONS


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare gtguard's options and ini keys (one table: settings.ALL_OPTIONS)."""
    # A task's conftest may declare --repo itself (survey §2): gtguard then keeps only --gtguard-repo.
    options = side.declared_options(Path.cwd(), sys.argv[1:])
    declare_options(parser.getgroup("gtguard", "ground-truth guard (pytest-gtguard)"), parser.addini, options)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: Sequence[str]) -> None:
    """Select the side before any conftest is imported: conftests read env vars and sys.path at import."""
    # tryfirst: the environment must be in place before pytest imports the initial conftests.
    side.refuse_repo_as_test_path(early_config, parser)  # before anything runs against PATH
    task, sides = side.select(early_config, args)
    if option_value(early_config, "gtguard_meta"):
        from pytest_gtguard.meta import plugin as meta  # only a --meta run pays for its import

        sides = meta.implied_sides(early_config, task, sides)  # --meta judges against the ground truth
    early_config.stash[side.TASK_KEY] = task
    if len(sides) == 2 and task is not None:
        from pytest_gtguard.split import plugin as split  # only a split run pays for the split's import

        # The split runs each side in its own process; here the after side only serves the conftests.
        splitter = split.SplitPlugin(split.split_config(early_config, task), prestart=split.will_run(early_config))
        early_config.add_cleanup(splitter.close)
        early_config.pluginmanager.register(splitter, "gtguard-split")
        split.set_aside_test_plugins(early_config.pluginmanager)  # they serve tests; none run here
        run = side.activate(early_config, sides[1])
    elif len(sides) == 1:
        run = side.activate(early_config, sides[0])
        early_config.pluginmanager.register(side.SidePlugin(run), "gtguard-side")
    else:
        if task is not None:  # plain `pytest` in a task: say how to choose a side when the tests cannot import it
            from pytest_gtguard.side import hint

            hint.register(early_config, task)
        return
    early_config.stash[side.SIDE_RUN_KEY] = run
    early_config.add_cleanup(lambda: side.deactivate(run))  # in-process pytester runs share the interpreter


def pytest_configure(config: pytest.Config) -> None:
    """Register the fixtures every gtguard user gets, and the results channel when asked for."""
    # Imported here, not at the top: the split's zygotes start in pytest_load_initial_conftests, and
    # every import before that delays them.
    from pytest_gtguard.checks import plugin as checks
    from pytest_gtguard.hypothesis_policy import plugin as hypothesis_policy
    from pytest_gtguard.perf.plugin import PERF_GATE_MARKER_HELP, PerfGatePlugin, PerfSettings

    if not is_worker(config):  # once per run, not again on each xdist worker
        for text in deprecated_uses(config.option):
            config.issue_config_time_warning(GtguardDeprecationWarning(text), stacklevel=2)
    config.pluginmanager.register(side.fixtures, "gtguard-fixtures")
    splitting = config.pluginmanager.has_plugin("gtguard-split")  # then the runs happen in child processes
    checks.register(config, runs_tests=not splitting)  # markers, fixtures and the "gtguard-checks" plugin
    config.addinivalue_line("markers", PERF_GATE_MARKER_HELP)
    config.pluginmanager.register(PerfGatePlugin(PerfSettings.from_config(config)), "gtguard-perf")
    config.addinivalue_line("markers", REQ_MARKER_HELP)
    run = config.stash.get(side.SIDE_RUN_KEY, None)
    # Hypothesis derandomized, no database, no deadline in the runs gtguard judges (docs/split.md).
    judging = run is not None or bool(option_value(config, "gtguard_meta"))
    hypothesis_policy.configure(config, judging=judging, runs_tests=not splitting)
    if option_value(config, "gtguard_meta"):
        from pytest_gtguard.meta import plugin as meta

        meta.configure(config, run.side if run else None)  # registers "gtguard-meta"
    if not splitting and _channel_requested(config):
        from pytest_gtguard.split.channel import register_channel

        register_channel(config, run.side if run else None)


def _channel_requested(config: pytest.Config) -> bool:
    return any(option_value(config, dest) for dest in CHANNEL_OPTIONS)
