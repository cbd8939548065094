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

__all__ = ["EnvGuess", "EnvRead", "TaskConventions", "scan_conventions", "side_template"]

_COMPOSE = "set by "
_BY_NAME = "read without a default at "

# os.environ.get("NAME", "default"), os.getenv("NAME", "default"), os.environ.setdefault("NAME", "default")
_ENV_READ = re.compile(
    r"""(?:environ\.get|getenv|environ\.setdefault)\(\s*(?P<q1>['"])(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=q1)"""
    r"""\s*,\s*(?P<q2>['"])(?P<default>[^'"\n]*)(?P=q2)"""
)
# os.environ["NAME"] (a read, not an assignment), os.environ.get("NAME"), os.getenv("NAME"): no default, so the
# tests say nothing about the value's spelling; the compose file, or the name and the file, may.
_BARE_READ = re.compile(
    r"""(?:environ\[\s*(?P<q1>['"])(?P<n1>[A-Za-z_][A-Za-z0-9_]*)(?P=q1)\s*\](?!\s*=[^=])"""
    r"""|(?:environ\.get|getenv)\(\s*(?P<q2>['"])(?P<n2>[A-Za-z_][A-Za-z0-9_]*)(?P=q2)\s*\))"""
)
_SIDE_WORDS = frozenset({"REPO", "REPOSITORY", "SIDE", "TARGET", "IMPL", "IMPLEMENTATION", "SOLUTION", "VARIANT"})
_PATH_WORDS = frozenset({"PATH", "DIR", "ROOT", "FOLDER"})
_NOT_SIDE_WORDS = frozenset({"URL", "URI", "HOST", "PORT", "TOKEN", "KEY", "USER", "PASSWORD"})
_SIDE_WORD = re.compile(r"""(['"])(?:before|after)\1""")
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
    how: str = "read at "  # "set by " for a compose service, "read without a default at " for a guess by name

    @property
    def item(self) -> str:
        """Return the ``NAME=TEMPLATE`` form ``render_env`` takes."""
        return f"{self.name}={self.template}"

    @property
    def origin(self) -> str:
        """Return where the guess came from, for the header: ``read at tests/conftest.py:11``."""
        return self.how + self.where

    @property
    def from_compose(self) -> bool:
        """Return True when the task's compose file sets the variable (stronger than gtguard's default)."""
        return self.how == _COMPOSE

    @property
    def by_name(self) -> bool:
        """Return True when only the variable's name suggested its spelling (read without a default)."""
        return self.how == _BY_NAME


@dataclass(frozen=True)
class EnvRead:
    """A variable the tests read without a default (``os.environ["X"]``, ``os.getenv("X")``)."""

    name: str
    where: str


@dataclass(frozen=True)
class TaskConventions:
    """What the task's test sources say about how they pick a side."""

    env: tuple[EnvGuess, ...]
    names_before: bool  # some test source spells "repository_before"
    names_after: bool
    # Top-level modules the test sources import by bare name. Only the hard-coded-after rule reads it
    # (``needs_imports``), so only such a task pays for parsing its tests (80-95% of a scan): else empty.
    imported: frozenset[str] = frozenset()
    bare_reads: tuple[EnvRead, ...] = ()  # read without a default: the header names those gtguard leaves unset

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


def side_template(value: str, side: str) -> str | None:
    """Return the template that gives ``value`` for ``side`` ("before"/"after"), or None if it names no side.

    ``repository_before`` -> ``{rel}``, ``/app/repository_before/src`` -> ``{path}/src``, ``before`` ->
    ``{side}``, ``BEFORE`` -> ``{SIDE}``; a path list or a value naming no side folder gives None.
    """
    text = value.strip()
    if text == side:
        return "{side}"
    if text == side.upper():
        return "{SIDE}"
    folder = f"repository_{side}"
    at = text.find(folder)
    if at < 0 or any(c in text for c in ":{}$ "):
        return None
    prefix, suffix = text[:at], text[at + len(folder) :].rstrip("/")
    if suffix and not suffix.startswith("/"):
        return None
    if prefix in ("", "./"):
        return "{rel}" + suffix
    return "{path}" + suffix if prefix.startswith("/") and prefix.endswith("/") else None


def scan_conventions(task: Task) -> TaskConventions:
    """Scan the task's compose file and test sources (task-root ``*.py``, ``tests/``, ``test/``) for conventions.

    Precedence among the guesses: the compose file's before/after services, then a side-naming default
    in the tests, then a variable read without a default whose name says it picks a side.
    """
    found: dict[str, EnvGuess] = {guess.name: guess for guess in _compose_guesses(task)}
    names_before = names_after = False
    texts: list[str] = []
    bare: dict[str, tuple[EnvRead, str]] = {}
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
        for match in _BARE_READ.finditer(text):
            name = match["n1"] or match["n2"]
            if name not in bare:
                line = text.count("\n", 0, match.start()) + 1
                bare[name] = (EnvRead(name, f"{path.relative_to(task.root).as_posix()}:{line}"), text)
    for name, (read, text) in bare.items():
        template = _template_by_name(name, text)
        if template is not None and name not in found and name not in _RESERVED and not name.startswith("GTGUARD_"):
            found[name] = EnvGuess(name, template, read.where, _BY_NAME)
    conventions = TaskConventions(
        tuple(found.values()), names_before, names_after, bare_reads=tuple(read for read, _ in bare.values())
    )
    if conventions.needs_imports:
        imported = frozenset(name for text in texts for name in _bare_imports(text))
        conventions = replace(conventions, imported=imported)
    return conventions


def _compose_guesses(task: Task) -> list[EnvGuess]:
    """Return a guess for each variable the compose file sets to a side's name for the before/after services."""
    from pytest_gtguard.side.compose import read_compose_env

    sides = {found.side: found for found in sorted(read_compose_env(task.root), key=lambda f: f.side != "before")}
    names = [name for found in sides.values() for name in found.env]
    guesses: dict[str, EnvGuess] = {}
    for name in names:
        if name in guesses or name in _RESERVED or name.startswith("GTGUARD_"):
            continue
        templates = {side: side_template(found.env[name], side) for side, found in sides.items() if name in found.env}
        template = templates.get("before") or templates.get("after")
        if template is not None:
            where = next(found.where[name] for found in sides.values() if name in found.env)
            guesses[name] = EnvGuess(name, template, where, _COMPOSE)
    return list(guesses.values())


def _template_by_name(name: str, text: str) -> str | None:
    """Guess the spelling of a side variable read without a default from its name and the file reading it.

    ``TARGET_REPOSITORY`` -> ``{rel}``, ``TEST_REPO_PATH`` -> ``{path}``, ``IMPL`` in a file comparing
    with ``"before"`` -> ``{side}``; a name that says nothing about sides (``DB_HOST``) gives None.
    """
    words = set(name.upper().split("_"))
    if not words & _SIDE_WORDS or words & _NOT_SIDE_WORDS:
        return None
    if words & _PATH_WORDS:
        return "{path}"
    if AFTER_DIR not in text and BEFORE_DIR not in text and _SIDE_WORD.search(text):
        return "{side}"
    return "{rel}"


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
