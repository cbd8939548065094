"""Load a module from a named side in isolation, so one test can compare before and after.

Refactor tasks import both sides in one test and purge ``sys.modules`` by hand to do it (survey §2:
14 tasks). ``load_module`` does it once, correctly: the side's modules are imported fresh with bare
imports pointed at that side, then ``sys.modules`` is put back as it was, so the side under test and
every other test see no trace of it.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

from pytest_gtguard.side.imports import SideFinder
from pytest_gtguard.side.task import Side, SideKind

__all__ = ["load_module"]


def load_module(side: Side, dotted: str, *, finder: SideFinder | None, alias: str | None = None) -> ModuleType:
    """Import ``dotted`` from ``side`` and return it without leaving it in ``sys.modules``.

    Args:
        side: the side to load from.
        dotted: a module name as the side's own code would import it, e.g. ``"pkg.mod"``.
        finder: the active finder of the run, or None when no side is under test.
        alias: the package name a candidate stands in for (see ``SideFinder``).

    Raises:
        ModuleNotFoundError: the side has no such module; the message names the side.
    """
    with _isolated(side, finder, alias) as active:
        saved = {name: mod for name, mod in sys.modules.items() if mod is not None and active.owns(mod)}
        for name in saved:
            del sys.modules[name]
        try:
            module = importlib.import_module(dotted)
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                f"load_side: no module {dotted!r} in {side.describe()}: {exc}", name=exc.name
            ) from None
        finally:
            for name in [n for n, m in sys.modules.items() if m is not None and active.owns(m)]:
                del sys.modules[name]
            sys.modules.update(saved)
            importlib.invalidate_caches()
    return module


@contextlib.contextmanager
def _isolated(side: Side, finder: SideFinder | None, alias: str | None) -> Iterator[SideFinder]:
    if finder is not None:
        with finder.retarget(side):
            yield finder
        return
    temporary = SideFinder(side, alias=alias if side.kind is SideKind.CANDIDATE else None)
    sys.meta_path.insert(0, temporary)
    try:
        yield temporary
    finally:
        sys.meta_path.remove(temporary)
