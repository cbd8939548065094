"""Forbidden imports: match static import sites, and record imports the code under test makes at run time.

The runtime half records rather than blocks: a blocked import is caught by ``try/except ImportError``
fallbacks and hides the violation, and modules already in ``sys.modules`` cannot be blocked at all
(research note §5.2). It sees, for callers inside the code under test only:

* every ``import`` statement and ``__import__`` call, cached or not (a ``builtins.__import__`` wrapper),
* ``importlib.import_module`` with any computed name (a wrapper on the module attribute),
* other paths into the import system, e.g. ``importlib.util.find_spec`` (a ``sys.meta_path`` finder),
* modules reached without an import: module globals bound to a forbidden module or its objects,
* ``python -c``/``-m`` subprocesses and ``os.system``/``os.exec*`` commands naming a forbidden module
  (an audit hook, PEP 578).

These are tripwires, not a sandbox: code that removes them can evade them (research note §0.8).
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any, TypeVar

from pytest_gtguard.checks import _audit
from pytest_gtguard.checks.scope import Finding, Scope
from pytest_gtguard.checks.static import ImportSite, index_source

__all__ = [
    "ImportEvent",
    "ImportRecorder",
    "forbidden_match",
    "hide_from_tracebacks",
    "reached_globals",
    "static_import_findings",
]

_T = TypeVar("_T", bound=Callable[..., Any])


def hide_from_tracebacks(wrapper: _T) -> _T:
    """Keep ``wrapper`` (a stand-in for ``__import__`` or a function) out of the user's tracebacks.

    Every ImportError the code under test raised went through gtguard's ``__import__`` wrapper, whose
    frames then showed in each traceback. ``__tracebackhide__`` (set in the wrappers too) covers a test's
    own traceback, but pytest prints import errors of test modules with its own filter, which skips only
    frames of generated code: so the wrapper's code is marked as generated (a ``<...>`` file name), which
    every traceback printer also shows without a source line. Re-raising cannot do it: the frame that
    re-raises is added to the traceback again.
    """
    wrapper.__code__ = wrapper.__code__.replace(co_filename="<gtguard wrapper>")
    return wrapper


CHECK = "forbid_imports"
_SPAWN_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"})
_MAX_DEPTH = 64


def forbidden_match(module: str, forbidden: Iterable[str]) -> str | None:
    """Return the forbidden name that ``module`` is or lies under (``numpy.linalg`` under ``numpy``)."""
    for name in forbidden:
        if module == name or module.startswith(name + "."):
            return name
    return None


def static_import_findings(
    sites: Sequence[tuple[str, ImportSite]], forbidden: Sequence[str], scope: Scope
) -> list[Finding]:
    """Return a finding for each ``(filename, site)`` that imports a forbidden module."""
    out: list[Finding] = []
    for filename, site in sites:
        for candidate in site.candidates():
            hit = forbidden_match(candidate, forbidden)
            if hit is not None:
                detail = "" if candidate == hit else f"module {candidate}"
                out.append(Finding(CHECK, hit, site.route, scope.relative(filename), site.line, detail))
                break
    return out


@dataclass(frozen=True)
class ImportEvent:
    """A module the code under test asked for at run time."""

    module: str
    file: str
    line: int
    route: str


def _caller(scope: Scope, frame: FrameType | None) -> FrameType | None:
    depth = 0
    while frame is not None and depth < _MAX_DEPTH:
        if scope.contains(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
        depth += 1
    return None


class _Finder(importlib.abc.MetaPathFinder):
    """Sees imports that reach the finders (not only ``import``), e.g. ``importlib.util.find_spec``."""

    def __init__(self, recorder: ImportRecorder) -> None:
        self._recorder = recorder

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and (
            frame.f_code.co_filename.startswith("<frozen importlib")
            or str(frame.f_globals.get("__name__", "")).startswith("importlib")
        ):
            frame = frame.f_back
        # Only the direct importer counts: json importing re is not the code under test importing re.
        if frame is not None and frame.f_code.co_filename != __file__:
            self._recorder.note_direct(fullname, frame, "import system (runtime)")
        return None  # never load anything: the next finder does


class ImportRecorder:
    """Record the imports of the code under test while installed; ``events`` grows, never shrinks."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.events: list[ImportEvent] = []
        self._active = False
        self._saved_import: Callable[..., Any] | None = None
        self._saved_import_module: Callable[..., ModuleType] | None = None
        self._finder = _Finder(self)

    def install(self) -> None:
        """Wrap the import entry points, add the finder and listen to audit events."""
        if self._active:
            return
        self._active = True
        self._saved_import = original_import = builtins.__import__
        self._saved_import_module = original_import_module = importlib.import_module
        scope, note, decided = self.scope, self.note, self.scope.decided

        def guarded_import(
            name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
        ) -> ModuleType:
            # Runs for every import statement in the process: the common case (an importer outside the
            # code under test, already decided) costs two dict lookups.
            __tracebackhide__ = True
            filename = globals.get("__file__") if type(globals) is dict else None
            if filename is not None and decided.get(filename) is False:
                return original_import(name, globals, locals, fromlist, level)
            if level == 0 and (filename is None or scope.contains(filename)):
                caller: FrameType | None = sys._getframe(1)
                while caller is not None and caller.f_code.co_filename.startswith("<"):
                    caller = caller.f_back  # exec'd code: blame the frame that ran exec
                if caller is not None and scope.contains(caller.f_code.co_filename):
                    route = "import statement (runtime)" if globals is caller.f_globals else "__import__ (runtime)"
                    note(name, caller, route)
                    for item in fromlist or ():
                        note(f"{name}.{item}", caller, route)
            return original_import(name, globals, locals, fromlist, level)

        def guarded_import_module(name: str, package: str | None = None) -> ModuleType:
            __tracebackhide__ = True
            caller = sys._getframe(1)
            if scope.contains(caller.f_code.co_filename):
                resolved = importlib.util.resolve_name(name, package) if name.startswith(".") else name
                note(resolved, caller, "importlib.import_module (runtime)")
            return original_import_module(name, package)

        builtins.__import__ = hide_from_tracebacks(guarded_import)
        importlib.import_module = hide_from_tracebacks(guarded_import_module)
        sys.meta_path.insert(0, self._finder)
        _audit.subscribe(self._audit)

    def uninstall(self) -> None:
        """Restore the import entry points and stop listening."""
        if not self._active:
            return
        self._active = False
        if self._saved_import is not None:
            builtins.__import__ = self._saved_import
        if self._saved_import_module is not None:
            importlib.import_module = self._saved_import_module
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        _audit.unsubscribe(self._audit)

    def note(self, module: str, frame: FrameType, route: str) -> None:
        """Record ``module`` as imported by ``frame`` (already known to be in scope)."""
        self.events.append(ImportEvent(module, frame.f_code.co_filename, frame.f_lineno, route))

    def note_direct(self, module: str, frame: FrameType, route: str) -> None:
        """Record ``module`` if ``frame`` itself is the code under test."""
        if self._active and self.scope.contains(frame.f_code.co_filename):
            self.note(module, frame, route)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self._active or event not in _SPAWN_EVENTS:
            return
        caller = _caller(self.scope, sys._getframe(1))
        if caller is None:
            return
        for module, how in python_modules_of_command(event, args):
            self.note(module, caller, f"subprocess ({how})")

    def findings(self, forbidden: Sequence[str], *, since: int = 0, upto: int | None = None) -> list[Finding]:
        """Return findings for recorded events ``[since:upto]`` that import a forbidden module."""
        out: list[Finding] = []
        for event in self.events[since:upto]:
            hit = forbidden_match(event.module, forbidden)
            if hit is not None:
                detail = "" if event.module == hit else f"module {event.module}"
                out.append(Finding(CHECK, hit, event.route, self.scope.relative(event.file), event.line, detail))
        return out


