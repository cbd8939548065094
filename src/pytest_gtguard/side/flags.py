"""Yield gtguard's short flags (``--repo``, ``--before``, ``--after``) to a task that declares them itself.

Survey §2: 9 tasks add their own ``--repo before|after`` in a conftest. If gtguard registered ``--repo``
as well, argparse would abort every run of such a task with "conflicting option string", whether or
not gtguard is used. Kept tiny and regex-light: it runs at the start of every pytest run.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["claimed_flags"]

_MAX_BYTES = 512 * 1024


def claimed_flags(start: Path, flags: Iterable[str]) -> frozenset[str]:
    """Return the ``flags`` that a conftest pytest loads first from ``start`` declares itself.

    The conftests looked at are those in ``start``, in its parents and in its ``test*`` subfolders.
    """
    wanted = frozenset(flags)
    folders = [start, *start.parents]
    with contextlib.suppress(OSError):
        folders.extend(p for p in start.iterdir() if p.name.startswith("test") and p.is_dir())
    found: set[str] = set()
    for folder in folders:
        conftest = folder / "conftest.py"
        try:
            if not conftest.is_file() or conftest.stat().st_size > _MAX_BYTES:
                continue
            text = conftest.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "addoption" not in text:
            continue
        for match in re.finditer(r"addoption\((?P<args>(?:[^()]|\([^()]*\))*)\)", text):
            found.update(f for f in wanted if f'"{f}"' in match["args"] or f"'{f}'" in match["args"])
    return frozenset(found)
