"""What a meta run found, and how it reads in the terminal (pure: data in, lines out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard.meta import smells
from pytest_gtguard.meta.execute import Status
from pytest_gtguard.meta.memorizer_report import MemorizerResult
from pytest_gtguard.meta.score import MetaScore, MutantResult, VariantResult

__all__ = ["Markup", "MetaOutcome"]

_SHOWN_SURVIVORS = 25
_SHOWN_FINDINGS = 10

Markup = dict[str, bool]


@dataclass
class MetaOutcome:
    """Everything a meta run found; ``summary_lines`` renders it for the terminal."""

    baseline_failed: list[str] = field(default_factory=list)
    sentinel: str = ""
    variants: list[VariantResult] = field(default_factory=list)
    mutants: list[MutantResult] = field(default_factory=list)
    score: MetaScore | None = None
    findings: list[smells.Finding] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    tce_dropped: int = 0
    generated: int = 0
    report_paths: list[Path] = field(default_factory=list)
    child_cpu_ms: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    memorizers: list[MemorizerResult] = field(default_factory=list)  # per public function, see memorizer_run

    def summary_lines(self) -> list[tuple[str, Markup]]:
        """Return the terminal summary as (line, markup) pairs."""
        lines: list[tuple[str, Markup]] = []
        if self.baseline_failed:
            lines.append(
                (
                    "baseline: the suite must pass on the ground truth; failing: " + ", ".join(self.baseline_failed),
                    {"red": True},
                )
            )
        if self.sentinel:
            lines.append((f"sentinel: {self.sentinel}", {}))
        lines.extend((f"note: {note}", {"yellow": True}) for note in self.notes)
        for v in self.variants:
            good = v.caught
            by = f" by {v.killed_by}" if v.killed_by else ""
            lines.append((f"variant {v.name} -> {v.target}: {v.status.value}{by}", {"green" if good else "red": True}))
        if self.score is not None:
            s = self.score
            counts = ", ".join(f"{st.value} {n}" for st, n in s.counts.items() if n)
            mutation_s = self.timings.get("mutation", 0.0)
            rate = f"{len(self.mutants) / mutation_s:.0f} mutants/s" if mutation_s else ""
            if self.child_cpu_ms:
                rate += f", median child CPU {self.child_cpu_ms['median']:.1f} ms"
            lines.append(
                (
                    f"mutants: {len(self.mutants)} run of {self.generated} generated "
                    f"({self.tce_dropped} duplicates dropped); {counts}; {rate}",
                    {},
                )
            )
            pct = f"{s.score:.1f}%" if s.score is not None else "n/a"
            lines.append((f"mutation score: {pct} ({s.detected}/{s.valid})", {"bold": True}))
            undetected = [m for m in self.mutants if m.status in (Status.SURVIVED, Status.NO_COVERAGE)]
            for m in undetected[:_SHOWN_SURVIVORS]:
                ran = f" ({m.tests_run} test(s) passed)" if m.status is Status.SURVIVED else ""
                lines.append((f"  {m.status.value} {m.id} {m.description}{ran}", {"yellow": True}))
                lines.extend((f"    {d}", {}) for d in m.diff.splitlines()[2:])
            if len(undetected) > _SHOWN_SURVIVORS:
                more = len(undetected) - _SHOWN_SURVIVORS
                lines.append((f"  ... and {more} more (all are in --gtguard-meta-report)", {"yellow": True}))
            for r in s.requirements:
                about = f" ({r.text[:60]})" if r.text else ""
                if not r.tests:
                    lines.append((f"requirement {r.req}{about}: no test carries @pytest.mark.req", {"yellow": True}))
                    continue
                lines.append(
                    (
                        f"requirement {r.req}{about}: {r.killed}/{r.covered} mutants caught by {len(r.tests)} test(s)",
                        {},
                    )
                )
        totals = self.coverage.get("totals", {})
        if totals:
            lines.append(
                (
                    f"coverage of the ground truth: lines {totals.get('covered_lines', 0)}/"
                    f"{totals.get('num_statements', 0)}, branches {totals.get('covered_branches', 0)}/"
                    f"{totals.get('num_branches', 0)}",
                    {},
                )
            )
        shown: dict[str, int] = {}
        for f in self.findings:
            shown[f.kind] = shown.get(f.kind, 0) + 1
            if shown[f.kind] <= _SHOWN_FINDINGS:
                where = f"{f.file}:{f.line}" if f.line else f.file
                lines.append((f"finding {f.kind}: {f.test} ({where}) {f.message}", {"yellow": True}))
        for kind, count in shown.items():
            if count > _SHOWN_FINDINGS:
                more = count - _SHOWN_FINDINGS
                lines.append((f"finding {kind}: ... and {more} more (all are in --gtguard-meta-report)", {}))
        if self.timings:
            phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.timings.items())
            lines.append((f"timings: {phases}", {}))
        lines.extend((f"report: {p}", {}) for p in self.report_paths)
        for reason in self.failures:
            lines.append((f"FAILED: {reason}", {"red": True, "bold": True}))
        if self.interrupted:
            lines.append(("meta verdict: INTERRUPTED (partial results)", {"yellow": True, "bold": True}))
        elif not self.failures:
            lines.append(("meta verdict: PASSED", {"green": True, "bold": True}))
        return lines
