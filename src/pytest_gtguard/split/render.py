"""Render a split for a person: the lists' sizes, the problems and what to fix, readable in five seconds."""

from __future__ import annotations

from pytest_gtguard.split.causes import ENVIRONMENT_GAPS
from pytest_gtguard.split.classify import Category
from pytest_gtguard.split.runner import RunOutcome
from pytest_gtguard.split.session import SplitResult
from pytest_gtguard.split.verdict import Severity

__all__ = ["progress_line", "summary_lines"]

_SHOWN = 8  # tests named per problem; the report has them all


def progress_line(outcome: RunOutcome) -> str:
    """Return one line for a finished run."""
    spec, results = outcome.spec, outcome.results
    if results is None:
        state = outcome.error or f"exit {outcome.returncode}"
    else:
        counts: dict[str, int] = {}
        for record in results.tests.values():
            counts[record.outcome.value] = counts.get(record.outcome.value, 0) + 1
        state = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no tests"
        if results.collect_errors:
            state += f", {len(results.collect_errors)} collection error(s)"
    return (
        f"gtguard: {spec.side} run {spec.index + 1} (PYTHONHASHSEED={spec.hash_seed}"
        f"{'' if spec.order_seed is None else f', order {spec.order_seed}'}): {state} "
        f"in {outcome.duration:.2f}s"
    )


def summary_lines(result: SplitResult, *, update_instance: bool = False) -> list[tuple[str, dict[str, bool]]]:
    """Return (text, markup) lines: the counts, the verdict, then each problem with its fix.

    ``update_instance``: --gtguard-update-instance was given, so a file left unwritten is said (issue 15).
    """
    split = result.split
    counts = [(c, len(split.ids(c))) for c in Category]
    lines: list[tuple[str, dict[str, bool]]] = [
        (
            "  ".join(f"{c.value} {n}" for c, n in counts if n or c in (Category.FAIL_TO_PASS, Category.PASS_TO_PASS)),
            {"bold": True},
        ),
    ]
    for error in split.collect_errors:
        if error.side == "before":  # expected on a greenfield side, so a note; on after it is a problem
            lines.append(
                (
                    f"before: {error.collector or 'the run'} does not load: {error.site}; "
                    f"its {error.tests} test(s) count as failing on before",
                    {},
                )
            )
    for problem in result.verdict.problems:
        color = {"red": True} if problem.severity is Severity.ERROR else {"yellow": True}
        lines.append((f"{problem.severity.value.upper()} {problem.code}: {problem.message}", color))
        for nodeid in problem.tests[:_SHOWN]:
            lines.append((f"    {nodeid}", {}))
        if len(problem.tests) > _SHOWN:
            lines.append((f"    ... and {len(problem.tests) - _SHOWN} more (see the report)", {}))
        lines.append((f"    fix: {problem.fix}", {}))
    if result.instance_updated and result.instance is not None:
        lines.append((f"wrote FAIL_TO_PASS and PASS_TO_PASS to {result.instance.path}", {"green": True}))
    elif update_instance and not result.write_errors:
        # An error when the verdict already is one (unreadable file, crashed run); no file to update is not.
        level, tone = ("ERROR", "red") if result.exit_code else ("WARNING", "yellow")
        lines.append((f"{level} --gtguard-update-instance wrote nothing: {_not_updated(result)}", {tone: True}))
    if result.report_path is not None:
        lines.append((f"report: {result.report_path}", {}))
        if not result.write_errors:
            from pytest_gtguard.split.html import html_path

            lines.append((f"page:   {html_path(result.report_path)}", {}))
    # One line each, next to the verdict: the runs' work is done and shown; only the file is missing.
    lines.extend((f"ERROR {err}", {"red": True}) for err in result.write_errors)
    verdict = "task valid" if result.verdict.valid else "task INVALID"
    if result.write_errors:
        verdict += f"; {len(result.write_errors)} file(s) not written"
    lines.append(
        (
            f"gtguard split: {verdict} (exit {int(result.exit_code)})",
            {"green": True, "bold": True} if result.exit_code == 0 else {"red": True, "bold": True},
        )
    )
    return lines


def _not_updated(result: SplitResult) -> str:
    """Say why the instance file was not updated: it cannot be read, there is none, or a run crashed."""
    unreadable = next((p for p in result.verdict.problems if p.code == "INSTANCE_INVALID_JSON"), None)
    if unreadable is not None:
        return unreadable.message  # the file, the parse error and its fix
    if result.instance is None:
        return "the task has no instance file; add instances/instance.json (`gtguard init` writes one)"
    gap = next((p.code for p in result.verdict.problems if p.code in ENVIRONMENT_GAPS), None)
    if gap is not None:
        return f"{result.instance.path}: the environment lacks what the tests need; see {gap} above"
    unknown = len(result.split.ids(Category.UNKNOWN))
    if unknown and not result.verdict.crashed:
        return f"{result.instance.path}: {unknown} test(s) are unknown, so the lists are incomplete; see UNKNOWN above"
    return f"{result.instance.path}: a run crashed, so the lists are incomplete; fix the crash and run again"
