"""Judge one test's constraints against the code under test: the pure core the pytest glue calls.

``Judge`` owns the session's recorders and caches the static passes (one AST index of the code under
test, one result per forbidden list), so a run with 200 tests parses each file once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pytest_gtguard.checks import calls, imports, sources
from pytest_gtguard.checks.calls import CallWrappers
from pytest_gtguard.checks.constraints import Constraints
from pytest_gtguard.checks.deps import new_dependency_findings
from pytest_gtguard.checks.imports import ImportRecorder
from pytest_gtguard.checks.scope import Finding, Scope, dedupe
from pytest_gtguard.checks.sources import NetworkRecorder
from pytest_gtguard.checks.static import CallSite, ImportSite, SourceIndex, index_source
from pytest_gtguard.checks.syntax import syntax_findings
from pytest_gtguard.checks.tracer import CallEvent, CallTracer, Targets

__all__ = ["Judge", "Marks", "Watch"]


class Watch:
    """The runtime watchers of one test: cheap wrappers and, only when needed, the profile tracer."""

    def __init__(self, wrappers: CallWrappers | None, tracer: CallTracer | None) -> None:
        self._wrappers = wrappers
        self._tracer = tracer

    def __enter__(self) -> Watch:
        if self._wrappers is not None:
            self._wrappers.__enter__()
        if self._tracer is not None:
            self._tracer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tracer is not None:
            self._tracer.__exit__()
        if self._wrappers is not None:
            self._wrappers.__exit__()

    @property
    def events(self) -> list[CallEvent]:
        """Return what both watchers recorded (tracer events keep their call order)."""
        return [
            *(self._wrappers.events if self._wrappers else []),
            *(self._tracer.events if self._tracer else []),
        ]


@dataclass(frozen=True)
class Marks:
    """Positions in the recorders' event lists (events before ``collected`` count for every test)."""

    imports: int
    network: int


@dataclass
class DependencyBaseline:
    """What ``no_new_dependencies`` compares: the folder under test and the before side plus task root."""

    under_test: Path
    baseline: list[Path]
    base: Path


