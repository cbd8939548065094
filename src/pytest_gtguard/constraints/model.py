"""The data of prompt-to-test mapping: constraints found in a problem statement and the tests that check them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = ["KINDS", "Constraint", "ConstraintCheck", "Kind", "Mapping"]

Kind = Literal[
    "time_complexity",
    "space_complexity",
    "time_limit",
    "memory_limit",
    "forbid_import",
    "forbid_call",
    "no_new_dependencies",
    "python_version",
    "signature",
    "thread_safety",
]
KINDS: tuple[Kind, ...] = get_args(Kind)  # in the order above, kept in one place


@dataclass(frozen=True)
class Constraint:
    """One checkable rule of a problem statement.

    ``value`` is canonical so that two statements of the same rule compare equal: ``"O(n log n)"`` for a
    complexity, ``"ms=200,n=1000000"`` for a time limit (``n`` only when the statement gives a size),
    ``"mb=512"`` for a memory limit, the module or call name for ``forbid_*``, ``"3.9"`` for a Python version,
    the function's name (or ``""``: the public API) for a signature, and ``""`` for the other kinds.
    ``text`` is the phrase of the statement it was read from.
    """

    kind: Kind
    value: str = ""
    text: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Return what identifies the rule, without the phrase it came from."""
        return (self.kind, self.value)

    def describe(self) -> str:
        """Return a short human label, e.g. ``time limit 200 ms at n=1000000``."""
        label = self.kind.replace("_", " ")
        if self.kind == "time_limit":
            parts = dict(p.split("=", 1) for p in self.value.split(","))
            at = f" at n={parts['n']}" if "n" in parts else ""
            return f"{label} {parts.get('ms', '?')} ms{at}"
        if self.kind == "memory_limit":
            return f"{label} {self.value.removeprefix('mb=')} MB"
        if self.kind == "signature":
            return f"unchanged signature of {self.value}" if self.value else "unchanged public API"
        return f"{label} {self.value}".rstrip()

    def number(self, name: str) -> float | None:
        """Return the ``name=`` part of a ``ms=..,n=..``/``mb=..`` value, or None."""
        for part in self.value.split(","):
            key, _, number = part.partition("=")
            if key == name:
                return float(number)
        return None


@dataclass(frozen=True)
class ConstraintCheck:
    """A constraint and the tests that check it; ``suggestion`` says how to check it when ``tests`` is empty."""

    constraint: Constraint
    tests: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    suggestion: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mapped(self) -> bool:
        """Return whether at least one test checks the constraint."""
        return bool(self.tests)


@dataclass(frozen=True)
class Mapping:
    """Every constraint of a statement, each with its tests or with the marker that would check it."""

    checks: tuple[ConstraintCheck, ...]

    @property
    def unmapped(self) -> tuple[ConstraintCheck, ...]:
        """Return the constraints no test checks."""
        return tuple(c for c in self.checks if not c.mapped)

    def to_json(self) -> list[dict[str, object]]:
        """Return the mapping as JSON-able data (one object per constraint)."""
        return [
            {
                "kind": c.constraint.kind,
                "value": c.constraint.value,
                "text": c.constraint.text,
                "tests": list(c.tests),
                "via": list(c.via),
                "suggestion": c.suggestion,
                "notes": list(c.notes),
            }
            for c in self.checks
        ]
