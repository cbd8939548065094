"""pytest entry point: declare options and register feature plugins. No logic here."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pytest_gtguard.meta import plugin as meta
from pytest_gtguard.settings import declare_options
from pytest_gtguard.side import plugin as side


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare gtguard's options and ini keys (one table: settings.ALL_OPTIONS)."""
    declare_options(parser.getgroup("gtguard", "ground-truth guard (pytest-gtguard)"), parser.addini)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: Sequence[str]) -> None:
    """Select the side before any conftest is imported: conftests read env vars and sys.path at import."""
    # tryfirst: the environment must be in place before pytest imports the initial conftests.
    task, sides = side.select(early_config, args)
    sides = meta.implied_sides(early_config, task, sides)  # --meta judges against the ground truth
    early_config.stash[side.TASK_KEY] = task
    early_config.stash[side.SIDES_KEY] = sides
    if len(sides) == 1:
        run = side.activate(early_config, sides[0])
        early_config.stash[side.SIDE_RUN_KEY] = run
        early_config.pluginmanager.register(side.SidePlugin(run), "gtguard-side")
    elif len(sides) == 2:
        raise pytest.UsageError("--before --after together is the split run; it is not available yet")


def pytest_configure(config: pytest.Config) -> None:
    """Register the fixtures every gtguard user gets."""
    config.pluginmanager.register(side.fixtures, "gtguard-fixtures")
    run = config.stash.get(side.SIDE_RUN_KEY, None)
    meta.configure(config, run.side if run else None)  # registers "gtguard-meta" under --meta


def pytest_unconfigure(config: pytest.Config) -> None:
    """Undo import and environment changes (pytester runs many sessions in one interpreter)."""
    run = config.stash.get(side.SIDE_RUN_KEY, None)
    if run is not None:
        side.deactivate(run)
