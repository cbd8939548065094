"""The ``Option`` record and its ``Kind``: a leaf module, so feature option tables never import ``settings``.

``settings`` gathers every feature's table into ``ALL_OPTIONS``; if the tables imported ``settings`` for
these two names, importing a feature's ``options`` module first would be a circular import.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["Kind", "Option", "old_dest"]


class Kind(enum.Enum):
    """How an option's raw text is parsed."""

    FLAG = "flag"
    TEXT = "text"
    PATH = "path"
    INT = "int"
    FLOAT = "float"
    ARGS = "args"  # whitespace-separated, shell-quoted list


@dataclass(frozen=True)
class Option:
    """One setting, reachable from the command line, an environment variable and/or an ini key.

    The naming rule: every command-line option is ``--gtguard-NAME`` and its ini key ``gtguard_NAME`` (the
    same NAME), every environment variable ``GTGUARD_NAME``; ``--before``, ``--after``, ``--repo`` and
    ``--meta`` are the only short forms. tests/test_command_surface.py checks the whole table against it.
    """

    dest: str
    help: str
    kind: Kind = Kind.TEXT
    flags: tuple[str, ...] = ()
    env: str | None = None
    ini: str | None = None
    default: Any = None
    metavar: str | None = None
    append: bool = False
    # Plumbing between gtguard's own processes (the split hands it to each run): accepted on the command
    # line, but listed neither in `pytest --help` nor in docs/configuration.md.
    hidden: bool = False
    # Old command-line spellings, accepted for one release with a GtguardDeprecationWarning naming flags[0].
    deprecated: tuple[str, ...] = ()


def old_dest(opt: Option) -> str:
    """Return the parser destination of ``opt``'s deprecated spellings (kept apart to know which was used)."""
    return f"{opt.dest}__deprecated"
