"""``no_new_dependencies``: the side under test declares no distribution the before side does not.

Reads ``requirements*.txt`` (any depth, outside virtual environments, with the files they include),
``pyproject.toml`` (``[project]`` dependencies and extras, PEP 735 ``[dependency-groups]``, Poetry's
tables), ``setup.cfg`` and ``setup.py`` (statically); the parsing lives in ``checks/requirements.py``.
The baseline is the before side plus the task root's own top-level files, since many tasks keep the
shared ``requirements.txt`` at the task root (survey §8).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from pytest_gtguard.checks import requirements
from pytest_gtguard.checks.scope import Finding

__all__ = ["CHECK", "Requirement", "declared", "new_dependency_findings"]

CHECK = "no_new_dependencies"
_SKIP = frozenset({".git", ".venv", "venv", "env", "node_modules", "site-packages", "__pycache__", ".tox"})


@dataclass(frozen=True)
class Requirement:
    """A declared distribution name (PEP 503 normalised) and where it is declared."""

    name: str
    file: Path
    line: int


def normalise(name: str) -> str:
    """Return the PEP 503 form of a distribution name."""
    return canonicalize_name(name)


def declared(folder: Path, *, recursive: bool = True) -> list[Requirement]:
    """Return the distributions declared under ``folder``."""
    out: list[Requirement] = []
    for path in _files(folder, recursive=recursive):
        out.extend(Requirement(name, file, line) for name, file, line in _reader(path.name)(path))
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
            if name in _READERS or (name.startswith("requirements") and name.endswith(".txt")):
                yield Path(root) / name


_READERS: dict[str, Callable[[Path], Iterator[requirements.Declared]]] = {
    "pyproject.toml": requirements.from_pyproject,
    "setup.cfg": requirements.from_setup_cfg,
    "setup.py": requirements.from_setup_py,
}


def _reader(name: str) -> Callable[[Path], Iterator[requirements.Declared]]:
    return _READERS.get(name, requirements.from_requirements_file)
