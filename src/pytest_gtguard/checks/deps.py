"""``no_new_dependencies``: the side under test declares no distribution the before side does not.

Reads ``requirements*.txt`` (any depth, outside virtual environments) and ``pyproject.toml``
(``[project]`` dependencies and optional dependencies, Poetry's ``[tool.poetry.dependencies]``).
The baseline is the before side plus the task root's own top-level files, since many tasks keep the
shared ``requirements.txt`` at the task root (survey §8).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_gtguard._toml import loads
from pytest_gtguard.checks.scope import Finding

__all__ = ["CHECK", "Requirement", "declared", "new_dependency_findings"]

CHECK = "no_new_dependencies"
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_SKIP = frozenset({".git", ".venv", "venv", "env", "node_modules", "site-packages", "__pycache__", ".tox"})


@dataclass(frozen=True)
class Requirement:
    """A declared distribution name (PEP 503 normalised) and where it is declared."""

    name: str
    file: Path
    line: int


def normalise(name: str) -> str:
    """Return the PEP 503 form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(folder: Path, *, recursive: bool = True) -> list[Requirement]:
    """Return the distributions declared under ``folder``."""
    out: list[Requirement] = []
    for path in _files(folder, recursive=recursive):
        if path.name == "pyproject.toml":
            out.extend(_from_pyproject(path))
        else:
            out.extend(_from_requirements(path))
    return out


def new_dependency_findings(under_test: Path, baseline: list[Path], *, base: Path) -> list[Finding]:
    """Return a finding for each distribution ``under_test`` declares that no baseline folder does.

    ``baseline`` folders are read recursively, except the last one (the task root), read top-level only.
    """
    known: set[str] = set()
    for i, folder in enumerate(baseline):
        known |= {r.name for r in declared(folder, recursive=i < len(baseline) - 1)}
    out: list[Finding] = []
    for req in declared(under_test):
        if req.name not in known:
            known.add(req.name)
            rel = os.path.relpath(req.file, base)
            out.append(Finding(CHECK, req.name, "declared", rel, req.line, "not declared by the before side"))
    return out


def _files(folder: Path, *, recursive: bool) -> Iterator[Path]:
    if not folder.is_dir():
        return
    walker = os.walk(folder) if recursive else [(str(folder), [], os.listdir(folder))]
    for root, dirs, names in walker:
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        for name in sorted(names):
            if name == "pyproject.toml" or (name.startswith("requirements") and name.endswith(".txt")):
                yield Path(root) / name


def _from_requirements(path: Path) -> Iterator[Requirement]:
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "git+", "http:", "https:", "file:", ".")):
            continue
        match = _NAME.match(line)
        if match:
            yield Requirement(normalise(match.group(1)), path, number)


def _from_pyproject(path: Path) -> Iterator[Requirement]:
    text = path.read_text(encoding="utf-8", errors="replace")
    data = _toml(text)
    specs: list[str] = []
    project = data.get("project", {})
    specs.extend(project.get("dependencies", []) or [])
    for group in (project.get("optional-dependencies", {}) or {}).values():
        specs.extend(group)
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {}) or {}
    specs.extend(name for name in poetry if name.lower() != "python")
    lines = text.splitlines()
    for spec in specs:
        match = _NAME.match(str(spec))
        if match:
            name = match.group(1)
            line = next((i for i, text_line in enumerate(lines, 1) if name in text_line), 0)
            yield Requirement(normalise(name), path, line)


def _toml(text: str) -> dict[str, Any]:
    return loads(text) or {}
