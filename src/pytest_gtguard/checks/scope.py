"""Decide which source files are the code under test, so findings never blame tests, gtguard or libraries."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Finding", "Scope"]

# Folders that never hold the code under test: tests, virtual environments, caches, VCS data.
_SKIP_DIRS = frozenset(
    {
        "tests",
        "test",
        "__pycache__",
        ".git",
        ".hg",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        "site-packages",
        "dist-packages",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "evaluation",
        "instances",
        "patches",
        "trajectory",
    }
)


def _is_test_file(name: str) -> bool:
    return name == "conftest.py" or (name.startswith("test_") and name.endswith(".py")) or name.endswith("_test.py")


def _library_dirs() -> tuple[str, ...]:
    # gtguard itself, pytest and everything installed: a call from there is never the code under test.
    dirs = {str(Path(__file__).resolve().parents[1])}
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            dirs |= {entry, str(Path(entry).resolve())}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        dirs |= {os.path.join(prefix, "lib"), str(Path(prefix).resolve() / "lib")}
    return tuple(sorted(dirs))


@dataclass
class Scope:
    """The roots of the code under test; ``contains`` answers for a file name in O(1) after the first call."""

    roots: tuple[Path, ...]
    label: str = ""
    _cache: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)
    _libs: tuple[str, ...] = field(default_factory=_library_dirs, repr=False, compare=False)

    @classmethod
    def of(cls, roots: Sequence[Path], *, label: str = "") -> Scope:
        """Return the scope of ``roots`` (resolved)."""
        return cls(tuple(Path(r).resolve() for r in roots), label)

    @property
    def decided(self) -> dict[str, bool]:
        """Return the cache behind ``contains`` (read-only use: a fast path for hot callers)."""
        return self._cache

    def contains(self, filename: str) -> bool:
        """Return True if ``filename`` (a code object's ``co_filename``) belongs to the code under test."""
        hit = self._cache.get(filename)
        if hit is None:
            hit = self._cache[filename] = self._decide(filename)
        return hit

    def _decide(self, filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        roots = tuple(str(r) + os.sep for r in self.roots)
        if filename.startswith(self._libs) and not filename.startswith(roots):
            return False  # fast path: most modules are libraries, and realpath costs ~20 us per file
        path = os.path.realpath(filename)
        if path.startswith(self._libs) and not any(path.startswith(str(r) + os.sep) for r in self.roots):
            return False
        for root in self.roots:
            root_text = str(root)
            if path == root_text or path.startswith(root_text + os.sep):
                rel = Path(path).relative_to(root)
                return not _is_test_file(rel.name) and not any(part in _SKIP_DIRS for part in rel.parts[:-1])
        return False

    def files(self) -> Iterator[Path]:
        """Yield the Python source files of the code under test, in a stable order."""
        for root in self.roots:
            if root.is_file():
                if root.suffix == ".py":
                    yield root
                continue
            for folder, dirs, names in os.walk(root):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
                for name in sorted(names):
                    if name.endswith(".py") and not _is_test_file(name):
                        yield Path(folder) / name

    def relative(self, filename: str) -> str:
        """Return ``filename`` relative to its root (for messages), or unchanged."""
        path = Path(os.path.realpath(filename))
        for root in self.roots:
            if path == root or root in path.parents:
                return str(Path(root.name) / path.relative_to(root)) if path != root else root.name
        return filename


@dataclass(frozen=True)
class Finding:
    """One violation or nondeterminism source, with where it is; JSON-able through ``to_json``."""

    check: str  # forbid_imports, forbid_calls, python_syntax, no_new_dependencies, determinism
    subject: str  # the module, call or feature concerned, e.g. "numpy", "sorted", "time.time"
    route: str  # how it was seen, e.g. "import statement", "__import__ (runtime)", "subprocess"
    file: str
    line: int
    detail: str = ""

    def render(self) -> str:
        """Return ``file:line: check: subject via route (detail)`` for terminals."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        extra = f" ({self.detail})" if self.detail else ""
        return f"{where}: {self.check}: {self.subject} via {self.route}{extra}"

    def key(self) -> tuple[str, str, str, int]:
        """Return the identity used to drop duplicates (the same site seen by two routes)."""
        return (self.check, self.subject, self.file, self.line)

    def to_json(self) -> dict[str, object]:
        """Return a plain dict (for report.user_properties and the evaluation report)."""
        return {
            "check": self.check,
            "subject": self.subject,
            "route": self.route,
            "file": self.file,
            "line": self.line,
            "detail": self.detail,
        }


def dedupe(findings: Sequence[Finding]) -> list[Finding]:
    """Drop findings that repeat an earlier one's ``key`` (first wins), keeping order."""
    seen: set[tuple[str, str, str, int]] = set()
    out: list[Finding] = []
    for finding in findings:
        if finding.key() not in seen:
            seen.add(finding.key())
            out.append(finding)
    return out
