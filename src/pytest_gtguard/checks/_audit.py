"""One process-wide audit hook that forwards events to the recorders currently listening.

PEP 578 audit hooks cannot be removed, so a hook per session would pile up: pytester runs many
sessions in one interpreter, and every hook runs on every audit event for the rest of the process.
This module therefore holds the one piece of process-global state in gtguard, on purpose: the hook
is added once, and sessions subscribe and unsubscribe their recorders.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["subscribe", "unsubscribe"]

Listener = Callable[[str, tuple[Any, ...]], None]


class _Dispatch:
    def __init__(self) -> None:
        self.listeners: tuple[Listener, ...] = ()
        self.hooked = False

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        for listener in self.listeners:
            listener(event, args)


_DISPATCH = _Dispatch()


def subscribe(listener: Listener) -> None:
    """Start forwarding audit events to ``listener`` (adds the hook on first use)."""
    if not _DISPATCH.hooked:
        sys.addaudithook(_DISPATCH)
        _DISPATCH.hooked = True
    if listener not in _DISPATCH.listeners:
        _DISPATCH.listeners = (*_DISPATCH.listeners, listener)


def unsubscribe(listener: Listener) -> None:
    """Stop forwarding audit events to ``listener``."""
    _DISPATCH.listeners = tuple(item for item in _DISPATCH.listeners if item != listener)
