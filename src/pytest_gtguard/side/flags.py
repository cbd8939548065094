"""Yield gtguard's short flags (``--repo``, ``--before``, ``--after``) to a task that declares them itself.

Survey §2: 9 tasks add their own ``--repo before|after`` in a conftest. If gtguard registered ``--repo``
as well, argparse would abort every run of such a task with "conflicting option string", whether or
not gtguard is used. Kept tiny and regex-light: it runs at the start of every pytest run.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pytest_gtguard.settings import ALL_OPTIONS, Option

__all__ = ["SHORT_FLAGS", "claimed_flags", "conftest_texts", "declared_options", "named_folders", "named_paths"]

_MAX_BYTES = 512 * 1024
SHORT_FLAGS = frozenset(f for opt in ALL_OPTIONS for f in opt.flags if not f.startswith("--gtguard-"))


def declared_options(
    start: Path, argv: Sequence[str] = (), options: Sequence[Option] = ALL_OPTIONS
) -> tuple[Option, ...]:
    """Return ``options`` minus the short flags that a conftest pytest will load declares itself.

    Conftests are looked for from ``start`` (the invocation directory) and from the existing paths in
    ``argv`` (pytest does not pass its arguments to ``pytest_addoption``). The namespaced spelling
    (``--gtguard-repo``) always stays, so the feature remains reachable.
    """
    short = {f for opt in options for f in (*opt.flags, *opt.deprecated) if not f.startswith("--gtguard-")}
    starts = {start, *named_folders(argv)}
    claimed = frozenset().union(*(claimed_flags(folder.resolve(), short) for folder in starts))
    if not claimed:
        return tuple(options)
    return tuple(
        replace(
            opt,
            flags=tuple(f for f in opt.flags if f not in claimed),
            deprecated=tuple(f for f in opt.deprecated if f not in claimed),
        )
        for opt in options
    )


def named_paths(argv: Sequence[str]) -> list[Path]:
    """Return the existing paths among ``argv`` (the test paths named on the command line)."""
    return [Path(a.split("::")[0]) for a in argv if not a.startswith("-") and Path(a.split("::")[0]).exists()]


def named_folders(argv: Sequence[str]) -> list[Path]:
    """Return the folders of the existing paths among ``argv`` (a file's parent folder)."""
    return [path if path.is_dir() else path.parent for path in named_paths(argv)]


def conftest_texts(start: Path) -> Iterator[tuple[Path, str]]:
    """Yield the path and text of each conftest pytest loads first from ``start``.

    The conftests looked at are those in ``start``, in its parents and in its ``test*`` subfolders.
    """
    folders = [start, *start.parents]
    with contextlib.suppress(OSError):
        folders.extend(p for p in start.iterdir() if p.name.startswith("test") and p.is_dir())
    for folder in folders:
        conftest = folder / "conftest.py"
        try:
            if not conftest.is_file() or conftest.stat().st_size > _MAX_BYTES:
                continue
            text = conftest.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        yield conftest, text


def claimed_flags(start: Path, flags: Iterable[str]) -> frozenset[str]:
    """Return the ``flags`` that a conftest pytest loads first from ``start`` declares itself."""
    wanted = frozenset(flags)
    found: set[str] = set()
    for _, text in conftest_texts(start):
        if "addoption" not in text:
            continue
        for match in re.finditer(r"addoption\((?P<args>(?:[^()]|\([^()]*\))*)\)", text):
            found.update(f for f in wanted if f'"{f}"' in match["args"] or f"'{f}'" in match["args"])
    return frozenset(found)
