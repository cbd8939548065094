"""Find the task directory and decide which side (before, after or a candidate path) is under test."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.errors import ConfigError, TaskLayoutError

__all__ = ["AFTER_DIR", "BEFORE_DIR", "Side", "SideKind", "Task", "check_side_folder", "render_env", "select_sides"]

BEFORE_DIR = "repository_before"
AFTER_DIR = "repository_after"

# Files that scaffolds leave in an otherwise empty side (survey §1: 292 untouched scaffolds).
_PLACEHOLDER_NAMES = frozenset({".gitkeep", ".keep", ".gitignore", ".DS_Store", "__init__.py"})
_PLACEHOLDER_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".git"})
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ENV_FIELDS = frozenset({"side", "SIDE", "name", "rel", "path", "task"})


class SideKind(enum.Enum):
    """Which role the directory under test plays."""

    BEFORE = "before"
    AFTER = "after"
    CANDIDATE = "candidate"


@dataclass(frozen=True)
class Task:
    """A task repository: the folder that holds repository_before/ and/or repository_after/."""

    root: Path

    @property
    def before_dir(self) -> Path:
        """Return the path of repository_before (it may not exist: greenfield tasks)."""
        return self.root / BEFORE_DIR

    @property
    def after_dir(self) -> Path:
        """Return the path of repository_after."""
        return self.root / AFTER_DIR

    @classmethod
    def discover(cls, starts: Iterable[Path]) -> Task | None:
        """Return the nearest task at or above any of ``starts`` (first match wins), or None."""
        for start in starts:
            start = start.resolve()
            here = start if start.is_dir() else start.parent
            for folder in (here, *here.parents):
                # Any entry by that name marks the task (a file or a dangling link too): the side check then
                # names it, rather than the run going on as if there were no task.
                if _present(folder / BEFORE_DIR) or _present(folder / AFTER_DIR):
                    return cls(folder)
        return None

    @classmethod
    def at(cls, root: Path, *, where: str) -> Task:
        """Return the task at ``root`` as named by the user; raise if it is not a task directory."""
        if not root.is_dir():
            state = _not_a_folder(root, missing="does not exist")
            raise TaskLayoutError(
                f"{where}: task directory {root} {state}; pass the folder that holds {BEFORE_DIR}/ and {AFTER_DIR}/"
            )
        if not (_present(root / BEFORE_DIR) or _present(root / AFTER_DIR)):
            raise TaskLayoutError(
                f"{where}: {root} holds neither {BEFORE_DIR}/ nor {AFTER_DIR}/; pass the task's "
                "top folder (the one with tests/ and the two repository folders)"
            )
        return cls(root.resolve())


@dataclass(frozen=True)
class Side:
    """One directory under test and the role it plays in its task."""

    kind: SideKind
    path: Path
    task: Task | None

    @property
    def name(self) -> str:
        """Return the folder's name, e.g. ``repository_before``."""
        return self.path.name

    @property
    def is_empty(self) -> bool:
        """Return True when the side is missing or holds only scaffold placeholders (greenfield tasks)."""
        return _is_empty(self.path)

    @property
    def rel(self) -> str:
        """Return the path relative to the task root (``repository_after``), or the absolute path outside it.

        This is the spelling most real tasks compare against (``REPO_PATH == "repository_before"``) and it
        still works where they join it to the task root or import ``f"{rel}.module"``.
        """
        if self.task is not None and _within(self.path, self.task.root) and self.path != self.task.root:
            return self.path.relative_to(self.task.root).as_posix()
        return str(self.path)

    def describe(self) -> str:
        """Return a short human label such as ``before (/task/repository_before, empty)``."""
        state = ", empty" if self.is_empty else ""
        return f"{self.kind.value} ({self.path}{state})"


