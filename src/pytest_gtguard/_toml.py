"""Parse TOML on every supported Python: tomllib on 3.11+, tomli (which pytest itself requires) on 3.10."""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib as _impl
else:  # pragma: no cover - exercised by the Python 3.10 job
    import tomli as _impl

__all__ = ["loads"]


def loads(text: str) -> dict[str, Any] | None:
    """Return the parsed document, or None when ``text`` is not valid TOML."""
    try:
        document: dict[str, Any] = _impl.loads(text)
    except _impl.TOMLDecodeError:
        return None
    return document
