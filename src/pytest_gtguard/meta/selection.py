"""Which tests run against a mutant, in which order, and the mutant's result record (pure)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pytest_gtguard.meta import mutate
from pytest_gtguard.meta.execute import Status, Verdict
from pytest_gtguard.meta.score import MutantResult

__all__ = ["covering_map", "mutant_result", "tests_for"]


def covering_map(raw: Mapping[str, Mapping[str, list[str]]] | None) -> dict[str, dict[int, set[str]]] | None:
    """Turn the baseline's ``{file: {"line": [test ids]}}`` into ``{file: {line: {test ids}}}``."""
    if raw is None:
        return None
    return {f: {int(line): set(tests) for line, tests in lines.items()} for f, lines in raw.items()}


def tests_for(m: mutate.Mutant, covering: dict[str, dict[int, set[str]]] | None, by_speed: Sequence[str]) -> list[str]:
    """Return the tests to run against ``m``: those that ran its lines, likeliest killers first.

    Tests named after the mutated function come first (``test_clamp_*`` for ``clamp``), then by baseline
    duration: a static order, so the killing test does not depend on scheduling.
    """
    if covering is None:
        chosen = list(by_speed)  # no coverage data: every test
    else:
        lines = covering.get(os.path.realpath(m.site.file.path), {})
        hit: set[str] = set()
        for line in range(m.line, m.end_line + 1):
            hit |= lines.get(line, set())
        chosen = [t for t in by_speed if t in hit]
    name = m.site.name.strip("_").lower()
    return sorted(chosen, key=lambda t: name not in t.rsplit("::", 1)[-1].lower())  # stable: speed order kept


def mutant_result(m: mutate.Mutant, verdict: Verdict | None, tests: Sequence[str]) -> MutantResult:
    """Return the report record of ``m``; no verdict means no test ran its lines (NoCoverage)."""
    status = verdict.status if verdict else Status.NO_COVERAGE
    reason = verdict.reason if verdict else "no test runs this line"
    return MutantResult(
        m.id,
        m.site.file.relpath,
        m.operator,
        m.description,
        m.line,
        m.column,
        m.end_line,
        m.end_column,
        m.replacement,
        m.diff(),
        status,
        tuple(tests),
        verdict.killed_by if verdict else None,
        verdict.tests_run if verdict else 0,
        reason,
        (verdict.duration_s * 1000) if verdict else 0.0,
    )
