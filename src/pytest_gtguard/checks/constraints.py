"""Marker signatures and the merged per-test constraints (ini for the whole task, then markers)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from pytest_gtguard.checks.syntax import parse_version
from pytest_gtguard.errors import InvalidMarker

__all__ = ["MARKERS", "Constraints", "DeterminismSpec", "apply_marker"]

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")

MARKERS = (
    "forbid_imports(*modules): fail if the code under test imports any of these modules (or their "
    "submodules) by any route: import statements, __import__, importlib, sys.modules, module globals, "
    "python -c/-m subprocesses",
    "forbid_calls(*names): fail if the code under test calls any of these builtins, functions or methods, "
    "e.g. forbid_calls('sorted', 'eval', 'list.sort', 'json.dumps')",
    "python_syntax(version): fail if any file of the code under test does not parse at this Python "
    "version, e.g. python_syntax('3.9')",
    "no_new_dependencies: fail if the side under test declares a dependency (requirements*.txt, "
    "pyproject.toml) that repository_before does not",
    "determinism(runs=None, *, rerun=True, sources=True): re-run this test alone in fresh processes under "
    "varied PYTHONHASHSEED, random seed and clock and compare outcome and gtguard_output values; report "
    "unseeded random, wall-clock time, entropy and network use by the code under test",
)


@dataclass(frozen=True)
class DeterminismSpec:
    """What the determinism marker asks for; ``runs`` None means the configured default."""

    runs: int | None = None
    rerun: bool = True
    sources: bool = True


@dataclass(frozen=True)
class Constraints:
    """Everything one test is checked against."""

    forbid_imports: tuple[str, ...] = ()
    forbid_calls: tuple[str, ...] = ()
    python_syntax: tuple[int, int] | None = None
    no_new_dependencies: bool = False
    determinism: DeterminismSpec | None = None

    def any(self) -> bool:
        """Return True when at least one check applies."""
        return bool(
            self.forbid_imports
            or self.forbid_calls
            or self.python_syntax
            or self.no_new_dependencies
            or self.determinism
        )


def _names(marker: str, names: Iterable[object], where: str) -> tuple[str, ...]:
    out = tuple(names)
    example = "'sorted', 'list.sort' or 'json.dumps'" if marker == "forbid_calls" else "'numpy' or 'os.path'"
    if not out:
        raise InvalidMarker(f"{where}: @pytest.mark.{marker}() needs at least one name, e.g. {example}")
    checked: list[str] = []
    for name in out:
        if not isinstance(name, str) or not _DOTTED.match(name):
            raise InvalidMarker(f"{where}: @pytest.mark.{marker}: {name!r} is not a dotted name such as {example}")
        checked.append(name)
    return tuple(checked)


def forbid_imports(*modules: str) -> tuple[str, ...]:
    """Mirror the marker's signature."""
    return modules


def forbid_calls(*names: str) -> tuple[str, ...]:
    """Mirror the marker's signature."""
    return names


def python_syntax(version: str) -> str:
    """Mirror the marker's signature."""
    return version


def no_new_dependencies() -> bool:
    """Mirror the marker's signature."""
    return True


def determinism(runs: int | None = None, *, rerun: bool = True, sources: bool = True) -> DeterminismSpec:
    """Mirror the marker's signature."""
    return DeterminismSpec(runs, rerun, sources)


def apply_marker(
    base: Constraints, name: str, args: tuple[object, ...], kwargs: Mapping[str, object], *, where: str
) -> Constraints:
    """Return ``base`` with one marker added; raise InvalidMarker (naming ``where``) on bad arguments."""
    signature = {
        "forbid_imports": forbid_imports,
        "forbid_calls": forbid_calls,
        "python_syntax": python_syntax,
        "no_new_dependencies": no_new_dependencies,
        "determinism": determinism,
    }[name]
    try:
        value = signature(*args, **kwargs)  # type: ignore[operator]
    except TypeError as exc:
        raise InvalidMarker(f"{where}: @pytest.mark.{name}: {exc}") from None
    if name == "forbid_imports":
        return replace(base, forbid_imports=(*base.forbid_imports, *_names(name, value, where)))
    if name == "forbid_calls":
        return replace(base, forbid_calls=(*base.forbid_calls, *_names(name, value, where)))
    if name == "python_syntax":
        return replace(base, python_syntax=parse_version(value, where=where))
    if name == "no_new_dependencies":
        return replace(base, no_new_dependencies=True)
    if not isinstance(value, DeterminismSpec) or (
        value.runs is not None and (not isinstance(value.runs, int) or value.runs < 2)
    ):
        raise InvalidMarker(
            f"{where}: @pytest.mark.determinism: runs must be an integer >= 2, got {getattr(value, 'runs', value)!r}"
        )
    return replace(base, determinism=value)
