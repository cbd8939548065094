"""pytest glue of the Hypothesis policy: resolve ``gtguard_hypothesis``, apply the profile before collection.

``@given`` takes the settings profile in force when its test module is imported, so the profile is loaded
at the start of the session (after every plugin's configure, ``--hypothesis-profile`` included) and again
after each conftest that loads a profile of its own.
"""

from __future__ import annotations

import sys

import pytest

from pytest_gtguard._config import option
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.hypothesis_policy import policy

__all__ = ["WANTED_KEY", "HypothesisPolicyPlugin", "child_args", "configure"]

WANTED_KEY = pytest.StashKey[bool]()  # whether this run gives Hypothesis the policy (its re-runs follow it)
# Names the Hypothesis pytest plugin is registered under: by entry point, or by module (PYTEST_PLUGINS, -p).
_HYPOTHESIS_PLUGINS = ("hypothesispytest", "_hypothesis_pytestplugin")


def configure(config: pytest.Config, *, judging: bool, runs_tests: bool) -> None:
    """Register the policy's plugin when the run applies it and Hypothesis is installed.

    ``judging``: gtguard judges this run (a side is under test, or --meta); ``runs_tests``: the run executes
    tests itself (a split's parent only prints the header; its runs apply the policy).
    """
    resolved = option(config, "gtguard_hypothesis")
    try:
        mode = policy.parse_mode(resolved.value, resolved.source)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    wanted = policy.wanted(mode, judging=judging)
    config.stash[WANTED_KEY] = wanted
    if wanted and policy.installed():
        config.pluginmanager.register(HypothesisPolicyPlugin(resolved.source, runs_tests), "gtguard-hypothesis")


def child_args(config: pytest.Config) -> list[str]:
    """Return the option that gives a determinism re-run the Hypothesis settings of this run.

    A re-run compares its outcome with the session's: both draw the same examples only if both have the
    policy, or neither has it.
    """
    return ["--gtguard-hypothesis", "on" if config.stash.get(WANTED_KEY, False) else "off"]


class HypothesisPolicyPlugin:
    """Load gtguard's Hypothesis profile before the test modules are imported; put it back at the end."""

    def __init__(self, source: str, runs_tests: bool) -> None:
        self._source = source
        self._runs_tests = runs_tests
        self._applied: policy.Applied | None = None

    def pytest_report_header(self) -> str:
        """Say that the policy is in force, and how to turn it off."""
        where = "" if self._source == "default" else f" ({self._source})"
        return f"{policy.HEADER}{where}; gtguard_hypothesis = off keeps the task's settings"

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Apply the profile after every plugin's configure (--hypothesis-profile) and before collection.

        Only where Hypothesis is used: its pytest plugin imports it at the end of every session anyway, so
        importing it now costs nothing more; a run that blocks that plugin and never imported it is left alone.
        """
        plugins = session.config.pluginmanager
        used = "hypothesis" in sys.modules or any(plugins.has_plugin(name) for name in _HYPOTHESIS_PLUGINS)
        if self._runs_tests and used:
            self._applied = policy.apply()

    def pytest_plugin_registered(self, plugin: object) -> None:
        """Layer the policy again on a profile a conftest loaded when collection imported it.

        ``@given`` takes the profile in force when its module is imported: the test modules a conftest
        precedes must see the policy on top of the profile that conftest loaded.
        """
        if self._applied is not None and policy.current_profile() != policy.PROFILE:
            policy.apply(self._applied)

    def pytest_unconfigure(self) -> None:
        """Put Hypothesis back as it was (pytester runs share the interpreter)."""
        if self._applied is not None:
            self._applied.restore()
            self._applied = None
