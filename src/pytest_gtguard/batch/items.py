"""What a batch runs: items found in a dataset folder or read from a JSONL manifest, and their fingerprints.

An item is one operation on one task (and, for grade, one candidate; for calibrate, one attempts folder).
Its fingerprint hashes the operation, its options, the content of the task and candidate and the gtguard
version, so a rerun knows which items already have a result, and an edited task, or a result of another
gtguard (whose judge may have changed), is run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest_gtguard
from pytest_gtguard.errors import ConfigError

__all__ = ["OPERATIONS", "Item", "discover", "fingerprint_tree", "is_task", "read_manifest", "requirements_of"]

OPERATIONS = ("validate", "split", "grade", "calibrate", "meta")
_TASK_MARKERS = ("repository_after", "repository_before", "tests")
_SKIP = frozenset({".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", "evaluation"})
_REQUIREMENT_FILES = ("requirements.txt", "repository_after/requirements.txt")
_PYPROJECTS = ("pyproject.toml", "repository_after/pyproject.toml")


@dataclass(frozen=True)
class Item:
    """One unit of work: ``operation`` on ``task`` (with ``candidate`` for grade and calibrate)."""

    operation: str
    task: Path
    candidate: Path | None = None
    options: tuple[str, ...] = ()  # the single-task command's options, passed through unchanged
    requirements: tuple[str, ...] = ()  # the task's declared requirements, one pip line each
    category: str = ""
    fingerprint: str = field(default="", compare=False)

    def with_fingerprint(self) -> Item:
        """Return the item with its fingerprint computed from its content."""
        digest = hashlib.sha256()
        version = pytest_gtguard.__version__  # looked up now: a result of another gtguard is not reused
        for part in (version, self.operation, json.dumps(list(self.options)), fingerprint_tree(self.task)):
            digest.update(part.encode() + b"\0")
        if self.candidate is not None:
            digest.update(fingerprint_tree(self.candidate).encode())
        return Item(
            self.operation,
            self.task,
            self.candidate,
            self.options,
            self.requirements,
            self.category,
            digest.hexdigest()[:32],
        )

    def to_json(self) -> dict[str, object]:
        """Return the fields a result record repeats."""
        return {
            "operation": self.operation,
            "task": str(self.task),
            "candidate": None if self.candidate is None else str(self.candidate),
            "options": list(self.options),
            "category": self.category,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Item:
        """Rebuild an item sent to another process (the Ray engine's workers)."""
        candidate = data.get("candidate")
        return cls(
            str(data["operation"]),
            Path(str(data["task"])),
            Path(str(candidate)) if candidate else None,
            tuple(str(o) for o in data.get("options") or ()),  # type: ignore[attr-defined]
            tuple(str(r) for r in data.get("requirements") or ()),  # type: ignore[attr-defined]
            str(data.get("category") or ""),
            str(data.get("fingerprint") or ""),
        )


def fingerprint_tree(path: Path) -> str:
    """Return a digest of every file under ``path`` (names and bytes; caches and evaluation output skipped)."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        for name in sorted(files):
            full = Path(root, name)
            digest.update(full.relative_to(path).as_posix().encode() + b"\0")
            try:
                digest.update(full.read_bytes() if not full.is_symlink() else os.readlink(full).encode())
            except OSError:
                digest.update(b"<unreadable>")
    return digest.hexdigest()


def is_task(path: Path) -> bool:
    """Return True when ``path`` holds one of a task's folders."""
    return path.is_dir() and any((path / name).is_dir() for name in _TASK_MARKERS)


def _category(task: Path) -> str:
    for instance in sorted((task / "instances").glob("*.json")) if (task / "instances").is_dir() else ():
        try:
            data = json.loads(instance.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            continue
        first = data[0] if isinstance(data, list) and data else data
        if isinstance(first, dict) and isinstance(first.get("category"), str):
            return str(first["category"])
    return ""


def requirements_of(task: Path) -> tuple[str, ...]:
    """Return the task's declared requirements (requirements.txt, else pyproject's dependencies), sorted."""
    for name in _REQUIREMENT_FILES:
        path = task / name
        if path.is_file():
            lines = []
            for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
                line = raw.split(" #", 1)[0].strip()
                if line and not line.startswith("#"):
                    lines.append(line)
            return tuple(sorted(set(lines)))
    for name in _PYPROJECTS:
        path = task / name
        if path.is_file():
            from pytest_gtguard._toml import loads  # the stdlib's tomllib, or tomli on 3.10

            try:
                deps = (loads(path.read_text(encoding="utf-8")) or {}).get("project", {}).get("dependencies", [])
            except ValueError:
                return ()
            return tuple(sorted({str(d).strip() for d in deps if str(d).strip()}))
    return ()


def _make(operation: str, task: Path, candidate: Path | None, options: Sequence[str]) -> Item:
    task = task.resolve()
    return Item(
        operation,
        task,
        None if candidate is None else candidate.resolve(),
        tuple(options),
        requirements_of(task),
        _category(task),
    )


def discover(source: Path, operation: str, options: Sequence[str] = ()) -> list[Item]:
    """Return the items of ``source``: a dataset folder (tasks one or two levels deep) or a JSONL manifest.

    Raises:
        ConfigError: the source is missing, holds no task, or (for grade/calibrate) is not a manifest.
    """
    if source.is_file():
        return read_manifest(source, operation, options)
    if not source.is_dir():
        raise ConfigError(f"{source}: no such folder or manifest; pass a dataset folder or a .jsonl manifest")
    if operation in ("grade", "calibrate"):
        raise ConfigError(
            f"{source}: batch {operation} needs the candidates of each task: pass a JSONL manifest with "
            '{"task": ..., "candidate": ...} lines (docs/batch.md)'
        )
    tasks = [source] if is_task(source) else list(_tasks_under(source))
    if not tasks:
        raise ConfigError(f"{source}: no task folder (one holding repository_after/ or tests/) in it or one level down")
    return [_make(operation, task, None, options) for task in tasks]


def _tasks_under(source: Path) -> Iterator[Path]:
    for child in sorted(p for p in source.iterdir() if p.is_dir() and p.name not in _SKIP):
        if is_task(child):
            yield child
        else:
            yield from (g for g in sorted(child.iterdir()) if g.name not in _SKIP and is_task(g))


def read_manifest(path: Path, operation: str, options: Sequence[str] = ()) -> list[Item]:
    """Read a JSONL manifest: ``{"task": PATH, "candidate": PATH | [PATH, ...], "options": [...]}`` per line.

    Relative paths are relative to the manifest's folder; ``attempts`` is read as ``candidate`` for calibrate.

    Raises:
        ConfigError: a line is not a JSON object with a task, or lacks the candidate grade and calibrate need.
    """
    items: list[Item] = []
    base = path.parent
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{path}:{number}: not JSON ({exc}); write one JSON object per line") from None
        if not isinstance(data, dict) or not isinstance(data.get("task"), str):
            raise ConfigError(f'{path}:{number}: expected an object with "task": "PATH"')
        raw = data.get("candidate", data.get("candidates", data.get("attempts")))
        candidates = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
        extra = [str(o) for o in data.get("options", [])]
        if operation in ("grade", "calibrate") and not candidates:
            what = "attempts folder" if operation == "calibrate" else "candidate (folder or .patch)"
            raise ConfigError(f'{path}:{number}: batch {operation} needs "candidate": the {what}')
        task = base / data["task"]
        if operation in ("grade", "calibrate"):
            items += [_make(operation, task, base / str(c), [*options, *extra]) for c in candidates]
        else:
            items.append(_make(operation, task, None, [*options, *extra]))
    if not items:
        raise ConfigError(f"{path}: the manifest lists no item")
    return items
