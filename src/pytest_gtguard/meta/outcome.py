"""What a meta run found (the terminal text is in ``terminal``, the report files in ``report``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_gtguard.meta import smells
from pytest_gtguard.meta.memorizer_report import MemorizerResult
from pytest_gtguard.meta.score import MetaScore, MutantResult, VariantResult

__all__ = ["MetaOutcome"]


@dataclass
class MetaOutcome:
    """Everything a meta run found; ``terminal.summary_lines`` renders it."""

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
