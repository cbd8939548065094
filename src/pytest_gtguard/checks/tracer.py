"""Watch calls made by the code under test with ``sys.setprofile`` (audit hooks do not see time or random).

A profile function sees ``c_call`` events for builtins with the callee object (so aliases such as
``from time import time as now`` are covered) and ``call`` events for Python functions (research note §4.7).
Matching is a few dict lookups per event; only on a match is the stack walked to the nearest frame of
the code under test, which is what the finding names (so ``uuid.uuid4`` → ``os.urandom`` is blamed on the
line that called ``uuid4``). ``sys.monitoring`` would be cheaper but needs Python 3.12; gtguard supports 3.10.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from pytest_gtguard.checks.scope import Scope

__all__ = ["CallEvent", "CallTracer", "Targets"]

_MAX_DEPTH = 64
# Standard-library wrappers a nondeterminism source is reached through: ``uuid.uuid4`` calls
# ``os.urandom``, ``random.shuffle`` calls ``getrandbits``. Walking up through other modules would blame
# the code under test for, say, ``logging`` reading the clock.
_TRANSPARENT = frozenset({"random", "uuid", "secrets", "os", "datetime", "_strptime", "_pydatetime"})


@dataclass(frozen=True)
class CallEvent:
    """A watched call; ``value`` is what the target asked to capture (a local, or the bound object's id)."""

    label: str
    file: str
    line: int
    value: object = None


@dataclass
class Targets:
    """What to watch, by kind of callee; each maps to a label."""

    objects: dict[int, str] = field(default_factory=dict)  # id(builtin function) -> label
    bound: dict[tuple[int, str], str] = field(default_factory=dict)  # (id(__self__), name): classmethods
    methods: dict[tuple[type, str], str] = field(default_factory=dict)  # (type of __self__, name): list.sort
    codes: dict[CodeType, tuple[str, str | None]] = field(default_factory=dict)  # code -> (label, local)
    module_prefixes: dict[str, str] = field(default_factory=dict)  # calls into a forbidden package
    direct: set[str] = field(default_factory=set)  # labels counted only when called from the code itself
    keep: list[object] = field(default_factory=list)  # keeps ids in ``objects`` valid

    def add_object(self, obj: object, label: str) -> None:
        """Watch calls of ``obj`` itself (a builtin function, a type, or a Python function)."""
        func = inspect.unwrap(obj) if callable(obj) else obj
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if isinstance(code, CodeType):
            self.codes[code] = (label, None)
            return
        self.keep.append(obj)
        self.objects[id(obj)] = label
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", None)
        if owner is not None and not inspect.ismodule(owner) and isinstance(name, str):
            self.keep.append(owner)
            self.bound[(id(owner), name)] = label  # a fresh bound object on every attribute access

    def empty(self) -> bool:
        """Return True when nothing is watched (the tracer then is not installed at all)."""
        return not (self.objects or self.bound or self.methods or self.codes or self.module_prefixes)


class CallTracer:
    """Install a profile function that records matching calls from the code under test."""

    def __init__(self, scope: Scope, targets: Targets) -> None:
        self.scope = scope
        self.targets = targets
        self.events: list[CallEvent] = []
        self._saved: Callable[..., Any] | None = None

    def __enter__(self) -> CallTracer:
        saved = sys.getprofile()
        self._saved = saved if callable(saved) else None
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(self._saved)

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        targets = self.targets
        if event == "c_call":
            label = targets.objects.get(id(arg))
            owner = getattr(arg, "__self__", None)
            if label is None and owner is not None:
                name = arg.__name__
                label = targets.bound.get((id(owner), name)) or targets.methods.get((type(owner), name))
            if label is not None:
                self._record(label, frame, id(owner) if owner is not None else None)
            elif targets.module_prefixes:
                module = getattr(arg, "__module__", None) or type(arg).__module__
                self._module_call(frame, module)
        elif event == "call":
            spec = targets.codes.get(frame.f_code)
            if spec is not None:
                label, local = spec
                value = frame.f_locals.get(local) if local else None
                owner = frame.f_locals.get("self")
                self._record(label, frame.f_back, (id(owner), value) if local else None)
            elif targets.module_prefixes:
                self._module_call(frame.f_back, frame.f_globals.get("__name__"))
        if self._saved is not None:
            self._saved(frame, event, arg)

    def _module_call(self, caller: FrameType | None, module: object) -> None:
        if not isinstance(module, str) or caller is None:
            return
        for prefix, label in self.targets.module_prefixes.items():
            if module == prefix or module.startswith(prefix + "."):
                # Only direct calls from the code under test: numpy calling itself is not news.
                if self.scope.contains(caller.f_code.co_filename):
                    self.events.append(CallEvent(label, caller.f_code.co_filename, caller.f_lineno, module))
                return

    def _record(self, label: str, frame: FrameType | None, value: object) -> None:
        direct = label in self.targets.direct
        depth = 0
        while frame is not None and depth < _MAX_DEPTH:
            if self.scope.contains(frame.f_code.co_filename):
                self.events.append(CallEvent(label, frame.f_code.co_filename, frame.f_lineno, value))
                return
            if direct or frame.f_globals.get("__name__") not in _TRANSPARENT:
                return
            frame = frame.f_back
            depth += 1
