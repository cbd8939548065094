"""Forbidden calls: ``sorted``, ``eval``, ``list.sort``, ``json.dumps``…, found statically and at run time.

Static: resolved call names from the AST index (aliases followed, shadowed builtins ignored); a
method such as ``list.sort`` is matched statically only where the receiver is visibly a list (a list
display, comprehension or ``list(...)``/``sorted(...)`` result), because ``x.sort()`` may be another
type's method. Runtime: the profile tracer matches the callee object itself, so ``xs.sort()`` on any
list, aliases and ``getattr`` tricks are seen in the tests that run them.
"""

from __future__ import annotations

import builtins
import inspect
import sys
from collections.abc import Sequence

from pytest_gtguard.checks.scope import Finding, Scope
from pytest_gtguard.checks.static import CallSite
from pytest_gtguard.checks.tracer import CallEvent, Targets

__all__ = ["CHECK", "call_targets", "runtime_call_findings", "static_call_findings"]

CHECK = "forbid_calls"


def _canonical(name: str) -> str:
    return name.removeprefix("builtins.")


def static_call_findings(
    sites: Sequence[tuple[str, CallSite]], forbidden: Sequence[str], scope: Scope
) -> list[Finding]:
    """Return a finding for each ``(filename, site)`` whose resolved name is forbidden."""
    wanted = {_canonical(n): n for n in forbidden}
    out: list[Finding] = []
    for filename, site in sites:
        name = wanted.get(_canonical(site.name))
        if name is not None:
            out.append(Finding(CHECK, name, site.route, scope.relative(filename), site.line))
    return out


def call_targets(forbidden: Sequence[str], targets: Targets | None = None) -> tuple[Targets, list[str]]:
    """Return tracer targets for ``forbidden`` and the names that could not be resolved (static only).

    Nothing is imported: a dotted name resolves only if its module is already loaded, since a
    forbidden module must not be imported on the code's behalf.
    """
    targets = targets if targets is not None else Targets()
    unresolved: list[str] = []
    for name in forbidden:
        canonical = _canonical(name)
        owner, attr, obj = _lookup(canonical)
        targets.direct.add(name)  # a forbidden call is one the code under test makes itself
        if obj is None:
            unresolved.append(name)
        elif owner is not None and isinstance(owner, type) and inspect.ismethoddescriptor(obj):
            targets.methods[(owner, attr)] = name  # list.sort: any list's bound sort
        else:
            targets.add_object(obj, name)
    return targets, unresolved


def _lookup(dotted: str) -> tuple[object | None, str, object | None]:
    parts = dotted.split(".")
    if len(parts) == 1:
        return builtins, dotted, getattr(builtins, dotted, None)
    obj: object | None = None
    start = 0
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            obj, start = module, i
            break
    if obj is None:
        obj, start = getattr(builtins, parts[0], None), 1  # list.sort, str.join, dict.keys
        if obj is None:
            return None, parts[-1], None
    owner: object | None = None
    for attr in parts[start:]:
        owner, obj = (
            obj,
            inspect.getattr_static(obj, attr, None) if isinstance(obj, type) else getattr(obj, attr, None),
        )
        if obj is None:
            return None, attr, None
    if isinstance(obj, (classmethod, staticmethod)):
        obj = getattr(owner, parts[-1])
    return owner, parts[-1], obj


def runtime_call_findings(
    events: Sequence[CallEvent], forbidden: Sequence[str], scope: Scope
) -> list[Finding]:
    """Return findings for traced calls whose label is a forbidden name."""
    wanted = set(forbidden)
    return [
        Finding(CHECK, event.label, "call (runtime)", scope.relative(event.file), event.line)
        for event in events
        if event.label in wanted
    ]
