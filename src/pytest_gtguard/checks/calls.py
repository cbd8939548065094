"""Forbidden calls: ``sorted``, ``eval``, ``list.sort``, ``json.dumps``…, found statically and at run time.

Static: resolved call names from the AST index (aliases followed, shadowed builtins ignored); a
method such as ``list.sort`` is matched statically only where the receiver is visibly a list (a list
display, comprehension or ``list(...)``/``sorted(...)`` result), because ``x.sort()`` may be another
type's method. Runtime, two ways, the cheap one where it is sound:

* a function reached through a module attribute (builtins such as ``sorted`` and ``eval``, or
  ``json.dumps``) is replaced by a thin wrapper for the test's duration, so only its own calls cost
  anything; ``eval``/``exec`` get the caller's namespaces, as unwrapped;
* a method of a builtin type (``list.sort``), which cannot be patched, and the frame-sensitive
  builtins (``super``, ``locals``, ``vars``, ``dir``, ``globals``) are matched by the profile tracer,
  which costs on every call of the test (research note §4.7).
"""

from __future__ import annotations

import builtins
import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from pytest_gtguard.checks.imports import hide_from_tracebacks
from pytest_gtguard.checks.scope import Finding, Scope
from pytest_gtguard.checks.static import CallSite
from pytest_gtguard.checks.tracer import CallEvent, Targets

__all__ = ["CHECK", "CallWrappers", "call_targets", "runtime_call_findings", "static_call_findings"]

CHECK = "forbid_calls"
# Builtins that read the caller's frame: a wrapper would change what they see.
_FRAME_SENSITIVE = frozenset({"super", "locals", "vars", "dir", "globals", "breakpoint", "__import__"})
_NAMESPACE_TAKERS = frozenset({"eval", "exec"})


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


def call_targets(
    forbidden: Sequence[str],
    targets: Targets | None = None,
    *,
    patches: list[tuple[ModuleType, str, str]] | None = None,
) -> tuple[Targets, list[str]]:
    """Return tracer targets for ``forbidden`` and the names that could not be resolved (static only).

    With ``patches`` given, module-level functions are appended to it as ``(module, attribute, name)``
    for ``CallWrappers`` instead of becoming tracer targets. Nothing is imported: a dotted name
    resolves only if its module is already loaded, since a forbidden module must not be imported on
    the code's behalf.
    """
    targets = targets if targets is not None else Targets()
    unresolved: list[str] = []
    for name in forbidden:
        canonical = _canonical(name)
        owner, attr, obj = _lookup(canonical)
        targets.direct.add(name)  # a forbidden call is one the code under test makes itself
        if obj is None:
            unresolved.append(name)
        elif patches is not None and isinstance(owner, ModuleType) and callable(obj) and attr not in _FRAME_SENSITIVE:
            patches.append((owner, attr, name))
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


def runtime_call_findings(events: Sequence[CallEvent], forbidden: Sequence[str], scope: Scope) -> list[Finding]:
    """Return findings for traced calls whose label is a forbidden name."""
    wanted = set(forbidden)
    return [
        Finding(CHECK, event.label, "call (runtime)", scope.relative(event.file), event.line)
        for event in events
        if event.label in wanted
    ]


class CallWrappers:
    """Replace module-level functions by recording wrappers inside a ``with`` block.

    The wrappers are built once; each ``with`` block starts a fresh ``events`` list and forwards to
    whatever the attribute held on entry (a test's own monkeypatch stays in effect).
    """

    def __init__(self, scope: Scope, patches: Sequence[tuple[ModuleType, str, str]]) -> None:
        self.scope = scope
        self.events: list[CallEvent] = []
        self._current: list[Callable[..., Any]] = [getattr(module, attr) for module, attr, _ in patches]
        self._wrapped = [
            (module, attr, self._wrap(i, getattr(module, attr), attr, label))
            for i, (module, attr, label) in enumerate(patches)
        ]

    def __enter__(self) -> CallWrappers:
        self.events = []
        for i, (module, attr, wrapper) in enumerate(self._wrapped):
            self._current[i] = getattr(module, attr)
            setattr(module, attr, wrapper)
        return self

    def __exit__(self, *exc: object) -> None:
        for i, (module, attr, _) in reversed(list(enumerate(self._wrapped))):
            setattr(module, attr, self._current[i])

    def _wrap(self, index: int, original: Callable[..., Any], attr: str, label: str) -> Callable[..., Any]:
        scope, current = self.scope, self._current

        def note(frame: Any) -> None:
            if scope.contains(frame.f_code.co_filename):
                self.events.append(CallEvent(label, frame.f_code.co_filename, frame.f_lineno))

        if attr in _NAMESPACE_TAKERS:

            def run_code(source: Any, globals: Any = None, locals: Any = None, *args: Any, **kwargs: Any) -> Any:
                __tracebackhide__ = True
                frame = sys._getframe(1)
                note(frame)
                if globals is None:  # as unwrapped: the caller's namespaces
                    globals, locals = frame.f_globals, frame.f_locals if locals is None else locals
                return current[index](source, globals, locals, *args, **kwargs)

            return functools.wraps(original)(hide_from_tracebacks(run_code))

        def call(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            note(sys._getframe(1))
            return current[index](*args, **kwargs)

        return functools.wraps(original)(hide_from_tracebacks(call))
