"""Make bare imports resolve to the side under test, and only to it.

A ``sys.meta_path`` finder rather than a ``sys.path`` edit alone: tasks insert side folders into
``sys.path`` from their own conftests (survey §2: 49% of Python tasks), and pytest's rootdir insertion
exposes stray solution copies at the task root (task 3qvykf). Whatever sys.path says, this finder
answers first: a bare ``import pkg`` loads the side under test's ``pkg`` or fails with a message that
says where the other copy lives. Explicit ``import repository_after.pkg`` keeps working.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pytest_gtguard.side.task import AFTER_DIR, BEFORE_DIR, Side, SideKind

__all__ = ["SideFinder", "top_level_names"]

_SOURCE_SUFFIXES = tuple(importlib.machinery.all_suffixes())
# Task-level folders that pytest imports itself (rootdir insertion); never redirected to a side even
# when a side has a folder of the same name (testing tasks keep tests in repository_after/tests).
_TASK_FOLDERS = frozenset({"tests", "test", "conftest", "evaluation", "instances", "patches", "trajectory"})


def top_level_names(folder: Path) -> frozenset[str]:
    """Return the names importable from ``folder`` as top-level modules or packages."""
    if not folder.is_dir():
        return frozenset()
    names: set[str] = set()
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name.isidentifier() and entry.name != "__pycache__":
                names.add(entry.name)
        elif entry.name.endswith(_SOURCE_SUFFIXES):
            stem = entry.name.split(".", 1)[0]
            if stem.isidentifier():
                names.add(stem)
    # Test modules are pytest's to import (a side's own suite, named on the command line), never code
    # under test.
    return frozenset(n for n in names - _TASK_FOLDERS if not _is_test_module(n))


def _is_test_module(name: str) -> bool:
    return name == "conftest" or name.startswith("test_") or name.endswith("_test")


@dataclass(frozen=True)
class _Target:
    side: Side
    names: frozenset[str]
    foreign: tuple[Path, ...]  # folders whose modules must not be reached by a bare import
    foreign_names: frozenset[str]
    alias: str | None  # package name (``repository_after``) that resolves to ``side``


class SideFinder(importlib.abc.MetaPathFinder):
    """Resolve top-level imports against the side under test before anything on sys.path.

    ``alias`` is a package name (normally ``repository_after``) that resolves to the side under test, so
    tests that hard-code ``from repository_after.x import y`` exercise a candidate (``--repo``) or, when
    the plugin decides so, the before side.
    """

    def __init__(self, side: Side, *, alias: str | None) -> None:
        self._alias = alias or None
        self._target = self._target_for(side, self._alias)
        self._inserted_path: str | None = None

    @property
    def side(self) -> Side:
        """Return the side bare imports currently resolve to."""
        return self._target.side

    @property
    def alias(self) -> str | None:
        """Return the package name that currently resolves to the side, if any."""
        return self._target.alias

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """Return the side's spec for a top-level name; raise for a copy outside the side under test.

        sys.path order decides as usual, except that entries leading into the other side or to a stray
        copy at the task root are passed over in favour of the side under test. A module found anywhere
        else (site-packages, a temporary folder a meta-test wrote) is left alone.
        """
        if path is not None or "." in fullname:
            return None  # submodules follow their parent package's __path__
        tgt = self._target
        if fullname == tgt.alias:
            return _package_spec(fullname, tgt.side.path)
        if fullname in (BEFORE_DIR, AFTER_DIR) and tgt.side.task is not None:
            folder = tgt.side.task.root / fullname
            return _package_spec(fullname, folder) if folder.is_dir() else None
        if fullname not in tgt.names and fullname not in tgt.foreign_names:
            return None
        found = _without_foreign(importlib.machinery.PathFinder.find_spec(fullname), tgt.foreign)
        if isinstance(found, importlib.machinery.ModuleSpec):
            return found  # in the side itself or somewhere unrelated: plain sys.path semantics
        own = (
            importlib.machinery.PathFinder.find_spec(fullname, [str(tgt.side.path)]) if fullname in tgt.names else None
        )
        if own is not None:
            return own
        if found is not None:
            raise ModuleNotFoundError(self._explain(fullname, found), name=fullname)
        return None

    @contextlib.contextmanager
    def retarget(self, side: Side) -> Iterator[None]:
        """Resolve bare imports against ``side`` inside the block (used by ``load_side``)."""
        saved = self._target
        # A path handed to load_side keeps the alias; before/after resolve repository_* to the real folders.
        self._target = self._target_for(side, self._alias if side.kind is SideKind.CANDIDATE else None)
        try:
            yield
        finally:
            self._target = saved

    def owns(self, module: ModuleType) -> bool:
        """Return True if ``module`` was loaded from any side folder or a stray copy it knows of."""
        name = module.__name__.split(".", 1)[0]
        tgt = self._target
        return name in tgt.names or name in tgt.foreign_names or name in {BEFORE_DIR, AFTER_DIR, tgt.alias}

    def install(self) -> None:
        """Put the finder first on sys.meta_path and the side first on sys.path; drop stale modules."""
        sys.meta_path.insert(0, self)
        side_dir = str(self._target.side.path)
        if side_dir not in sys.path:
            sys.path.insert(0, side_dir)
            self._inserted_path = side_dir
        task = self._target.side.task
        # Only modules loaded from this task (or the side) are stale; an unrelated module that shares a
        # name with a side's module (a plugin's ``utils``) stays.
        roots = (task.root,) if task else (self._target.side.path,)
        stale = [n for n, m in sys.modules.items() if m is not None and self.owns(m) and _loaded_from(m, roots)]
        for name in stale:
            del sys.modules[name]

    def uninstall(self) -> None:
        """Undo ``install`` (in-process pytester runs share one interpreter)."""
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        if self._inserted_path is not None:
            with contextlib.suppress(ValueError):
                sys.path.remove(self._inserted_path)
            self._inserted_path = None

    @staticmethod
    def _target_for(side: Side, alias: str | None) -> _Target:
        foreign: list[Path] = []
        names: set[str] = set()
        if side.task is not None:
            for folder in (side.task.before_dir, side.task.after_dir):
                if folder.resolve() != side.path:
                    foreign.append(folder.resolve())
            sides = top_level_names(side.task.before_dir) | top_level_names(side.task.after_dir)
            # A module at the task root named like a side's module is a stray solution copy (3qvykf).
            foreign.extend(p for n in sides for p in _module_paths(side.task.root, n))
            names |= sides
        return _Target(side, top_level_names(side.path), tuple(foreign), frozenset(names), alias)

    def _explain(self, name: str, where: Path) -> str:
        side = self._target.side
        task_root = side.task.root if side.task else None
        stray = where.parent == task_root or (where.stem == "__init__" and where.parent.parent == task_root)
        if task_root is not None and stray:
            fix = "it is a stray copy at the task root: delete it or move it into a repository folder"
        else:
            other = next(p for p in self._target.foreign if _within(where, p))
            fix = (
                f"a sys.path entry (often a conftest's sys.path.insert) points into {other.name}; import "
                f"{other.name}.{name} explicitly if the test compares sides, or use the load_side fixture"
            )
        return (
            f"gtguard: 'import {name}' would load {where}, which is outside the side under test "
            f"{side.describe()}; {fix}"
        )


def _package_spec(name: str, folder: Path) -> importlib.machinery.ModuleSpec:
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
        if spec is not None:
            return spec
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(folder)]  # a namespace package rooted at the folder
    return spec


def _without_foreign(
    spec: importlib.machinery.ModuleSpec | None, foreign: tuple[Path, ...]
) -> importlib.machinery.ModuleSpec | Path | None:
    """Return ``spec`` if nothing in it is foreign, the foreign location if it is, None if not found."""
    if spec is None:
        return None
    if spec.origin is None and spec.submodule_search_locations:
        # A namespace package spans every sys.path entry holding the folder: keep only the clean parts.
        locations = [Path(p).resolve() for p in spec.submodule_search_locations]
        clean = [str(p) for p in locations if not any(_within(p, f) for f in foreign)]
        if clean:
            spec.submodule_search_locations = clean
            return spec
        return locations[0]
    where = _location(spec)
    if where is not None and any(_within(where, f) for f in foreign):
        return where
    return spec


def _location(spec: importlib.machinery.ModuleSpec | None) -> Path | None:
    if spec is None:
        return None
    if spec.origin and spec.has_location:
        return Path(spec.origin).resolve()
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    return None


def _loaded_from(module: ModuleType, roots: tuple[Path, ...]) -> bool:
    locations = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or ())]
    for location in locations:
        if isinstance(location, str) and any(_within(Path(location).resolve(), root) for root in roots):
            return True
    return False


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _module_paths(root: Path, name: str) -> list[Path]:
    candidates = [root / name, *(root / f"{name}{suffix}" for suffix in _SOURCE_SUFFIXES)]
    return [path.resolve() for path in candidates if path.exists()]
