"""The ``TASK_DIR`` positional every ``gtguard`` subcommand shares: one spelling, ``$GTGUARD_TASK`` when omitted.

Pure: argparse and paths only, so the CLI and the subcommand modules (split, grade) declare it alike.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_gtguard.errors import ConfigError

__all__ = ["TASK_ENV", "add_task_dir", "grade_paths", "is_task_folder", "task_dir", "where"]

TASK_ENV = "GTGUARD_TASK"  # the environment variable of --gtguard-task (settings.CORE_OPTIONS)
_HELP = "Task folder (holds repository_before/ and repository_after/); default: ${env}, else the current directory"


def add_task_dir(parser: argparse.ArgumentParser) -> None:
    """Add the optional ``TASK_DIR`` positional (read by ``task_dir``)."""
    parser.add_argument("task", nargs="?", metavar="TASK_DIR", help=_HELP.format(env=TASK_ENV))


def task_dir(raw: str | os.PathLike[str] | None, environ: Mapping[str, str] = os.environ) -> Path:
    """Return the task folder: ``raw`` when given, else ``$GTGUARD_TASK``, else the current directory."""
    return Path(raw or environ.get(TASK_ENV, "") or ".").expanduser()


def where(raw: str | os.PathLike[str] | None, environ: Mapping[str, str] = os.environ) -> str:
    """Return where the task folder came from, for error messages."""
    if raw:
        return "TASK_DIR"
    return f"${TASK_ENV}" if environ.get(TASK_ENV, "") else "the current directory (no TASK_DIR given)"


def is_task_folder(path: Path) -> bool:
    """Return whether ``path`` holds repository_before/ or repository_after/ (a candidate holds neither)."""
    return (path / "repository_after").is_dir() or (path / "repository_before").is_dir()


def grade_paths(
    task: str | None, candidates: Sequence[str], environ: Mapping[str, str] = os.environ
) -> tuple[Path, list[str]]:
    """Split ``gtguard grade [TASK_DIR] CANDIDATE ...`` into the task folder and the candidates.

    With ``$GTGUARD_TASK`` set, a first path that is no task folder is a candidate too. One path alone is a
    candidate, unless it is a task folder (then the candidates are missing).

    Raises:
        ConfigError: the only path given is a task folder.
    """
    if task is not None and environ.get(TASK_ENV, "") and not is_task_folder(Path(task)):
        return task_dir(None, environ), [task, *candidates]
    if task is None and len(candidates) == 1 and is_task_folder(Path(candidates[0])):
        raise ConfigError(
            f"{candidates[0]} is a task folder, and no CANDIDATE follows it; "
            f"pass gtguard grade {candidates[0]} CANDIDATE [CANDIDATE ...]"
        )
    return task_dir(task, environ), list(candidates)
