"""Decide what activating a side sets up: environment variables, the repository_after alias, header notes.

Pure: settings and the task's scanned conventions in, a ``SidePlan`` out; the pytest glue applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.side.conventions import TaskConventions
from pytest_gtguard.side.imports import top_level_names
from pytest_gtguard.side.task import AFTER_DIR, BEFORE_DIR, Side, SideKind, render_env

__all__ = ["SidePlan", "plan_side"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_DETECTED = "read at "


@dataclass(frozen=True)
class SidePlan:
    """What a single-side run sets up before conftests are imported."""

    env: dict[str, str]
    sources: dict[str, str]  # variable -> where its template came from
    alias: str | None  # package name that resolves to the side under test
    notes: tuple[str, ...]  # extra header lines


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
) -> SidePlan:
    """Return the environment, alias and header notes for running against ``side``.

    Raises:
        ConfigError: a template is malformed or ``alias_mode`` is not auto/true/false.
    """
    items = list(templates)
    sources = dict.fromkeys((item.partition("=")[0] for item in items), templates_where)
    if detect:
        for guess in conventions.env:
            if guess.name not in sources:  # an explicit gtguard_env item wins over a guess
                items.append(guess.item)
                sources[guess.name] = _DETECTED + guess.where
    env = render_env(items, side, where=templates_where)
    notes: list[str] = []
    detected = [f"{name}={env[name]} ({src})" for name, src in sources.items() if src.startswith(_DETECTED)]
    if detected:
        notes.append("gtguard: env detected from the tests: " + ", ".join(detected))
    alias = _alias_for(side, conventions, alias_name, alias_mode, alias_mode_where)
    if alias is not None and side.kind is SideKind.BEFORE:
        notes.append(
            f"gtguard: import {alias} loads {BEFORE_DIR} (the tests name {AFTER_DIR} but never "
            f"{BEFORE_DIR}; set gtguard_alias_before = false to turn this off)"
        )
    elif alias is not None and side.kind is SideKind.CANDIDATE:
        notes.append(f"gtguard: import {alias} loads the candidate (gtguard_repo_alias)")
    return SidePlan(env, sources, alias, tuple(notes))


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
