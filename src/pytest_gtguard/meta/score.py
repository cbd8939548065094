"""Turn verdicts into a score, a kill matrix, per-test and per-requirement results, and a verdict."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pytest_gtguard.meta.execute import Status

__all__ = ["MetaScore", "MutantResult", "RequirementResult", "VariantResult", "requirement_key", "score"]

_DETECTED = (Status.KILLED, Status.TIMEOUT)
_UNDETECTED = (Status.SURVIVED, Status.NO_COVERAGE)


@dataclass(frozen=True)
class MutantResult:
    """One mutant's outcome, with what the report needs to show it."""

    id: str
    file: str
    operator: str
    description: str
    line: int
    column: int
    end_line: int
    end_column: int
    replacement: str
    diff: str
    status: Status
    covered_by: tuple[str, ...]
    killed_by: str | None
    tests_run: int
    reason: str
    duration_ms: float


@dataclass(frozen=True)
class VariantResult:
    """A hand-written variant's outcome: it must be killed (Killed or Timeout)."""

    name: str
    target: str
    origin: str
    status: Status
    killed_by: str | None
    reason: str

    @property
    def caught(self) -> bool:
        """Return True when the suite detected the variant."""
        return self.status in _DETECTED


@dataclass(frozen=True)
class RequirementResult:
    """Mutants and variants detected by the tests that carry one ``@pytest.mark.req`` id."""

    req: str
    tests: tuple[str, ...]
    covered: int
    killed: int
    text: str = ""  # the requirement as the task's instance file words it


@dataclass(frozen=True)
class MetaScore:
    """Metrics as defined by mutation-testing-report-schema (score = detected / valid)."""

    counts: Mapping[Status, int]
    score: float | None  # percent; None when there is no valid mutant
    covered_score: float | None
    kills_by_test: Mapping[str, int]
    runs_by_test: Mapping[str, int]
    requirements: tuple[RequirementResult, ...] = field(default=())

    @property
    def detected(self) -> int:
        """Return killed + timeout."""
        return sum(self.counts.get(s, 0) for s in _DETECTED)

    @property
    def valid(self) -> int:
        """Return detected + survived + no coverage."""
        return self.detected + sum(self.counts.get(s, 0) for s in _UNDETECTED)

    def idle_tests(self) -> list[str]:
        """Return tests that ran against mutants and never killed one, sorted."""
        return sorted(t for t, runs in self.runs_by_test.items() if runs and not self.kills_by_test.get(t))


def score(
    mutants: Sequence[MutantResult],
    *,
    requirements: Mapping[str, Sequence[str]] | None = None,
    listed: Sequence[str] = (),
    variants: Sequence[VariantResult] = (),
) -> MetaScore:
    """Compute the metrics, kills per test and per-requirement results."""
    counts = dict.fromkeys(Status, 0)
    kills: dict[str, int] = {}
    runs: dict[str, int] = {}
    for mutant in mutants:
        counts[mutant.status] += 1
        for test in mutant.covered_by[: mutant.tests_run]:
            runs[test] = runs.get(test, 0) + 1
        if mutant.status is Status.KILLED and mutant.killed_by:
            kills[mutant.killed_by] = kills.get(mutant.killed_by, 0) + 1
    for variant in variants:
        if variant.status is Status.KILLED and variant.killed_by:
            kills[variant.killed_by] = kills.get(variant.killed_by, 0) + 1
    detected = counts[Status.KILLED] + counts[Status.TIMEOUT]
    valid = detected + counts[Status.SURVIVED] + counts[Status.NO_COVERAGE]
    covered = detected + counts[Status.SURVIVED]
    by_key: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for req, tests in (requirements or {}).items():
        by_key.setdefault(requirement_key(req), []).extend(tests)
        names.setdefault(requirement_key(req), req)
    texts: dict[str, str] = {}
    for text in listed:
        key = requirement_key(text)
        texts[key] = text
        names.setdefault(key, key)
    reqs = tuple(
        _requirement(names[key], tuple(by_key.get(key, ())), mutants, texts.get(key, ""))
        for key in sorted(names, key=_natural)
    )
    return MetaScore(
        counts=counts,
        score=100.0 * detected / valid if valid else None,
        covered_score=100.0 * detected / covered if covered else None,
        kills_by_test=kills,
        runs_by_test=runs,
        requirements=reqs,
    )


def requirement_key(text: str) -> str:
    """Return the id a requirement is matched by: "3. Must ...", "R3", "req3" and "3" all give "3"."""
    match = re.match(r"\s*(?:req(?:uirement)?|r)?[\s_#-]*(\d+)\b", text, re.IGNORECASE)
    return match.group(1) if match else text.strip().lower()


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 30, key)


def _requirement(req: str, tests: tuple[str, ...], mutants: Sequence[MutantResult], text: str) -> RequirementResult:
    owned = set(tests)
    covered = [m for m in mutants if owned.intersection(m.covered_by)]
    killed = [m for m in covered if m.status is Status.TIMEOUT or (m.killed_by in owned)]
    return RequirementResult(req, tests, len(covered), len(killed), text)


def failures(result: MetaScore, variants: Sequence[VariantResult], *, min_score: float) -> list[str]:
    """Return the reasons the run fails: a surviving hand-written variant, or a score under ``min_score``."""
    reasons = [
        f"hand-written variant {v.name} ({v.target}) was not caught: {v.status.value}" for v in variants if not v.caught
    ]
    if result.score is not None and result.score < min_score:
        reasons.append(f"mutation score {result.score:.1f}% is under --gtguard-meta-min-score {min_score:g}%")
    return reasons
