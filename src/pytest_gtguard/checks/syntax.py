"""``python_syntax("3.9")``: every file of the code under test must parse at that language level.

Uses ``ast.parse(feature_version=...)``, CPython's own best-effort down-level parser: it rejects
``match`` before 3.10, ``except*`` before 3.11, walrus before 3.8, and so on. It does not catch
version-specific library calls or runtime-only syntax such as ``int | None`` in evaluated annotations.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from pytest_gtguard.checks.scope import Finding, Scope
from pytest_gtguard.errors import InvalidMarker

__all__ = ["CHECK", "parse_version", "syntax_findings"]

CHECK = "python_syntax"
_VERSION = re.compile(r"3\.(\d+)\Z")
_OLDEST_MINOR = 4
_BLOCK_ERRORS = (
    ("Pattern matching", "Match"),
    ("Exception groups", "TryStar"),
)  # ast.parse accepts feature_version (3, 4) and later


def parse_version(raw: object, *, where: str) -> tuple[int, int]:
    """Return ``(3, minor)`` for text such as ``"3.9"``; raise InvalidMarker naming ``where``."""
    match = _VERSION.match(str(raw).strip())
    newest = sys.version_info[1]
    if match is None or not _OLDEST_MINOR <= int(match.group(1)) <= newest:
        raise InvalidMarker(
            f"{where}: python_syntax version {raw!r} is not one this interpreter can check; "
            f"give a string from '3.{_OLDEST_MINOR}' to '3.{newest}', e.g. python_syntax(\"3.9\")"
        )
    return (3, int(match.group(1)))


def syntax_findings(files: Iterable[Path], version: tuple[int, int], scope: Scope) -> list[Finding]:
    """Return one finding per file that does not parse at ``version`` (with the parser's line)."""
    label = f"{version[0]}.{version[1]}"
    out: list[Finding] = []
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            out.append(Finding(CHECK, label, "read", scope.relative(str(path)), 0, f"unreadable: {exc}"))
            continue
        try:
            ast.parse(source, filename=str(path), feature_version=version)
        except SyntaxError as exc:
            line = _statement_line(source, exc)
            out.append(Finding(CHECK, label, "parse", scope.relative(str(path)), line, exc.msg))
    return out


def _statement_line(source: str, exc: SyntaxError) -> int:
    """Return the line a reader should look at: CPython reports ``match``/``except*`` at the block's end."""
    line = exc.lineno or 0
    kind = next((name for text, name in _BLOCK_ERRORS if text in exc.msg), None)
    if kind is None:
        return line
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return line
    starts = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and type(node).__name__ == kind and node.lineno <= line
    ]
    return max(starts, default=line)
