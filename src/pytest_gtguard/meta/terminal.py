"""How a meta run reads in the terminal (pure: data in, lines out).

The summary ends with the score block (counts, score, failures, verdict), so the verdict is the last
thing above pytest's closing line; the survivors come before it, summarised per file (worst first) with
a few example diffs: every survivor is in the JSON and HTML reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_gtguard.meta import memorizer_report
from pytest_gtguard.meta.execute import Status, Verdict
from pytest_gtguard.meta.outcome import MetaOutcome
from pytest_gtguard.meta.score import MutantResult

__all__ = [
    "FileScore",
    "Markup",
    "closing_part",
    "file_scores",
    "mutant_progress",
    "progress_bar",
    "summary_lines",
    "verdict",
]

Markup = dict[str, bool]

_DETECTED = (Status.KILLED, Status.TIMEOUT)
_UNDETECTED = (Status.SURVIVED, Status.NO_COVERAGE)
_SHOWN_FILES = 10
_SHOWN_EXAMPLES = 3
_SHOWN_FINDINGS = 10


@dataclass(frozen=True)
class FileScore:
    """One mutated file's share of the run: detected / valid, as the whole run's score."""

    file: str
    detected: int
    valid: int
    counts: dict[Status, int]

    @property
    def undetected(self) -> int:
        """Return survived + no coverage."""
        return self.valid - self.detected

    @property
    def score(self) -> float | None:
        """Return the file's score in percent; None without a valid mutant."""
        return 100.0 * self.detected / self.valid if self.valid else None


def file_scores(mutants: Sequence[MutantResult]) -> list[FileScore]:
    """Return every file's score, worst first (lowest score, then most undetected, then name)."""
    by_file: dict[str, dict[Status, int]] = {}
    for m in mutants:
        counts = by_file.setdefault(m.file, {})
        counts[m.status] = counts.get(m.status, 0) + 1
    scores = []
    for name, counts in by_file.items():
        detected = sum(counts.get(s, 0) for s in _DETECTED)
        valid = detected + sum(counts.get(s, 0) for s in _UNDETECTED)
        scores.append(FileScore(name, detected, valid, counts))
    return sorted(scores, key=lambda f: (101.0 if f.score is None else f.score, -f.undetected, f.file))


def verdict(outcome: MetaOutcome) -> str:
    """Return ``pass``, ``fail`` or ``interrupted``: the word the closing line and the reports use."""
    if outcome.interrupted:
        return "interrupted"
    return "fail" if outcome.failures else "pass"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def closing_part(outcome: MetaOutcome, *, min_score: float) -> tuple[str, int] | None:
    """Return pytest's closing-line entry as (stats key, count): ``22 mutants, meta score 75.0% (pass, min 80%)``.

    pytest prints each stats key as "<number of reports> <key>"; the number is the mutants run, the same
    total as the progress counter's and the summary's. None when no mutant ran (nothing to score).
    """
    if outcome.score is None or not outcome.mutants:
        return None
    count = len(outcome.mutants)
    noun = "mutant" if count == 1 else "mutants"
    return f"{noun}, meta score {_pct(outcome.score.score)} ({verdict(outcome)}, min {min_score:g}%)", count


def progress_bar(done: int, total: int, *, width: int = 30, detected: int = 0, undetected: int = 0) -> str:
    """Return ``[#####.....] 12/40 detected 10 undetected 2``."""
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} detected {detected} undetected {undetected}"


def mutant_progress(reporter: Any, *, total: int, settled: Sequence[Status]) -> Callable[[Verdict], None]:
    """Return the callback that draws the mutant phase's progress; ``total`` counts every sampled mutant.

    ``settled`` are the verdicts known before any child runs (NoCoverage: no test runs the line; Ignored by
    calibration): they count as done from the start, so the counter ends at the total the summary shows.
    """
    counts = {"done": 0, "detected": 0, "undetected": 0, "shown": -1}
    tty = reporter is not None and reporter.isatty

    def count(status: Status) -> None:
        counts["done"] += 1
        counts["detected"] += status in _DETECTED
        counts["undetected"] += status in _UNDETECTED

    def show() -> None:
        if reporter is None:
            return
        tenth = 10 * counts["done"] // max(total, 1)
        if not tty and tenth == counts["shown"]:
            return
        counts["shown"] = tenth
        bar = progress_bar(counts["done"], total, detected=counts["detected"], undetected=counts["undetected"])
        reporter.write(("\r" if tty else "\n") + "gtguard meta: mutants " + bar, flush=True)
        if counts["done"] == total:
            reporter.write("\n")

    for status in settled:
        count(status)
    if settled and counts["done"] == total:
        show()  # no child to wait for: draw the finished bar once

    def on_verdict(result: Verdict) -> None:
        count(result.status)
        show()

    return on_verdict