def select_sides(
    *,
    before: bool,
    after: bool,
    repo: Path | None,
    fallback: str | None,
    fallback_source: str,
    task: Task | None,
) -> tuple[Side, ...]:
    """Return the sides the user asked for: none, one, or (before, after) for a split run.

    Raises:
        TaskLayoutError: a side needs the task and there is none, or ``repo`` does not exist.
        ConfigError: the side options contradict each other.
    """
    if repo is not None and (before or after):
        raise ConfigError("--repo PATH replaces --before/--after: give either --repo or the side options, not both")
    if repo is not None:
        return (_candidate(repo, task, where="--repo"),)
    if not (before or after) and fallback:
        if fallback in ("before", "after"):
            before, after = fallback == "before", fallback == "after"
        else:
            return (_candidate(Path(fallback), task, where=fallback_source),)
    sides: list[Side] = []
    for wanted, kind in ((before, SideKind.BEFORE), (after, SideKind.AFTER)):
        if not wanted:
            continue
        if task is None:
            raise TaskLayoutError(
                f"--{kind.value}: no task found: no folder at or above the test paths holds {BEFORE_DIR}/ or "
                f"{AFTER_DIR}/; run pytest inside the task or pass --gtguard-task DIR"
            )
        folder = task.before_dir if kind is SideKind.BEFORE else task.after_dir
        check_side_folder(folder, required=kind is SideKind.AFTER, where=f"--{kind.value}")
        sides.append(Side(kind, folder, task))
    return tuple(sides)


def check_side_folder(folder: Path, *, required: bool, where: str) -> None:
    """Refuse a side folder that is a file or a dangling link, and a missing one when ``required``.

    A missing repository_before/ is a greenfield task (git keeps no empty folder), so only
    repository_after/ is required; ``gtguard validate`` reports the same entries (GT001).

    Raises:
        TaskLayoutError: the message names the entry and the fix.
    """
    if folder.is_dir():
        return
    if _present(folder):
        raise TaskLayoutError(
            f"{where}: {folder} {_not_a_folder(folder, missing='')}; replace it with the {folder.name}/ folder"
        )
    if required:
        raise TaskLayoutError(
            f"{where}: {folder} does not exist; create {folder.name}/ with the ground-truth solution, "
            "or run inside the task it belongs to"
        )


def _candidate(path: Path, task: Task | None, *, where: str) -> Side:
    path = path.expanduser()
    if not path.is_dir():
        state = _not_a_folder(path, missing="is not a directory")
        raise TaskLayoutError(f"{where}: {path} {state}; pass the folder that holds the solution's code")
    return Side(SideKind.CANDIDATE, path.resolve(), task)


def render_env(templates: Sequence[str], side: Side, *, where: str) -> dict[str, str]:
    """Expand ``NAME=TEMPLATE`` items for ``side``.

    Fields: {side} (before/after/candidate), {SIDE} (upper case), {name} (folder name), {rel} (path
    relative to the task root, absolute outside it), {path} (absolute path) and {task} (task root).

    Raises:
        ConfigError: an item is not ``NAME=TEMPLATE`` or names an unknown field.
    """
    values = {
        "side": side.kind.value,
        "SIDE": side.kind.value.upper(),
        "name": side.name,
        "rel": side.rel,
        "path": str(side.path),
        "task": str(side.task.root if side.task else side.path.parent),
    }
    env: dict[str, str] = {}
    for item in templates:
        name, sep, template = item.partition("=")
        if not sep or not _ENV_NAME.match(name):
            raise ConfigError(f"{where}: {item!r} is not NAME=TEMPLATE, e.g. TARGET_REPO={{path}}")
        import string  # only when a side is under test: keeps plugin import cheap

        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as exc:
            raise ConfigError(f"{where}: {item!r} is not a valid template ({exc}); write fields as {{path}}") from None
        unknown = fields - _ENV_FIELDS
        if unknown:
            raise ConfigError(
                f"{where}: {item!r} uses unknown field(s) {', '.join(repr(f) for f in sorted(unknown))}; "
                "use {side}, {SIDE}, {name}, {rel}, {path} or {task}"
            )
        env[name] = template.format(**values)
    return env


def _not_a_folder(path: Path, *, missing: str) -> str:
    """Say what ``path`` is instead of a folder: a file, a link to nothing, or ``missing``."""
    if path.exists():
        return "is a file, not a folder"
    if path.is_symlink():
        return f"is a symbolic link to {os.readlink(path)}, which does not exist"
    return missing


def _present(path: Path) -> bool:
    """Return whether anything (a folder, a file or a link, even dangling) is at ``path``."""
    return path.is_symlink() or path.exists()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _is_empty(path: Path) -> bool:
    if not path.is_dir():
        return True
    stack = [path]
    while stack:
        folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                if entry.name not in _PLACEHOLDER_DIRS:
                    stack.append(entry)
            elif entry.name.lower().startswith("readme"):
                continue
            elif entry.name not in _PLACEHOLDER_NAMES or entry.stat().st_size > 0:
                return False
    return True
