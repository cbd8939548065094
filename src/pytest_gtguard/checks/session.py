"""Judge one test's constraints against the code under test: the pure core the pytest glue calls.

``Judge`` owns the session's recorders and caches the static passes (one AST index of the code under
test, one result per forbidden list), so a run with 200 tests parses each file once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pytest_gtguard.checks import calls, imports, sources
from pytest_gtguard.checks.constraints import Constraints
from pytest_gtguard.checks.deps import new_dependency_findings
from pytest_gtguard.checks.imports import ImportRecorder
from pytest_gtguard.checks.scope import Finding, Scope, dedupe
from pytest_gtguard.checks.sources import NetworkRecorder
from pytest_gtguard.checks.static import CallSite, ImportSite, SourceIndex, index_source
from pytest_gtguard.checks.syntax import syntax_findings
from pytest_gtguard.checks.tracer import CallTracer, Targets

__all__ = ["Judge", "Marks"]


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

    def __post_init__(self) -> None:
        self.recorder = ImportRecorder(self.scope)
        self.network = NetworkRecorder(self.scope)
        self.collected = Marks(0, 0)

    def start(self) -> None:
        """Start recording imports and network use (call before the code under test is imported)."""
        self.recorder.install()
        self.network.start()

    def stop(self) -> None:
        """Stop recording; the audit hooks stay installed but go quiet."""
        self.recorder.uninstall()
        self.network.stop()

    def end_of_collection(self) -> None:
        """Remember what the code under test did while being imported: it counts for every test."""
        self.collected = self.marks()

    def marks(self) -> Marks:
        """Return the current end of each event list."""
        return Marks(len(self.recorder.events), len(self.network.events))

    def tracer(self, constraints: Constraints) -> CallTracer | None:
        """Return a call tracer for the runtime half of ``constraints``, or None if nothing needs one."""
        targets = Targets()
        if constraints.forbid_calls:
            calls.call_targets(constraints.forbid_calls, targets)
        for name in constraints.forbid_imports:
            targets.module_prefixes[name] = name
        if constraints.determinism is not None and constraints.determinism.sources:
            sources.source_targets(targets)
        return None if targets.empty() else CallTracer(self.scope, targets)

    def findings(self, constraints: Constraints, since: Marks, tracer: CallTracer | None) -> list[Finding]:
        """Return every violation of ``constraints``: static ones and those seen since ``since``."""
        out: list[Finding] = []
        events = tracer.events if tracer is not None else []
        if constraints.forbid_imports:
            forbidden = constraints.forbid_imports
            out += self._cached(
                ("imports", forbidden),
                lambda: imports.static_import_findings(self._import_sites(), forbidden, self.scope),
            )
            out += self.recorder.findings(forbidden, upto=self.collected.imports)
            out += self.recorder.findings(forbidden, since=since.imports)
            # Reaching a module without importing it is news only where no import of it was seen.
            seen = {(f.subject, f.file) for f in out}
            reached = imports.reached_globals(list(sys.modules.values()), self.scope, forbidden)
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
            out += self._cached(
                ("syntax", version), lambda: syntax_findings(self.scope.files(), version, self.scope)
            )
        if constraints.no_new_dependencies and self.deps is not None:
            deps = self.deps
            out += self._cached(
                ("deps",), lambda: new_dependency_findings(deps.under_test, deps.baseline, base=deps.base)
            )
        if constraints.determinism is not None and constraints.determinism.sources:
            out += sources.source_findings(events, self.scope)
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

    def _import_sites(self) -> list[tuple[str, ImportSite]]:
        return [(name, site) for name, idx in self._indexed().items() for site in idx.imports]

    def _call_sites(self) -> list[tuple[str, CallSite]]:
        return [(name, site) for name, idx in self._indexed().items() for site in idx.calls]