def python_modules_of_command(event: str, args: tuple[Any, ...]) -> list[tuple[str, str]]:
    """Return ``(module, how)`` for each module a spawned Python command imports (``-c`` code or ``-m``)."""
    argv = _argv_of(event, args)
    if not argv or "python" not in os.path.basename(str(argv[0])):
        return []
    found: list[tuple[str, str]] = []
    words = [str(w) for w in argv[1:]]
    for i, word in enumerate(words):
        if word == "-m" and i + 1 < len(words):
            found.append((words[i + 1], "python -m"))
            break
        if word.startswith("-c"):
            code = word[2:] or (words[i + 1] if i + 1 < len(words) else "")
            try:
                sites = index_source(code, "<string>").imports
            except SyntaxError:
                sites = []
            found.extend((c, "python -c") for site in sites for c in site.candidates())
            break
    return found


def _argv_of(event: str, args: tuple[Any, ...]) -> list[Any]:
    if event == "os.system":
        try:
            return shlex.split(os.fsdecode(args[0]))
        except ValueError:
            return []
    raw = args[1] if len(args) > 1 else None
    if isinstance(raw, (str, bytes)):
        text = os.fsdecode(raw)
        # subprocess.run("python -c ...", shell=True) arrives as ["/bin/sh", "-c", "python -c ..."].
        return shlex.split(text) if " " in text else [text]
    argv = list(raw) if isinstance(raw, (list, tuple)) else []
    if len(argv) >= 3 and os.path.basename(str(argv[0])) in {"sh", "bash", "dash"} and argv[1] == "-c":
        try:
            return shlex.split(str(argv[2]))
        except ValueError:
            return []
    return argv


def reached_globals(modules: Iterable[ModuleType], scope: Scope, forbidden: Sequence[str]) -> list[Finding]:
    """Return findings for module globals of the code under test bound to a forbidden module or its objects.

    This catches what no import hook sees: ``np = sys.modules["numpy"]`` or ``sum_ = other.np.sum``
    when numpy was loaded before the code under test (by a plugin, the tests, or another package).
    """
    out: list[Finding] = []
    for module in modules:
        filename = vars(module).get("__file__")
        if not isinstance(filename, str) or not scope.contains(filename):
            continue
        for name, value in list(vars(module).items()):
            owner = _owner_module(value)
            hit = forbidden_match(owner, forbidden) if owner else None
            if hit is not None:
                out.append(
                    Finding(
                        CHECK,
                        hit,
                        "module global (runtime)",
                        scope.relative(filename),
                        0,
                        f"global {name!r} is bound to {owner}",
                    )
                )
    return out


def _owner_module(value: object) -> str | None:
    if isinstance(value, ModuleType):
        return value.__name__
    owner = getattr(type(value), "__module__", None) if not callable(value) else None
    if owner in (None, "builtins"):
        try:
            owner = value.__dict__.get("__module__") if isinstance(value, type) else getattr(value, "__module__", None)
        except Exception:
            return None
    return owner if isinstance(owner, str) else None
