"""The settings gtguard gives Hypothesis in the runs it judges, so the same code always gets the same outcome.

Hypothesis draws its examples at random by default, remembers failures in ``.hypothesis/`` (a database in
the task's folder, read back by the next run) and fails a test whose example takes over 200 ms: three ways
the outcome of one test on one code can change from run to run, and from a quiet machine to a busy one.
In the runs gtguard judges, ``apply`` layers Hypothesis's own CI settings on the profile in force:

- ``derandomize=True``: the examples depend only on the test function, never on a random seed;
- ``database=None``: no failure replayed from an earlier run, nothing written into the task;
- ``deadline=None`` and the ``too_slow`` health check suppressed: nothing that depends on timing;
- ``print_blob=True``: a failure prints the blob that reproduces it.

And one thing no setting controls: Hypothesis (6.131 on) also draws constants it finds in the task's
modules that happen to be imported, so the examples of one test would depend on the test order and on
the other tests selected (a determinism re-run imports less than the session). The policy turns that off.

Every other setting (``max_examples``, phases, ...) stays the task's. Hypothesis's other files (cached
constants and Unicode tables) go to a folder of gtguard's in the system's temp folder, not into ``.hypothesis/``
in the task. Pure: Hypothesis is imported inside the functions, which only a run that uses it calls.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.errors import ConfigError

__all__ = [
    "HEADER",
    "MODES",
    "PROFILE",
    "Applied",
    "apply",
    "current_profile",
    "installed",
    "parse_mode",
    "storage_dir",
    "wanted",
]

MODES = ("auto", "on", "off")
PROFILE = "gtguard"  # the Hypothesis profile gtguard registers and loads
HEADER = "gtguard: hypothesis derandomized, no example database, no deadline, no too_slow health check"
_STORAGE_ENV = "HYPOTHESIS_STORAGE_DIRECTORY"  # Hypothesis's own variable: a task that sets it keeps it
_HOME = "__hypothesis_home_directory"  # hypothesis.configuration's module global (no getter of its own)


def parse_mode(value: object, source: str) -> str:
    """Return the policy mode of ``value`` (auto, on or off).

    Raises:
        ConfigError: another value; the message names ``source`` (where the value came from).
    """
    text = str(value).strip().lower()
    if text not in MODES:
        raise ConfigError(f"{source}: got {value!r}; pass auto, on or off")
    return text


def wanted(mode: str, *, judging: bool) -> bool:
    """Return whether a run applies the policy: ``on``, or ``auto`` in a run gtguard judges."""
    return mode == "on" or (mode == "auto" and judging)


def installed() -> bool:
    """Return whether Hypothesis can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("hypothesis") is not None
    except (ImportError, ValueError):
        return False


def storage_dir() -> Path:
    """Return the folder Hypothesis writes its caches to under the policy (per user, in the temp folder)."""
    return Path(tempfile.gettempdir()) / f"gtguard-hypothesis-{os.getuid() if hasattr(os, 'getuid') else 0}"


@dataclass
class Applied:
    """What ``apply`` changed, so ``restore`` can put it back (pytester runs share one interpreter)."""

    previous_profile: str
    previous_home: Path | None
    moved_home: bool
    undo_constants: Callable[[], None]

    def restore(self) -> None:
        """Load the profile that was in force before, and give Hypothesis its storage folder back."""
        from hypothesis import configuration, settings

        if settings.get_current_profile_name() == PROFILE:
            settings.load_profile(self.previous_profile)
        if self.moved_home:
            configuration.set_hypothesis_home_dir(self.previous_home)
        self.undo_constants()


def apply(previous: Applied | None = None) -> Applied:
    """Load the policy's profile on top of the profile in force; return how to undo it.

    ``previous``: what an earlier ``apply`` of this run changed; given when a task loaded a profile of its
    own since (a conftest imported during collection), the policy is layered on that one and ``restore``
    still goes back to the profile of before the run.
    """
    from hypothesis import HealthCheck, configuration, settings

    current = settings.get_current_profile_name()
    base = settings.default
    assert base is not None  # Hypothesis loads its default profile at import
    suppressed = [*base.suppress_health_check, HealthCheck.too_slow]
    settings.register_profile(
        PROFILE,
        parent=base,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=list(dict.fromkeys(suppressed)),
    )
    settings.load_profile(PROFILE)
    if previous is not None:
        return previous
    moved = not os.environ.get(_STORAGE_ENV)
    home = getattr(configuration, _HOME, None)
    home = Path(home) if isinstance(home, (str, Path)) else None
    if moved:
        configuration.set_hypothesis_home_dir(storage_dir())
    return Applied(current, home, moved, _no_local_constants())


def _no_local_constants() -> Callable[[], None]:
    """Make Hypothesis draw no constants from the task's modules; return how to undo it.

    Hypothesis has no setting for it: its provider looks the constants up through a module function,
    replaced here while the policy is in force. A Hypothesis without the feature is left as it is.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:
        return lambda: None
    original = getattr(providers, "_get_local_constants", None)
    if original is None:
        return lambda: None
    none = Constants()
    setattr(providers, "_get_local_constants", lambda: none)  # noqa: B010 - a private name mypy would refuse
    _clear_cache(providers)

    def undo() -> None:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        _clear_cache(providers)

    return undo


def _clear_cache(providers: object) -> None:
    """Forget the constants Hypothesis cached per kind of draw (they include the task's)."""
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    if isinstance(cache, dict):
        cache.clear()


def current_profile() -> str:
    """Return the name of the Hypothesis profile in force (Hypothesis is imported by then)."""
    from hypothesis import settings

    return settings.get_current_profile_name()
