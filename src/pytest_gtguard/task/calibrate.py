"""``gtguard calibrate``: is the task hard enough? Run its tests against model attempts and judge.

The handbook keeps a prompt when the target model fails it in at least 2 of 5 attempts while a
stronger model solves it. Every attempt is graded by ``gtguard grade``'s grader (``reward/``): in its
own sandboxed workspace, never inside the task, so one attempt cannot change another's result.

Verdicts for ``n`` target attempts of which ``c`` pass (the 5-attempt rule, scaled):

* Too Hot: the target passes more than 3/5 of its attempts (``5c > 3n``; 4 or 5 of 5).
* Goldilocks: otherwise, and at least one reference attempt passes.
* Too Cold: otherwise, and every reference attempt fails.
* Undecided: otherwise, and no reference was given.

An attempt is a solution folder laid out like repository_after, or a ``.patch``/``.diff`` against
repository_before (what a model usually returns); a patch is applied to a temporary copy of before.

An attempt passes when its grade is ``resolved``: every expected test passed strictly, and no canary,
integrity or sandbox signal says it tampered with the grader. pass@k uses the unbiased estimator of
Chen et al. (2021): 1 - C(n-c, k) / C(n, k).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.reward.model import Grade, Status
from pytest_gtguard.task.patch import PATCH_SUFFIXES
from pytest_gtguard.task.trees import describe_missing

__all__ = [
    "AttemptResult",
    "Calibration",
    "Verdict",
    "attempt_dirs",
    "calibrate",
    "from_grade",
    "judge",
    "pass_at_k",
]

_QUIET = frozenset({"weak-isolation", "not-passed"})
_HOT_NUM, _HOT_DEN = 3, 5  # "passes 4-5 of 5" == pass rate above 3/5
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".pytest_cache", "node_modules"})


class Verdict(enum.Enum):
    """The handbook's calibration verdict."""

    TOO_HOT = "Too Hot"
    GOLDILOCKS = "Goldilocks"
    TOO_COLD = "Too Cold"
    UNDECIDED = "Undecided"


@dataclass(frozen=True)
class AttemptResult:
    """One attempt's run: whether it solved the task, and which tests failed."""

    name: str
    path: Path
    passed: bool
    counts: Mapping[str, int]
    failing: tuple[str, ...]
    returncode: int
    error: str | None = None
    status: str = ""  # the grade's status: resolved, unresolved, tamper, invalid or error

    def to_json(self) -> dict[str, object]:
        """Return a JSON-able dict."""
        return {
            "name": self.name,
            "path": str(self.path),
            "passed": self.passed,
            "counts": dict(self.counts),
            "failing": list(self.failing),
            "returncode": self.returncode,
            "status": self.status,
            "error": self.error,
        }


@dataclass(frozen=True)
class Calibration:
    """All attempt results, pass@k and the verdict."""

    task: Path
    attempts: tuple[AttemptResult, ...]
    references: tuple[AttemptResult, ...]
    pass_at: Mapping[int, float]
    verdict: Verdict

    def to_json(self) -> dict[str, object]:
        """Return the ``--json`` document."""
        return {
            "task": str(self.task),
            "verdict": self.verdict.value,
            "target_passed": sum(a.passed for a in self.attempts),
            "target_attempts": len(self.attempts),
            "pass_at_k": {str(k): round(v, 4) for k, v in self.pass_at.items()},
            "attempts": [a.to_json() for a in self.attempts],
            "references": [a.to_json() for a in self.references],
        }


def pass_at_k(n: int, c: int, k: int) -> float:
    """Return the unbiased pass@k estimate from ``c`` passing samples out of ``n``.

    Raises:
        ValueError: unless 0 <= c <= n and 1 <= k <= n.
    """
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def judge(target: Sequence[bool], reference: Sequence[bool]) -> Verdict:
    """Return the verdict for target attempt outcomes and (possibly no) reference outcomes."""
    n, c = len(target), sum(target)
    if n and _HOT_DEN * c > _HOT_NUM * n:
        return Verdict.TOO_HOT
    if not reference:
        return Verdict.UNDECIDED
    return Verdict.GOLDILOCKS if any(reference) else Verdict.TOO_COLD


def attempt_dirs(folder: Path) -> list[Path]:
    """Return the attempts inside ``folder`` (sorted by name): solution folders, or patch files.

    A ``.patch``/``.diff`` file is a model's answer as a diff against repository_before; it is
    applied to a temporary copy of before when the attempt runs.

    Raises:
        ConfigError: ``folder`` is missing or holds no attempts.
    """
    if not folder.is_dir():
        raise ConfigError(
            f"--attempts {folder}: {describe_missing(folder)}; pass a folder holding one folder per attempt"
        )
    found = sorted(
        p
        for p in folder.iterdir()
        if (p.is_dir() or p.suffix in PATCH_SUFFIXES) and p.name not in _SKIP_DIRS and not p.name.startswith(".")
    )
    if not found:
        raise ConfigError(
            f"--attempts {folder}: holds no attempts; put each attempt's code in its own folder "
            "(attempt-1/, attempt-2/, ...) laid out like repository_after/, or its diff as attempt-1.patch"
        )
    return found


def from_grade(grade: Grade, attempt: Path) -> AttemptResult:
    """Return the calibration row of one attempt graded by ``gtguard grade``'s grader.

    Only a ``resolved`` grade is a pass: a tampering attempt is not an honest pass and does not count
    towards pass@k or the verdict.
    """
    counts: dict[str, int] = {}
    for outcome in grade.tests.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    failing = tuple(sorted(n for n, o in grade.tests.items() if o != "passed"))
    passed = grade.status is Status.RESOLVED
    shown = [s for s in grade.signals if s.is_tamper] or [s for s in grade.signals if s.code not in _QUIET]
    error = None if passed else "; ".join(f"{s.code}: {s.detail}" for s in shown[:3]) or grade.status.value
    return AttemptResult(
        attempt.stem if attempt.suffix in PATCH_SUFFIXES else attempt.name,
        attempt,
        passed,
        counts,
        failing,
        0 if passed else 1,
        error=error,
        status=grade.status.value,
    )


def calibrate(
    task: Path,
    attempts: Sequence[Path],
    references: Sequence[Path] = (),
    *,
    ks: Sequence[int] = (),
    jobs: int = 1,
    run: Callable[[Path], AttemptResult],
) -> Calibration:
    """Run every attempt (``jobs`` at a time) with ``run`` and return the calibration.

    Raises:
        ConfigError: no run wrote results (pytest or pytest-gtguard missing from the Python used, a bad
            conftest): a verdict from such runs would blame the model for a broken set-up.
    """
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(run, [*attempts, *references]))
    if all(r.status == Status.ERROR.value for r in results):
        raise ConfigError(
            f"no attempt could be graded, so there is nothing to judge; the first one says: {results[0].error}. "
            "Check that `pytest --after` works in the task and that `gtguard grade TASK repository_after` passes"
        )
    target, reference = results[: len(attempts)], results[len(attempts) :]
    n, c = len(target), sum(a.passed for a in target)
    wanted = sorted({k for k in (1, *ks, n) if 1 <= k <= n})
    return Calibration(
        task,
        tuple(target),
        tuple(reference),
        {k: pass_at_k(n, c, k) for k in wanted},
        judge([a.passed for a in target], [a.passed for a in reference]),
    )
