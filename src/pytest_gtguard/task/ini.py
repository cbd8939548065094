"""Read one gtguard ini key from a task's pytest configuration file, without a pytest ``Config``.

``validate`` and ``gtguard split`` honour the settings a ``pytest --before --after`` run honours (e.g.
``gtguard_expect_f2p = false`` for a pure refactor), but pytest's own ini reading needs a ``Config``.
So this follows pytest's rules for finding the file (the first of pytest.toml, .pytest.toml, pytest.ini,
.pytest.ini, pyproject.toml, tox.ini, setup.cfg that pytest would take) and parses ini files with
iniconfig, the parser pytest itself uses (a pytest dependency), so inline comments, continuation lines
and comment lines inside values read exactly as pytest reads them. configparser's rules differ (a
multi-line value opening with an empty line keeps a leading newline; a ``pytest.ini`` without a
``[pytest]`` section is skipped although pytest stops there).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import iniconfig

from pytest_gtguard._toml import loads

__all__ = ["read_ini"]

_Lookup = Callable[[Path, str], "tuple[bool, str | None]"]


def read_ini(root: Path, key: str) -> str | None:
    """Return the raw value of ``key`` from the pytest configuration file pytest would use in ``root``, or None.

    A list value (TOML) is returned one item a line, as an ini file's multi-line value reads.
    """
    for name, lookup in _FILES:
        path = root / name
        if not path.is_file():
            continue
        found, value = lookup(path, key)
        if found:
            return value
    return None


def _ini(section: str, *, always: bool = False) -> _Lookup:
    """Read ``section`` of an ini file; ``always``: the file is pytest's even without the section."""

    def lookup(path: Path, key: str) -> tuple[bool, str | None]:
        try:
            parsed = iniconfig.IniConfig(str(path))
        except (iniconfig.ParseError, OSError, UnicodeDecodeError):
            return False, None  # pytest stops with its own message; gtguard reads nothing from it
        if section not in parsed:
            return always, None
        return True, parsed[section].get(key)

    return lookup


def _toml(*, dedicated: bool) -> _Lookup:
    """Read ``[pytest]`` (pytest.toml) or ``[tool.pytest]`` / ``[tool.pytest.ini_options]`` (pyproject.toml)."""

    def lookup(path: Path, key: str) -> tuple[bool, str | None]:
        try:
            data = loads(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError):
            return False, None
        if dedicated:
            table = data.get("pytest")
            return True, _text(table.get(key)) if isinstance(table, dict) else None
        tool = data.get("tool", {}).get("pytest")
        if not isinstance(tool, dict):
            return False, None
        native = {k: v for k, v in tool.items() if k != "ini_options"}
        options = native or tool.get("ini_options")
        if isinstance(options, dict):
            return True, _text(options.get(key))
        return False, None

    return lookup


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


_FILES: tuple[tuple[str, _Lookup], ...] = (
    ("pytest.toml", _toml(dedicated=True)),
    (".pytest.toml", _toml(dedicated=True)),
    ("pytest.ini", _ini("pytest", always=True)),
    (".pytest.ini", _ini("pytest", always=True)),
    ("pyproject.toml", _toml(dedicated=False)),
    ("tox.ini", _ini("pytest")),
    ("setup.cfg", _ini("tool:pytest")),
)
