"""Hand the side under test to a task's own side option (``--repo before|after`` declared in its conftest).

Survey §2: tasks that declare ``--repo`` themselves pick the side folder by its value in a fixture
(``from repository_before.m import f`` when it says ``before``). gtguard yields the flag to them
(side/flags.py), so unless gtguard also sets it, ``pytest --before`` runs with the option's default and
tests the other side. Other tasks spell the option otherwise (``--side``, ``--impl``), with the same effect.
An option qualifies when its ``choices`` hold both side names (``before``/``after`` or
``repository_before``/``repository_after``), or, with no choices, when its ``default`` is a side name and its
flag is one gtguard yields or names a side (``--side``, ``--impl``, ``--target``, ...): a default alone is
weaker evidence. Pure: reads conftests, imports no pytest.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.side.flags import conftest_texts
from pytest_gtguard.side.task import AFTER_DIR, BEFORE_DIR, SideKind

__all__ = ["SideOption", "hand_side", "side_options"]

_SHORT = {"before": "before", "after": "after"}
_LONG = {"before": BEFORE_DIR, "after": AFTER_DIR}
# Words of a flag that names what a default of "after" picks: the side, the repository, the implementation.
_SIDE_WORDS = frozenset(
    {"side", "repo", "repository", "impl", "implementation", "target", "variant", "version", "which"}
)


@dataclass(frozen=True)
class SideOption:
    """A task-declared option that picks a side: its flag, its ``config.option`` name and its spelling."""

    flag: str  # "--repo"
    dest: str  # "repo"
    long_names: bool  # the option spells sides repository_before/repository_after

    def value(self, kind: SideKind) -> str | None:
        """Return the option's value for ``kind``, or None for a candidate (no side name fits it)."""
        if kind is SideKind.CANDIDATE:
            return None
        return (_LONG if self.long_names else _SHORT)[kind.value]


def side_options(starts: Iterable[Path], flags: Iterable[str]) -> tuple[SideOption, ...]:
    """Return the side-picking options the conftests found from ``starts`` declare (``flags``: those gtguard yields)."""
    wanted = frozenset(flags)
    found: dict[str, SideOption] = {}
    seen: set[Path] = set()
    for start in starts:
        for path, text in conftest_texts(start):
            if path in seen or "addoption" not in text:
                continue
            seen.add(path)
            for opt in _declared(text, wanted):
                found.setdefault(opt.flag, opt)
    return tuple(found.values())


def _declared(text: str, wanted: frozenset[str]) -> list[SideOption]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    out: list[SideOption] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "addoption"):
            continue
        names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        flag = next((n for n in names if n in wanted), None) or next((n for n in names if n.startswith("--")), None)
        if flag is None:
            continue
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        choices = set(_strings(keywords.get("choices")))
        default = set(_strings(keywords.get("default")))
        if not choices and flag not in wanted and not _SIDE_WORDS & set(flag.lstrip("-").replace("_", "-").split("-")):
            continue  # a default of "after" alone, on a flag that names no side: too weak to change it
        # Choices must hold both sides (the option can then take either); with no choices, the default says.
        long_names = set(_LONG.values()) <= choices if choices else bool(default) and default <= set(_LONG.values())
        short_names = set(_SHORT.values()) <= choices if choices else bool(default) and default <= set(_SHORT.values())
        if not (long_names or short_names):
            continue
        dest = _strings(keywords.get("dest"))
        long_flag = next((n for n in names if n.startswith("--")), flag)
        out.append(SideOption(flag, dest[0] if dest else long_flag.lstrip("-").replace("-", "_"), long_names))
    return out


def _strings(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def hand_side(
    namespace: object,
    *,
    starts: Iterable[Path],
    flags: Iterable[str],
    kind: SideKind,
    tokens: Sequence[str],
) -> list[str]:
    """Set each side option in ``namespace`` (``config.option``) to ``kind``'s side; return the header lines.

    ``starts`` are the folders conftests are looked for from; ``tokens`` what the user gave (ini
    ``addopts``, ``PYTEST_ADDOPTS``, the command line): an option given a value there keeps it. An
    option no loaded conftest declared (not in ``namespace``) is left alone.
    """
    lines: list[str] = []
    for opt in side_options(starts, flags):
        value = opt.value(kind)
        if value is None or not hasattr(namespace, opt.dest):
            continue
        if any(token == opt.flag or token.startswith(opt.flag + "=") for token in tokens):
            current = getattr(namespace, opt.dest)
            if current != value:
                lines.append(f"gtguard: task option {opt.flag}={current} as given (the side under test is {value})")
            continue
        setattr(namespace, opt.dest, value)
        lines.append(f"gtguard: task option {opt.flag}={value}")
    return lines
