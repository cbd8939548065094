"""Detect nondeterminism sources the code under test uses: unseeded random, wall-clock time, entropy, network.

Calls are seen by the profile tracer (audit hooks see none of them, research note §4.6); sockets by an
audit hook, which also fires at import time. Seeded use is not flagged: ``random.seed(x)`` with a
non-None ``x`` called by the code under test before use, or an instance made as ``random.Random(x)``.
Seeding done by the tests (or pytest-randomly) does not count: it hides, not removes, the dependence.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from pytest_gtguard.checks import _audit
from pytest_gtguard.checks.scope import Finding, Scope
from pytest_gtguard.checks.tracer import CallEvent, Targets

__all__ = ["CHECK", "NetworkRecorder", "source_findings", "source_targets"]

CHECK = "determinism"
_SEED = "random.seed"
_RANDOM_USE = "random"
_NP_SEED = "numpy.random.seed"
_NP_USE = "numpy.random"
_NET_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo"})
_MAX_DEPTH = 64


def source_targets(targets: Targets | None = None) -> Targets:
    """Return tracer targets for every nondeterminism source gtguard knows."""
    targets = targets if targets is not None else Targets()
    for func, label in (
        (time.time, "time.time"),
        (time.time_ns, "time.time_ns"),
        (datetime.datetime.now, "datetime.now"),
        (datetime.datetime.utcnow, "datetime.utcnow"),
        (datetime.datetime.today, "datetime.today"),
        (datetime.date.today, "date.today"),
        (os.urandom, "os.urandom"),
        (uuid.uuid1, "uuid.uuid1"),
        (uuid.uuid4, "uuid.uuid4"),
    ):
        targets.add_object(func, label)
    if hasattr(os, "getrandom"):
        targets.add_object(os.getrandom, "os.getrandom")
    for name in ("random", "getrandbits"):
        targets.methods[(random.Random, name)] = _RANDOM_USE
    targets.codes[random.Random.seed.__code__] = (_SEED, "a")
    numpy_random = sys.modules.get("numpy.random")
    state = getattr(numpy_random, "mtrand", None)
    legacy = getattr(state, "_rand", None)
    if legacy is not None:
        # Only numpy's legacy global state (np.random.rand, np.random.seed), as pytest-randomly does.
        for name in dir(legacy):
            if not name.startswith("_"):
                targets.bound[(id(legacy), name)] = _NP_SEED if name == "seed" else _NP_USE
        targets.keep.append(legacy)
    return targets


def source_findings(events: Sequence[CallEvent], scope: Scope) -> list[Finding]:
    """Turn traced calls into findings, dropping seeded random use (events are in call order)."""
    seeded: set[int] = set()
    unseeded: set[int] = set()
    global_id = id(getattr(random, "_inst", None))
    numpy_seeded = False
    out: list[Finding] = []
    for event in events:
        where = (scope.relative(event.file), event.line)
        if event.label == _SEED and isinstance(event.value, tuple):
            owner, seed = event.value
            (unseeded if seed is None else seeded).add(owner)
            (seeded if seed is None else unseeded).discard(owner)
        elif event.label == _NP_SEED:
            numpy_seeded = True
        elif event.label == _RANDOM_USE:
            if event.value in seeded:
                continue
            if event.value == global_id:
                out.append(
                    Finding(
                        CHECK,
                        "random",
                        "call (runtime)",
                        *where,
                        "module-level random without random.seed(x) in the code; use random.Random(seed)",
                    )
                )
            elif event.value in unseeded:
                out.append(Finding(CHECK, "random", "call (runtime)", *where, "random.Random() made without a seed"))
        elif event.label == _NP_USE:
            if not numpy_seeded:
                out.append(
                    Finding(
                        CHECK,
                        "numpy.random",
                        "call (runtime)",
                        *where,
                        "numpy's global RNG without np.random.seed; use np.random.default_rng(seed)",
                    )
                )
        else:
            out.append(Finding(CHECK, event.label, "call (runtime)", *where, _why(event.label)))
    return out


def _why(label: str) -> str:
    if label.startswith(("time.", "datetime.", "date.")):
        return "wall-clock time; take the time as a parameter or inject a clock"
    return "entropy source; take a seed or an RNG as a parameter"


@dataclass(frozen=True)
class NetEvent:
    """A socket operation by the code under test."""

    event: str
    address: str
    file: str
    line: int


class NetworkRecorder:
    """Record socket connect/bind/sendto/getaddrinfo by the code under test, from audit events."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.events: list[NetEvent] = []
        self._active = False

    def start(self) -> None:
        """Begin recording."""
        self._active = True
        _audit.subscribe(self._audit)

    def stop(self) -> None:
        """Stop recording."""
        self._active = False
        _audit.unsubscribe(self._audit)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self._active or event not in _NET_EVENTS:
            return
        frame: FrameType | None = sys._getframe(1)
        depth = 0
        while frame is not None and depth < _MAX_DEPTH:
            if self.scope.contains(frame.f_code.co_filename):
                address = args[1] if event != "socket.getaddrinfo" else args[:2]
                self.events.append(NetEvent(event, repr(address), frame.f_code.co_filename, frame.f_lineno))
                return
            frame = frame.f_back
            depth += 1

    def findings(self, *, since: int = 0, upto: int | None = None) -> list[Finding]:
        """Return findings for events ``[since:upto]``."""
        return [
            Finding(CHECK, "network", e.event, self.scope.relative(e.file), e.line, f"address {e.address}")
            for e in self.events[since:upto]
        ]
