"""Decide what activating a side sets up: environment variables, the repository_after alias, header notes.

Pure: settings and the task's scanned conventions in, a ``SidePlan`` out; the pytest glue applies it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.side.conventions import TaskConventions
from pytest_gtguard.side.imports import top_level_names
from pytest_gtguard.side.task import AFTER_DIR, BEFORE_DIR, Side, SideKind, render_env

__all__ = ["SidePlan", "other_side_message", "plan_side"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_DEFAULT = "default"  # settings' provenance of an option nobody set
_WELL_KNOWN = frozenset(
    {"CI", "HOME", "PATH", "PWD", "USER", "SHELL", "TERM", "TMPDIR", "TEMP", "TMP", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
)


@dataclass(frozen=True)
class SidePlan:
    """What a single-side run sets up before conftests are imported."""

    env: dict[str, str]
    sources: dict[str, str]  # variable -> where its template came from
    alias: str | None  # package name that resolves to the side under test
    notes: tuple[str, ...]  # extra header lines
    unset: tuple[str, ...] = ()  # "NAME (tests/conftest.py:4)": read without a default, set by nobody
    guessed: tuple[str, ...] = ()  # variables whose spelling gtguard guessed from their name alone
    watch: bool = False  # the tests name a side folder: watch whether the run executes the other side's code


def plan_side(
    side: Side,
    *,
    conventions: TaskConventions,
    templates: Sequence[str],
    templates_where: str,
    detect: bool,
    alias_name: str,
    alias_mode: str,
    alias_mode_where: str,
    named: Sequence[Path] = (),
) -> SidePlan:
    """Return the environment, alias and header notes for running against ``side``.

    ``named`` are the test paths on the command line: a test file named inside the folder the alias
    stands for (a testing task's ``repository_after/test_x.py`` under ``--before``) must be collected
    under its real name, so the alias is off for that run.

    Raises:
        ConfigError: a template is malformed or ``alias_mode`` is not auto/true/false.
    """
    items = list(templates)
    sources = dict.fromkeys((item.partition("=")[0] for item in items), templates_where)
    detected: set[str] = set()
    by_name: set[str] = set()
    if detect:
        for guess in conventions.env:
            # An explicit gtguard_env item wins over a guess; the compose file's value wins over the default.
            if guess.name in sources and not (guess.from_compose and templates_where == _DEFAULT):
                continue
            if guess.name in sources:
                items = [item for item in items if item.partition("=")[0] != guess.name]
            items.append(guess.item)
            sources[guess.name] = guess.origin
            detected.add(guess.name)
            if guess.by_name:
                by_name.add(guess.name)
    env = render_env(items, side, where=templates_where)
    notes: list[str] = []
    if detected:
        shown = [f"{name}={env[name]} ({src})" for name, src in sources.items() if name in detected]
        notes.append("gtguard: env detected from the tests: " + ", ".join(shown))
    unset = tuple(
        f"{read.name} ({read.where})"
        for read in conventions.bare_reads
        if read.name not in env and read.name not in os.environ and not _well_known(read.name)
    )
    if unset:
        notes.append(
            "gtguard: the tests read without a default, and nothing sets: "
            + ", ".join(unset)
            + "; set them with gtguard_env = NAME=TEMPLATE if they pick a side"
        )
    guessed = tuple(sorted(by_name))
    alias = _alias_for(side, conventions, alias_name, alias_mode, alias_mode_where)
    inside = _named_inside(side, alias, named)
    if inside is not None:
        alias = None
        notes.append(
            f"gtguard: import {alias_name} loads {AFTER_DIR} itself in this run: {inside} is a test file in it, "
            "collected under its real name"
        )
    if alias is not None and side.kind is SideKind.BEFORE:
        notes.append(
            f"gtguard: import {alias} loads {BEFORE_DIR} (the tests name {AFTER_DIR} but never "
            f"{BEFORE_DIR}; set gtguard_alias_before = false to turn this off)"
        )
    elif alias is not None and side.kind is SideKind.CANDIDATE:
        notes.append(f"gtguard: import {alias} loads the candidate (gtguard_repo_alias)")
    watch = conventions.names_before or conventions.names_after
    return SidePlan(env, sources, alias, tuple(notes), unset, guessed, watch)


def other_side_message(
    side: Side, reached: Iterable[str], plan: SidePlan, modules: Mapping[str, object] | None = None
) -> str | None:
    """Return the line that says a run executed the other side's code, with the likeliest cause, or None.

    ``reached`` are the side folders the run loaded or opened files in (``split.trace.ReachWatcher``'s
    labels, ``before``/``after``); loading by file path (``importlib.util.spec_from_file_location``)
    bypasses the import finder, so only that watcher sees it. A run that imported the other side's
    package by name (``from repository_after import x``, found in ``modules``) did so on purpose: the
    split judges those tests one by one, so no line here.
    """
    if side.kind is SideKind.CANDIDATE or side.task is None:
        return None
    other = "after" if side.kind is SideKind.BEFORE else "before"
    if other not in set(reached):
        return None
    folder = AFTER_DIR if other == "after" else BEFORE_DIR
    package = (modules if modules is not None else sys.modules).get(folder)
    other_dir = str(side.task.after_dir if other == "after" else side.task.before_dir)
    if package is not None and any(str(p).startswith(other_dir) for p in getattr(package, "__path__", None) or ()):
        return None
    text = (
        f"gtguard: this --{side.kind.value} run executed code from {folder}/ (loaded by file path, past the import "
        f"finder), so its results describe the {other} side"
    )
    if plan.unset:
        return (
            text
            + f"; the tests read {', '.join(plan.unset)} without a default and nothing set it: "
            + ("set it for the side with gtguard_env = NAME={rel} (or {path}, {side})")
        )
    if plan.guessed:
        shown = ", ".join(f"{name}={plan.env[name]}" for name in plan.guessed)
        return text + f"; gtguard guessed {shown} from the name alone: set the right spelling with gtguard_env"
    return text + f"; check how the tests build the path to {folder}/"


def _well_known(name: str) -> bool:
    return name in _WELL_KNOWN or name.startswith(("GTGUARD_", "PYTEST_", "GITHUB_", "RUNNER_", "LC_"))


def _named_inside(side: Side, alias: str | None, named: Sequence[Path]) -> str | None:
    """Return the first named path inside the real folder the before-side alias hides, or None."""
    if alias != AFTER_DIR or side.kind is not SideKind.BEFORE or side.task is None:
        return None
    folder = side.task.after_dir.resolve()
    for path in named:
        real = path.resolve()
        if real == folder or folder in real.parents:
            return real.relative_to(side.task.root.resolve()).as_posix()
    return None


def _alias_for(side: Side, conventions: TaskConventions, name: str, mode: str, where: str) -> str | None:
    if not name:
        return None
    if side.kind is SideKind.CANDIDATE:
        return name
    if side.kind is SideKind.AFTER:
        return None  # repository_after is the real folder already
    text = mode.strip().lower()
    if text in _TRUE:
        return name
    if text in _FALSE:
        return None
    if text not in ("auto", ""):
        raise ConfigError(f"{where}: gtguard_alias_before must be auto, true or false, got {mode!r}")
    # Hard-coded-after tasks (survey §2: 58 tasks) import repository_after whatever the side. A task that
    # names repository_before anywhere, or imports a side module by bare name (a PYTHONPATH swap), picks
    # sides itself: its explicit repository_after imports are deliberate references, left alone.
    if not conventions.needs_imports:
        return None
    side_modules = top_level_names(side.task.after_dir) if side.task else frozenset()
    return None if conventions.imported & side_modules else name
