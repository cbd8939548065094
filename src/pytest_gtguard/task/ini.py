"""Read one gtguard ini key from a task's pytest configuration file, without pytest.

``validate`` honours the settings the split honours (e.g. ``gtguard_expect_f2p = false`` for a pure
refactor); pytest's own ini reading needs a ``Config``, so this follows its file order instead:
pytest.ini, pyproject.toml ``[tool.pytest.ini_options]``, tox.ini ``[pytest]``, setup.cfg ``[tool:pytest]``.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from pytest_gtguard._toml import loads

__all__ = ["read_ini"]


def read_ini(root: Path, key: str) -> str | None:
    """Return the raw value of ``key`` from the first pytest configuration file in ``root``, or None."""
    for name, section in (
        ("pytest.ini", "pytest"),
        ("pyproject.toml", None),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        path = root / name
        if not path.is_file():
            continue
        if section is None:
            found, value = _toml(path, key)
        else:
            found, value = _cfg(path, section, key)
        if found:
            return value
    return None


def _cfg(path: Path, section: str, key: str) -> tuple[bool, str | None]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False, None
    if not parser.has_section(section):
        return False, None  # pytest skips such a file and looks further
    return True, parser.get(section, key, fallback=None)


def _toml(path: Path, key: str) -> tuple[bool, str | None]:
    try:
        data = loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return False, None
    options = (data or {}).get("tool", {}).get("pytest", {}).get("ini_options")
    if isinstance(options, dict):
        value = options.get(key)
        return True, None if value is None else str(value)
    return False, None
