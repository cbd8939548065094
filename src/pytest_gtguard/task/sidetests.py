"""Tasks whose own commands run different tests per side (``tests/test_before.py`` / ``tests/test_after.py``).

Some tasks keep one test file per side, each importing its side by path, and their compose services
run ``pytest tests/test_before.py`` for before and ``pytest tests/test_after.py`` for after. gtguard's
side selection runs every collected test against the chosen side, so a split of such a task mixes two
suites that were each written for one side, and its counts differ from the task's own commands with no
word why (docs/real-tasks.md: c652c4, o8tnbe). This module finds that shape from the commands the task
already shows (``task.commands``), so ``gtguard validate`` and the split can name it with the commands
that reproduce the task's own counts. Pure: reads files, imports no pytest.

Only disjoint paths count: a before command that runs a subset of the after command's tests (one file
of a folder) is a narrower check of the same suite, not a suite per side.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pytest_gtguard.task.category import is_test_file
from pytest_gtguard.task.commands import Command, find_commands
from pytest_gtguard.task.findings import Finding, Severity

__all__ = ["SideTests", "check_side_tests", "side_tests"]

_MOUNTS = ("/app/", "/workspace/", "/code/", "/src/")  # where compose files bind the task in the container


@dataclass(frozen=True)
class SideTests:
    """The test paths each side's own command runs, and where those commands are."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    where: tuple[str, ...]  # "docker-compose.yml:17", one per command read

    def collects(self, nodeid: str) -> str | None:
        """Return "before" or "after" when ``nodeid`` lies under that side's paths, else None."""
        path = nodeid.split("::", 1)[0]
        for side, paths in (("before", self.before), ("after", self.after)):
            if any(path == p or path.startswith(p.rstrip("/") + "/") for p in paths):
                return side
        return None

    def describe(self) -> str:
        """Return ``before: tests/test_before.py; after: tests/test_after.py``."""
        return f"before: {', '.join(self.before)}; after: {', '.join(self.after)}"

    def commands(self) -> str:
        """Return the two pytest commands that run each side's own tests."""
        return f"`pytest --before {' '.join(self.before)}` and `pytest --after {' '.join(self.after)}`"


def side_tests(root: Path) -> SideTests | None:
    """Return the per-side test paths of the task at ``root``, or None when both sides run the same tests."""
    found: dict[str, dict[str, None]] = {"before": {}, "after": {}}
    where: dict[str, None] = {}
    for command in find_commands(root):
        side = _side(command)
        if side is None:
            continue
        paths = _test_paths(root, command.text)
        if paths:
            found[side].update(dict.fromkeys(paths))
            where[f"{command.file}:{command.line}"] = None
    before, after = tuple(found["before"]), tuple(found["after"])
    if not before or not after or any(_overlap(b, a) for b in before for a in after):
        return None
    return SideTests(before, after, tuple(where))


def check_side_tests(root: Path) -> Iterator[Finding]:
    """Yield GT006 when the task's before and after commands run different tests."""
    found = side_tests(root)
    if found is None:
        return
    file, _, line = found.where[0].rpartition(":")
    yield Finding(
        "GT006",
        Severity.WARNING,
        file,
        f"the before and after commands run different tests ({found.describe()}): FAIL_TO_PASS and "
        "PASS_TO_PASS name tests that run on both sides, and gtguard runs every collected test on the side "
        "it is given",
        f"run the same tests on both sides, each test importing the code under test by its bare name; until "
        f"then, the task's own counts are {found.commands()}",
        int(line),
    )


def _side(command: Command) -> str | None:
    """Return the side a command names (in itself, its service, target or heading); a default is no side."""
    if not command.named:
        return None
    if command.roles == frozenset({"before"}):
        return "before"
    if command.roles == frozenset({"after"}):
        return "after"
    return None


def _test_paths(root: Path, text: str) -> list[str]:
    """Return the task-relative test files and test folders a command names (``tests/test_x.py::T`` too)."""
    try:
        tokens = shlex.split(text)
    except ValueError:  # an unbalanced quote in a README line: the words are enough
        tokens = text.split()
    paths = []
    for token in tokens:
        word = token.strip("[]\"',").split("::", 1)[0]
        for mount in _MOUNTS:
            if word.startswith(mount):
                word = word[len(mount) :]
        if not word or word.startswith(("-", "/")) or "=" in word:
            continue
        path = PurePosixPath(word)
        if not path.parts or ".." in path.parts or path.parts[0].startswith("repository_"):
            continue
        relative = path.as_posix()
        target = root / relative
        if (target.is_file() and is_test_file(path.name)) or (target.is_dir() and "test" in path.name.lower()):
            paths.append(relative)
    return paths


def _overlap(one: str, other: str) -> bool:
    a, b = one.rstrip("/") + "/", other.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)
