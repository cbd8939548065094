"""Snapshot, copy and compare directory trees while leaving out caches (shared by patch and calibrate)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["IGNORED", "compare_trees", "copy_tree", "describe_missing", "list_files"]

# Never part of a solution: caches, VCS data and scaffold keep-files (a patch that creates or deletes
# .gitkeep would be noise, and ingestion drops them anyway).
IGNORED = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".git",
        ".gitkeep",
        ".DS_Store",
        "node_modules",
        ".venv",
    }
)


def _ignored(name: str) -> bool:
    return name in IGNORED or name.endswith((".pyc", ".pyo"))


def list_files(root: Path) -> dict[str, Path]:
    """Return {posix relative path: path} of the regular files and symlinks under ``root`` (sorted)."""
    found: dict[str, Path] = {}
    if not root.is_dir():
        return found
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _ignored(d))
        base = Path(folder)
        for name in sorted(files):
            if not _ignored(name):
                path = base / name
                found[path.relative_to(root).as_posix()] = path
        for name in dirs:  # symlinked directories are not descended into by os.walk; keep them as links
            if (base / name).is_symlink():
                path = base / name
                found[path.relative_to(root).as_posix()] = path
    return dict(sorted(found.items()))


def copy_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` (created, possibly empty) without caches; symlinks stay links."""
    dest.mkdir(parents=True, exist_ok=True)
    for relpath, path in list_files(src).items():
        target = dest / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            target.symlink_to(os.readlink(path))
        else:
            shutil.copy2(path, target)


def compare_trees(expected: Path, actual: Path, *, modes: bool = False) -> list[str]:
    """Return human lines describing how ``actual`` differs from ``expected`` (empty when equal).

    ``modes`` also compares executable bits; off by default because patches written on Windows
    routinely say ``new file mode 100755`` for ordinary files.
    """
    want, got = list_files(expected), list_files(actual)
    lines = [f"missing {p}" for p in want if p not in got]
    lines += [f"unexpected {p}" for p in got if p not in want]
    for relpath in want.keys() & got.keys():
        a, b = want[relpath], got[relpath]
        if a.is_symlink() or b.is_symlink():
            same = a.is_symlink() and b.is_symlink() and os.readlink(a) == os.readlink(b)
        else:
            same = a.read_bytes() == b.read_bytes()
            if same and modes and os.access(a, os.X_OK) != os.access(b, os.X_OK):
                lines.append(f"mode {relpath}")
        if not same:
            lines.append(f"differs {relpath}")
    return sorted(lines, key=lambda line: line.split(" ", 1)[1])


def describe_missing(path: Path) -> str:
    """Say why ``path`` is not a usable directory: it does not exist, or it is a file."""
    return "is a file, not a directory" if path.exists() else "no such directory"