def summary_lines(outcome: MetaOutcome, *, min_score: float) -> list[tuple[str, Markup]]:
    """Return the terminal summary as (line, markup) pairs, the score block last."""
    lines: list[tuple[str, Markup]] = []
    if outcome.baseline_failed:
        failing = ", ".join(outcome.baseline_failed)
        lines.append((f"baseline: the suite must pass on the ground truth; failing: {failing}", {"red": True}))
    if outcome.sentinel:
        lines.append((f"sentinel: {outcome.sentinel}", {}))
    lines.extend((f"note: {note}", {"yellow": True}) for note in outcome.notes)
    for v in outcome.variants:
        by = f" by {v.killed_by}" if v.killed_by else ""
        lines.append((f"variant {v.name} -> {v.target}: {v.status.value}{by}", {"green" if v.caught else "red": True}))
    lines.extend(memorizer_report.summary_lines(outcome.memorizers))
    if outcome.score is not None:
        for r in outcome.score.requirements:
            about = f" ({r.text[:60]})" if r.text else ""
            if not r.tests:
                lines.append((f"requirement {r.req}{about}: no test carries @pytest.mark.req", {"yellow": True}))
            else:
                caught = f"{r.killed}/{r.covered} mutants caught by {len(r.tests)} test(s)"
                lines.append((f"requirement {r.req}{about}: {caught}", {}))
    totals = outcome.coverage.get("totals", {})
    if totals:
        lines.append(
            (
                f"coverage of the ground truth: lines {totals.get('covered_lines', 0)}/"
                f"{totals.get('num_statements', 0)}, branches {totals.get('covered_branches', 0)}/"
                f"{totals.get('num_branches', 0)}",
                {},
            )
        )
    lines.extend(_findings(outcome))
    lines.extend(_survivors(outcome))
    if outcome.timings:
        phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in outcome.timings.items())
        lines.append((f"timings: {phases}", {}))
    lines.extend((f"report: {p}", {}) for p in outcome.report_paths)
    lines.extend(_score_block(outcome, min_score=min_score))
    return lines


def _findings(outcome: MetaOutcome) -> list[tuple[str, Markup]]:
    lines: list[tuple[str, Markup]] = []
    shown: dict[str, int] = {}
    for f in outcome.findings:
        shown[f.kind] = shown.get(f.kind, 0) + 1
        if shown[f.kind] <= _SHOWN_FINDINGS:
            where = f"{f.file}:{f.line}" if f.line else f.file
            lines.append((f"finding {f.kind}: {f.test} ({where}) {f.message}", {"yellow": True}))
    for kind, count in shown.items():
        if count > _SHOWN_FINDINGS:
            more = count - _SHOWN_FINDINGS
            lines.append((f"finding {kind}: ... and {more} more (all are in --gtguard-meta-report)", {}))
    return lines


def _survivors(outcome: MetaOutcome) -> list[tuple[str, Markup]]:
    """Per file with undetected mutants (worst first): count and score; then a few example diffs."""
    worst = [f for f in file_scores(outcome.mutants) if f.undetected]
    if not worst:
        return []
    total = sum(f.undetected for f in worst)
    lines: list[tuple[str, Markup]] = [(f"undetected mutants: {total} in {len(worst)} file(s), worst first", {})]
    for f in worst[:_SHOWN_FILES]:
        kinds = ", ".join(f"{s.value} {f.counts[s]}" for s in _UNDETECTED if f.counts.get(s))
        lines.append(
            (
                f"  {f.file}: {f.undetected} undetected ({kinds}), score {_pct(f.score)} ({f.detected}/{f.valid})",
                {"yellow": True},
            )
        )
    if len(worst) > _SHOWN_FILES:
        lines.append((f"  ... and {len(worst) - _SHOWN_FILES} more file(s)", {}))
    examples = _examples(outcome.mutants, [f.file for f in worst])
    where = "the report files" if outcome.report_paths else "--gtguard-meta-report DIR"
    lines.append((f"examples ({len(examples)} of {total}; every one is in {where}):", {}))
    for m in examples:
        ran = f" ({m.tests_run} test(s) passed)" if m.status is Status.SURVIVED else ""
        lines.append((f"  {m.status.value} {m.id} {m.description}{ran}", {"yellow": True}))
        lines.extend((f"    {d}", {}) for d in m.diff.splitlines()[2:])
    return lines


def _examples(mutants: Sequence[MutantResult], files: Sequence[str]) -> list[MutantResult]:
    """Return a few undetected mutants, one per file in ``files`` order, Survived before NoCoverage."""
    per_file: dict[str, list[MutantResult]] = {}
    for m in mutants:
        if m.status in _UNDETECTED:
            per_file.setdefault(m.file, []).append(m)
    for found in per_file.values():
        found.sort(key=lambda m: m.status is not Status.SURVIVED)  # stable: source order within a status
    chosen: list[MutantResult] = []
    depth = 0
    while len(chosen) < _SHOWN_EXAMPLES and any(len(per_file.get(f, [])) > depth for f in files):
        chosen.extend(per_file[f][depth] for f in files if len(per_file.get(f, [])) > depth)
        depth += 1
    return chosen[:_SHOWN_EXAMPLES]


def _score_block(outcome: MetaOutcome, *, min_score: float) -> list[tuple[str, Markup]]:
    lines: list[tuple[str, Markup]] = []
    s = outcome.score
    if s is not None:
        counts = ", ".join(f"{st.value} {n}" for st, n in s.counts.items() if n)
        mutation_s = outcome.timings.get("mutation", 0.0)
        rate = f"; {len(outcome.mutants) / mutation_s:.0f} mutants/s" if mutation_s else ""
        if outcome.child_cpu_ms:
            rate += f", median child CPU {outcome.child_cpu_ms['median']:.1f} ms"
        lines.append(
            (
                f"mutants: {len(outcome.mutants)} of {outcome.generated} generated "
                f"({outcome.tce_dropped} duplicates dropped): {counts}{rate}",
                {},
            )
        )
        score_line = f"mutation score: {_pct(s.score)} ({s.detected}/{s.valid}), minimum {min_score:g}%"
        lines.append((score_line, {"bold": True}))
    for reason in outcome.failures:
        lines.append((f"FAILED: {reason}", {"red": True, "bold": True}))
    if outcome.interrupted:
        lines.append(("meta verdict: INTERRUPTED (partial results)", {"yellow": True, "bold": True}))
    elif not outcome.failures:
        lines.append(("meta verdict: PASSED", {"green": True, "bold": True}))
    else:
        lines.append(("meta verdict: FAILED", {"red": True, "bold": True}))
    return lines
