"""The ``Option`` record and its ``Kind``: a leaf module, so feature option tables never import ``settings``.

``settings`` gathers every feature's table into ``ALL_OPTIONS``; if the tables imported ``settings`` for
these two names, importing a feature's ``options`` module first would be a circular import.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["Kind", "Option"]


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
    """One setting, reachable from the command line, an environment variable and/or an ini key."""

    dest: str
    help: str
    kind: Kind = Kind.TEXT
    flags: tuple[str, ...] = ()
    env: str | None = None
    ini: str | None = None
    default: Any = None
    metavar: str | None = None
    append: bool = False