@dataclass
class Judge:
    """Recorders and static caches for one session."""

    scope: Scope
    deps: DependencyBaseline | None = None
    recorder: ImportRecorder = field(init=False)
    network: NetworkRecorder = field(init=False)
    collected: Marks = field(init=False)
    _index: dict[str, SourceIndex] | None = field(default=None, init=False)
    _cache: dict[tuple[object, ...], list[Finding]] = field(default_factory=dict, init=False)
    _modules: list[ModuleType] = field(default_factory=list, init=False)
    _import_tracer: CallTracer | None = field(default=None, init=False)
    _import_events: list[CallEvent] = field(default_factory=list, init=False)
    _plans: dict[Constraints, tuple[Targets | None, CallWrappers | None]] = field(default_factory=dict, init=False)
    _module_count: int = field(default=-1, init=False)

    def __post_init__(self) -> None:
        self.recorder = ImportRecorder(self.scope)
        self.network = NetworkRecorder(self.scope)
        self.collected = Marks(0, 0)

    def start(self, *, trace_sources: bool = False) -> None:
        """Start recording imports and network use (call before the code under test is imported).

        With ``trace_sources``, nondeterminism sources are traced until the end of collection too, so
        ``SEED = time.time()`` at module level is seen (the profile hook slows collection down).
        """
        self.recorder.install()
        self.network.start()
        if trace_sources:
            self._import_tracer = CallTracer(self.scope, sources.source_targets())
            self._import_tracer.__enter__()

    def stop(self) -> None:
        """Stop recording and listening."""
        self._stop_import_tracer()
        self.recorder.uninstall()
        self.network.stop()

    def _stop_import_tracer(self) -> None:
        if self._import_tracer is not None:
            self._import_tracer.__exit__()
            self._import_events = self._import_tracer.events
            self._import_tracer = None

    def end_of_collection(self) -> None:
        """Remember what the code under test did while being imported: it counts for every test."""
        self._stop_import_tracer()
        self.collected = self.marks()
        self._cache = {k: v for k, v in self._cache.items() if k[0] != "collected"}

    def marks(self) -> Marks:
        """Return the current end of each event list."""
        return Marks(len(self.recorder.events), len(self.network.events))

    def watch(self, constraints: Constraints) -> Watch:
        """Return the runtime watchers ``constraints`` need (enter it around the test call)."""
        plan = self._plans.get(constraints)
        if plan is None:
            targets, patches = self._plan(constraints)
            plan = self._plans[constraints] = (
                targets,
                CallWrappers(self.scope, patches) if patches else None,
            )
        targets, wrappers = plan
        return Watch(wrappers, None if targets is None else CallTracer(self.scope, targets))

    def _plan(self, constraints: Constraints) -> tuple[Targets | None, list[tuple[ModuleType, str, str]]]:
        targets = Targets()
        patches: list[tuple[ModuleType, str, str]] = []
        if constraints.forbid_calls:
            calls.call_targets(constraints.forbid_calls, targets, patches=patches)
        if constraints.determinism is not None and constraints.determinism.sources:
            sources.source_targets(targets)
        if constraints.forbid_imports and (not targets.empty() or self._dynamic_access()):
            # Calls into a forbidden module reached without an import (sys.modules with a computed key):
            # traced when the code has such access, or when the tracer runs anyway.
            for name in constraints.forbid_imports:
                targets.module_prefixes[name] = name
        return (None if targets.empty() else targets), patches

    def findings(self, constraints: Constraints, since: Marks, events: Sequence[CallEvent]) -> list[Finding]:
        """Return every violation of ``constraints``: static, recorded since ``since``, and in ``events``."""
        if not events and self.marks() == since:
            # Nothing happened at run time: the answer is the one for the static and import-time state.
            state = tuple((id(m), len(vars(m))) for m in self._scope_modules())
            key = ("quiet", constraints, state)
            return list(self._cached(key, lambda: self._findings(constraints, since, events)))
        return self._findings(constraints, since, events)

    def _findings(self, constraints: Constraints, since: Marks, events: Sequence[CallEvent]) -> list[Finding]:
        out: list[Finding] = []
        if constraints.forbid_imports:
            forbidden = constraints.forbid_imports
            out += self._cached(
                ("imports", forbidden),
                lambda: imports.static_import_findings(self._import_sites(), forbidden, self.scope),
            )
            out += self._cached(
                ("collected", forbidden),
                lambda: self.recorder.findings(forbidden, upto=self.collected.imports),
            )
            out += self.recorder.findings(forbidden, since=since.imports)
            # Reaching a module without importing it is news only where no import of it was seen.
            seen = {(f.subject, f.file) for f in out}
            modules = self._scope_modules()
            state = tuple((id(m), len(vars(m))) for m in modules)  # rescan only modules whose globals changed
            reached = self._cached(
                ("reached", forbidden, state), lambda: imports.reached_globals(modules, self.scope, forbidden)
            )
            reached += [
                Finding(
                    imports.CHECK,
                    e.label,
                    "call into the module (runtime)",
                    self.scope.relative(e.file),
                    e.line,
                    f"{e.value}",
                )
                for e in events
                if e.label in forbidden
            ]
            out += [f for f in reached if (f.subject, f.file) not in seen]
        if constraints.forbid_calls:
            names = constraints.forbid_calls
            out += self._cached(
                ("calls", names), lambda: calls.static_call_findings(self._call_sites(), names, self.scope)
            )
            out += calls.runtime_call_findings(events, names, self.scope)
        if constraints.python_syntax is not None:
            version = constraints.python_syntax
            out += self._cached(("syntax", version), lambda: syntax_findings(self.scope.files(), version, self.scope))
        if constraints.no_new_dependencies and self.deps is not None:
            deps = self.deps
            out += self._cached(
                ("deps",), lambda: new_dependency_findings(deps.under_test, deps.baseline, base=deps.base)
            )
        if constraints.determinism is not None and constraints.determinism.sources:
            out += sources.source_findings([*self._import_events, *events], self.scope)
            out += self.network.findings(upto=self.collected.network)
            out += self.network.findings(since=since.network)
        return dedupe(out)

    def _cached(self, key: tuple[object, ...], compute: Callable[[], list[Finding]]) -> list[Finding]:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _indexed(self) -> dict[str, SourceIndex]:
        if self._index is None:
            self._index = {}
            for path in self.scope.files():
                try:
                    self._index[str(path)] = index_source(path.read_text(encoding="utf-8"), str(path))
                except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
                    continue  # importing it fails the tests anyway; python_syntax names it
        return self._index

    def _scope_modules(self) -> list[ModuleType]:
        # Rescanning ~1000 modules per test costs more than the rest of the checks; modules come and
        # go rarely, so the in-scope list is rebuilt only when sys.modules changes size.
        if len(sys.modules) != self._module_count:
            self._module_count = len(sys.modules)
            self._modules = []
            for module in list(sys.modules.values()):
                # vars(), not getattr: a module-level __getattr__ may import or warn for "__file__".
                filename = vars(module).get("__file__") if isinstance(module, ModuleType) else None
                if isinstance(filename, str) and self.scope.contains(filename):
                    self._modules.append(module)
        return self._modules

    def _dynamic_access(self) -> bool:
        return any(index.dynamic for index in self._indexed().values())

    def _import_sites(self) -> list[tuple[str, ImportSite]]:
        return [(name, site) for name, idx in self._indexed().items() for site in idx.imports]

    def _call_sites(self) -> list[tuple[str, CallSite]]:
        return [(name, site) for name, idx in self._indexed().items() for site in idx.calls]
