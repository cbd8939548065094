"""A private workspace per candidate: trusted copies of the task's tests and config, plus the candidate.

Layout of one workspace (a fresh temporary folder, outside the task)::

    <ws>/task/tests/...            trusted copy of the task's tests (or --tests DIR), canaries added
    <ws>/task/repository_before/   trusted copy (tests may compare with the problem state)
    <ws>/task/<config files>       the task's own conftest.py / pytest.ini / pyproject.toml / ...
    <ws>/task/repository_after/    the candidate's copy: the only writable code folder
    <ws>/scratch/                  HOME, TMPDIR: writable
    <ws>/grade.ini                 the ini used when the task has none

The candidate stands where the ground truth stood, so a task that imports ``repository_after.pkg`` or
loads ``<task>/repository_after/x.py`` by path tests the candidate, and nothing of the real
``repository_after/``, ``instances/``, ``evaluation/``, ``patches/`` or ``.git`` is there.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard import __version__
from pytest_gtguard.errors import ConfigError
from pytest_gtguard.split.instance import find_instance
from pytest_gtguard.task.trees import IGNORED, copy_tree, describe_missing, list_files

__all__ = ["CONFIG_SECTIONS", "CandidateCopy", "TaskFiles", "Workspace", "build", "copy_candidate", "tree_digest"]

# pytest's own search order, and the section that makes each file a pytest config file.
CONFIG_SECTIONS = (
    ("pytest.ini", ""),
    ("pyproject.toml", "[tool.pytest.ini_options]"),
    ("tox.ini", "[pytest]"),
    ("setup.cfg", "[tool:pytest]"),
)
_ROOT_FILES = ("conftest.py", *(name for name, _ in CONFIG_SECTIONS))


@functools.lru_cache(maxsize=1)
def _grader_digest() -> str:
    """Digest of the grader's own source: a changed grader redoes the cached ground truths."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class TaskFiles:
    """The trusted inputs of a task, as found on disk."""

    root: Path
    tests: Path
    before: Path | None
    after: Path | None
    instance: Path | None

    @classmethod
    def find(cls, task: Path, *, tests: Path | None = None) -> TaskFiles:
        """Locate the task's parts.

        Raises:
            ConfigError: the task folder or its tests are missing.
        """
        root = task.resolve()
        if not root.is_dir():
            raise ConfigError(f"{task}: {describe_missing(task)}; pass a task folder holding tests/")
        test_dir = (tests or root / "tests").resolve()
        if not test_dir.is_dir():
            where = f"--tests {tests}" if tests else f"{root}/tests"
            raise ConfigError(f"{where}: {describe_missing(test_dir)}; pass the task's test folder with --tests DIR")
        before, after = root / "repository_before", root / "repository_after"
        return cls(
            root,
            test_dir,
            before if before.is_dir() else None,
            after if after.is_dir() else None,
            find_instance(root),
        )

    def fingerprint(self, *extra: str) -> str:
        """Return a digest of everything that decides the ground truth's run."""
        digest = hashlib.sha256(f"{_grader_digest()}\0{__version__}\0{sys.version}\0".encode())
        for item in extra:
            digest.update(item.encode() + b"\0")
        parts: list[tuple[str, Path | None]] = [("tests", self.tests), ("before", self.before), ("after", self.after)]
        for label, folder in parts:
            digest.update(f"[{label}]".encode())
            if folder is not None:
                digest.update(tree_digest(folder).encode())
        for name in (*_ROOT_FILES, *([str(self.instance.relative_to(self.root))] if self.instance else [])):
            path = self.root / name
            if path.is_file():
                digest.update(name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class Workspace:
    """Paths of one built workspace."""

    root: Path
    task: Path
    tests: Path
    candidate: Path
    scratch: Path
    ini: Path

    @property
    def readonly(self) -> tuple[Path, ...]:
        """Folders the run may read but not write."""
        return (self.root,)

    @property
    def writable(self) -> tuple[Path, ...]:
        """Folders the run may write."""
        return (self.candidate, self.scratch)


@dataclass(frozen=True)
class CandidateCopy:
    """What copying the candidate left out."""

    outside_links: tuple[str, ...] = ()
    bytecode: tuple[str, ...] = ()


def copy_candidate(src: Path, dest: Path) -> CandidateCopy:
    """Copy a candidate tree: no caches or bytecode, and no symlink that leads outside it."""
    dest.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    bytecode: list[str] = []
    root = src.resolve()
    for folder, dirs, files in os.walk(src):
        base = Path(folder)
        for name in dirs:
            if name == "__pycache__":
                bytecode.append((base / name).relative_to(src).as_posix())
        dirs[:] = sorted(d for d in dirs if d not in IGNORED)
        for name in sorted([*files, *(d for d in dirs if (base / d).is_symlink())]):
            path = base / name
            rel = path.relative_to(src).as_posix()
            if name.endswith((".pyc", ".pyo")):
                bytecode.append(rel)
                continue
            if name in IGNORED:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                resolved = path.resolve()
                if resolved != root and root not in resolved.parents:
                    outside.append(f"{rel} -> {os.readlink(path)}")
                    continue
                target.symlink_to(os.readlink(path))
            else:
                shutil.copyfile(path, target)
                if os.access(path, os.X_OK):
                    target.chmod(0o755)
    return CandidateCopy(tuple(outside), tuple(bytecode))


def build(
    files: TaskFiles, candidate: Path, dest: Path, *, tests: Mapping[str, str] = {}
) -> tuple[Workspace, CandidateCopy]:
    """Build a workspace in ``dest`` (which must not exist yet) for ``candidate``.

    ``tests`` maps test-file paths (relative to the test folder) to replacement sources: the same
    files with canaries added.
    """
    task = dest / "task"
    test_copy = task / files.tests.name
    copy_tree(files.tests, test_copy)
    for rel, text in tests.items():
        (test_copy / rel).write_text(text, encoding="utf-8")
    if files.before is not None:
        copy_tree(files.before, task / "repository_before")
    for name in _ROOT_FILES:
        if (files.root / name).is_file():
            shutil.copyfile(files.root / name, task / name)
    ini = next((task / n for n, s in CONFIG_SECTIONS if _has_section(task / n, s)), dest / "grade.ini")
    if not ini.exists():
        ini.write_text("[pytest]\n", encoding="utf-8")
    _open_for_all(dest)
    copied = copy_candidate(candidate, task / "repository_after")
    scratch = dest / "scratch"
    for sub in ("home", "tmp"):
        (scratch / sub).mkdir(parents=True)
    return Workspace(dest, task, test_copy, task / "repository_after", scratch, ini), copied


def _has_section(path: Path, section: str) -> bool:
    if not path.is_file():
        return False
    if not section:
        return True
    try:
        return section in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _open_for_all(root: Path) -> None:
    """Make the trusted copy readable (not writable) by everyone: the run may be another uid."""
    root.chmod(0o755)
    for folder, dirs, names in os.walk(root):
        for name in dirs:
            (Path(folder) / name).chmod(0o755)
        for name in names:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644)


def tree_digest(root: Path, *, raw: bool = False, skip: tuple[str, ...] = ()) -> str:
    """Return a digest of the files under ``root`` (paths, link targets and contents).

    ``raw`` leaves nothing out (caches and bytecode included): the integrity check of a run's test
    copy must see a ``.pyc`` planted in ``tests/__pycache__`` (catalogue RH28).
    """
    digest = hashlib.sha256()
    for rel, path in (_every_file(root) if raw else list_files(root)).items():
        if skip and rel.startswith(skip):
            continue
        digest.update(rel.encode() + b"\0")
        if path.is_symlink():
            digest.update(b"->" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _every_file(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in [*names, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path
        found.setdefault(Path(folder).relative_to(root).as_posix() + "/", Path(folder))
    return dict(sorted(found.items()))
