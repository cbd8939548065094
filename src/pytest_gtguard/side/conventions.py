"""Read a task's own side-selection conventions from its test sources, so it runs unmodified.

Real tasks pick their side through one of 19 environment variable names, each with its own value
format (survey §2: ``REPO_PATH=repository_after``, ``TEST_REPO=after``,
``TEST_REPO_PATH=/app/repository_after``), and they almost always read it with a default that names
the after side. That default tells us both the name and the format, so gtguard can set the variable
for the side under test instead of letting a missing or misspelt variable silently test "after"
twice. A text scan (not an import) because it must run before the conftests that read the variables
are imported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_gtguard.side.task import AFTER_DIR, BEFORE_DIR, Task

__all__ = ["EnvGuess", "TaskConventions", "scan_conventions"]

# os.environ.get("NAME", "default"), os.getenv("NAME", "default"), os.environ.setdefault("NAME", "default")
_ENV_READ = re.compile(
    r"""(?:environ\.get|getenv|environ\.setdefault)\(\s*(?P<q1>['"])(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=q1)"""
    r"""\s*,\s*(?P<q2>['"])(?P<default>[^'"\n]*)(?P=q2)"""
)
_TEST_FOLDERS = ("tests", "test")
_MAX_FILES = 400
_MAX_BYTES = 512 * 1024
_SKIP_DIRS = frozenset({"__pycache__", ".git", "node_modules", ".venv", "venv", ".pytest_cache"})
_RESERVED = frozenset({"PYTHONPATH", "PATH", "HOME"})


@dataclass(frozen=True)
class EnvGuess:
    """An environment variable the task's tests read to pick a side, and the template that feeds it."""

    name: str
    template: str
    where: str  # "tests/conftest.py:11", for the run header

    @property
    def item(self) -> str:
        """Return the ``NAME=TEMPLATE`` form ``render_env`` takes."""
        return f"{self.name}={self.template}"


@dataclass(frozen=True)
class TaskConventions:
    """What the task's test sources say about how they pick a side."""

    env: tuple[EnvGuess, ...]
    names_before: bool  # some test source spells "repository_before"
    names_after: bool
    # Top-level modules the test sources import by bare name. Only the hard-coded-after rule reads it
    # (``needs_imports``), so only such a task pays for parsing its tests (80-95% of a scan): else empty.
    imported: frozenset[str] = frozenset()

    @property
    def needs_imports(self) -> bool:
        """Return whether the sources name repository_after, never repository_before (``imported`` is then set)."""
        return self.names_after and not self.names_before


def template_for_default(default: str) -> str | None:
    """Return the env template whose after-side value is ``default``, or None if it names no side.

    ``repository_after`` -> ``{rel}``, ``after`` -> ``{side}``, ``AFTER`` -> ``{SIDE}``,
    ``/app/repository_after`` -> ``{path}``; the before spellings map the same way.
    """
    value = default.strip()
    if value in (AFTER_DIR, BEFORE_DIR, f"{AFTER_DIR}/", f"{BEFORE_DIR}/"):
        return "{rel}"
    if value in ("after", "before"):
        return "{side}"
    if value in ("AFTER", "BEFORE"):
        return "{SIDE}"
    if value.rstrip("/").endswith((f"/{AFTER_DIR}", f"/{BEFORE_DIR}")):
        return "{path}"
    return None


def scan_conventions(task: Task) -> TaskConventions:
    """Scan the task's test sources (task-root ``*.py`` and ``tests/``, ``test/``) for side conventions."""
    found: dict[str, EnvGuess] = {}
    names_before = names_after = False
    texts: list[str] = []
    for path in _test_sources(task.root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        texts.append(text)
        names_before = names_before or BEFORE_DIR in text
        names_after = names_after or AFTER_DIR in text
        for match in _ENV_READ.finditer(text):
            name = match["name"]
            template = template_for_default(match["default"])
            if template is None or name in found or name in _RESERVED or name.startswith("GTGUARD_"):
                continue
            line = text.count("\n", 0, match.start()) + 1
            found[name] = EnvGuess(name, template, f"{path.relative_to(task.root).as_posix()}:{line}")
    conventions = TaskConventions(tuple(found.values()), names_before, names_after)
    if conventions.needs_imports:
        imported = frozenset(name for text in texts for name in _bare_imports(text))
        conventions = replace(conventions, imported=imported)
    return conventions


def _bare_imports(text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.partition(".")[0])
    return names


def _test_sources(root: Path) -> Iterator[Path]:
    count = 0
    candidates = sorted(root.glob("*.py"))
    for folder in _TEST_FOLDERS:
        if (root / folder).is_dir():
            candidates.extend(sorted(_walk(root / folder)))
    for path in candidates:
        if count >= _MAX_FILES:
            return
        try:
            if not path.is_file() or path.stat().st_size > _MAX_BYTES:
                continue
        except OSError:
            continue
        count += 1
        yield path


def _walk(folder: Path) -> Iterator[Path]:
    stack = [folder]
    while stack:
        here = stack.pop()
        try:
            entries = list(here.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.suffix == ".py":
                yield entry
