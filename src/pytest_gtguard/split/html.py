"""Render the split's report (the dict written as report.json) as one self-contained HTML page.

Verdict first, then the problems with their fixes, the lists, the tests whose runs disagree, the grid
of test x run outcomes, the failure text of tests that fail on after, and the runs. Pure: the report
in, a string out; inline style, no external resource, and a small optional filter script.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_gtguard import _atomic
from pytest_gtguard.split.html_parts import (
    CATEGORY_ORDER,
    CSS,
    FILTER_JS,
    category_of,
    details,
    esc,
    outcome_cell,
    table,
)

__all__ = ["html_path", "render_html", "write_html"]

_TITLES = {
    "FAIL_TO_PASS": "FAIL_TO_PASS: fail on before, pass on after",
    "PASS_TO_PASS": "PASS_TO_PASS: pass on both sides",
    "PASS_TO_FAIL": "PASS_TO_FAIL: regressions (pass on before, fail on after)",
    "FAIL_TO_FAIL": "FAIL_TO_FAIL: fail on both sides",
    "flaky": "flaky: a side's runs disagree",
    "side_independent": "side-independent: used the other side's code",
    "other": "other: skipped, xfailed or missing on a side",
    "unknown": "unknown: no evidence either way",
}
_OPEN_UP_TO = 40  # a list longer than this starts folded
_SIDES = ("before", "after")


def html_path(report_path: Path) -> Path:
    """Return where the page for ``report_path`` goes: report.json -> report.html, beside it."""
    if report_path.suffix == ".json":
        return report_path.with_suffix(".html")
    return report_path.with_name(report_path.name + ".html")


def write_html(report: Mapping[str, Any], path: Path, *, alternative: str = "") -> None:
    """Write the page atomically.

    Raises:
        WriteError: the page cannot be written (``path`` is left as it was).
    """
    _atomic.write_text(path, render_html(report), alternative=alternative)


def render_html(report: Mapping[str, Any]) -> str:
    """Return the whole page for ``report`` (see docs/reports.md for what each section shows)."""
    split = report.get("split") or {}
    results = report.get("results") or {}
    categories = category_of(split)
    task = str(report.get("task") or "")
    name = Path(task).name or "task"
    body = [
        f"<h1>gtguard split: {esc(name)}</h1>",
        _meta(report, results),
        _verdict(report, results),
        _chips(split, categories),
        "<h2>Problems</h2>",
        _problems(report.get("problems") or []),
        "<h2>Lists</h2>",
        _lists(split),
        "<h2>Flaky and side-independent tests</h2>",
        _disagreeing(results, categories, split),
        "<h2>Every test in every run</h2>",
        _grid(results, categories),
        "<h2>Failures on after</h2>",
        _failures(results),
        _collect_errors(split.get("collect_errors") or []),
        "<h2>Runs</h2>",
        _runs(results),
        _environment(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>gtguard split: {esc(name)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{FILTER_JS}</script>\n</body></html>\n"
    )


def _meta(report: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    runs = {side: len((results.get(side) or {}).get("runs") or []) for side in _SIDES}
    parts = [
        f"task <code>{esc(report.get('task'))}</code>",
        f"started {esc(_when(str(report.get('started_at') or '')))}",
        f"{esc(report.get('duration_seconds'))} s",
        f"{runs['before']} before run(s), {runs['after']} after run(s)",
    ]
    instance, task = str(report.get("instance") or ""), str(report.get("task") or "")
    if instance:  # relative to the task when inside it
        shown = instance[len(task) :].lstrip("/\\") if task and instance.startswith(task) else instance
        parts.append(f"instance <code>{esc(shown)}</code>")
    return f'<div class="meta">{" · ".join(parts)}</div>'


def _when(iso: str) -> str:
    """Return an ISO 8601 time as ``2026-12-02 15:34:28 UTC`` (the report keeps the exact one)."""
    return iso[:19].replace("T", " ") + (" UTC" if iso.endswith("+00:00") else "")


def _verdict(report: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    problems = report.get("problems") or []
    errors = [p for p in problems if p.get("severity") == "error"]
    crashed = any(
        run.get("error") or run.get("signal") for side in _SIDES for run in (results.get(side) or {}).get("runs") or []
    )
    if report.get("success"):
        tone, head = "valid", "Task valid"
        line = "every run finished; no error-severity problem"
        warnings = len(problems) - len(errors)
        if warnings:
            line += f"; {warnings} warning(s) below"
    else:
        tone = "crashed" if crashed else "invalid"
        head = "Task INVALID: a run did not finish" if crashed else "Task INVALID"
        codes = ", ".join(dict.fromkeys(str(p.get("code")) for p in errors))
        line = f"{len(errors)} error(s): {codes}" if errors else str(report.get("error") or "see the problems below")
        if len(problems) > len(errors):
            line += f"; {len(problems) - len(errors)} warning(s)"
    return f'<div class="verdict {tone}"><b>{esc(head)}</b>{esc(line)}</div>'


def _chips(split: Mapping[str, Any], categories: Mapping[str, str]) -> str:
    counts = dict.fromkeys(CATEGORY_ORDER, 0)
    for category in categories.values():
        counts[category] += 1
    shown = sorted(CATEGORY_ORDER, key=lambda c: (c not in ("FAIL_TO_PASS", "PASS_TO_PASS"), CATEGORY_ORDER.index(c)))
    chips = [
        f'<a class="chip {esc(c)}{"" if counts[c] else " zero"}" href="#list-{esc(c)}">{esc(c)}<b>{counts[c]}</b></a>'
        for c in shown
    ]
    return f'<div class="chips">{"".join(chips)}</div>'


def _problems(problems: Sequence[Mapping[str, Any]]) -> str:
    if not problems:
        return '<p class="empty">No problems.</p>'
    out = []
    for problem in problems:
        severity = str(problem.get("severity") or "warning")
        tests = list(problem.get("tests") or [])
        listed = _id_list(tests)
        if len(tests) > 10:
            listed = details(f"{len(tests)} tests", listed)
        out.append(
            f'<div class="problem {esc(severity)}"><span class="sev">{esc(severity)}</span>'
            f'<span class="code">{esc(problem.get("code"))}</span>'
            f"<pre>{esc(problem.get('message'))}</pre>{listed if tests else ''}"
            f'<div class="fix">{esc(problem.get("fix"))}</div></div>'
        )
    return "\n".join(out)


def _id_list(ids: Sequence[str], reasons: Mapping[str, str] | None = None) -> str:
    items = []
    for nodeid in ids:
        reason = (reasons or {}).get(nodeid)
        tail = f' <span class="meta">{esc(reason)}</span>' if reason else ""
        items.append(f'<li><span class="id">{esc(nodeid)}</span>{tail}</li>')
    return f'<ul class="ids">{"".join(items)}</ul>'


def _lists(split: Mapping[str, Any]) -> str:
    out = []
    for category in ("FAIL_TO_PASS", "PASS_TO_PASS", *CATEGORY_ORDER[:6]):
        entries = split.get(category) or ()
        if category == "unknown":
            reasons = {e["id"]: e.get("reason", "") for e in entries}
            ids = list(reasons)
        else:
            reasons = dict(entries) if isinstance(entries, Mapping) else {}
            ids = list(entries)
        body = _id_list(ids, reasons) if ids else '<p class="empty">none</p>'
        title = f"{_TITLES[category]} ({len(ids)})"
        out.append(f'<div id="list-{esc(category)}">{details(title, body, open_=0 < len(ids) <= _OPEN_UP_TO)}</div>')
    return "\n".join(out)


def _flips(outcomes: Sequence[str]) -> list[bool]:
    """Mark the runs of one side that disagree with the rest on pass or not pass (the minority)."""
    passes = [o == "passed" for o in outcomes]
    if len(set(passes)) < 2:
        return [False] * len(outcomes)
    minority = passes.count(True) < passes.count(False) or (passes.count(True) == passes.count(False) and not passes[0])
    return [p == minority for p in passes]


def _side_runs(results: Mapping[str, Any], *, counted: bool = False) -> dict[str, list[Mapping[str, Any]]]:
    """Return each side's runs; ``counted``: only those whose outcomes the tests' lists hold (the grid's columns)."""
    runs = {side: list((results.get(side) or {}).get("runs") or []) for side in _SIDES}
    if counted:
        return {side: [r for r in found if r.get("counted", True)] for side, found in runs.items()}
    return runs


def _by_test(results: Mapping[str, Any]) -> dict[str, dict[str, Mapping[str, Any]]]:
    """Map each test id to its entry on each side."""
    found: dict[str, dict[str, Mapping[str, Any]]] = {}
    for side in _SIDES:
        for test in (results.get(side) or {}).get("tests") or []:
            found.setdefault(str(test.get("nodeid")), {})[side] = test
    return found


def _run_number(position: int, runs: Sequence[Mapping[str, Any]]) -> int:
    """Return the run number (1, 2, ...) of the grid's ``position``-th column of a side."""
    return int(runs[position].get("index") or 0) + 1 if position < len(runs) else position + 1


def _run_title(side: str, position: int, runs: Sequence[Mapping[str, Any]]) -> str:
    title = f"{side} run {_run_number(position, runs)}"
    if position < len(runs):
        run = runs[position]
        title += f", PYTHONHASHSEED={run.get('hash_seed')}"
        if run.get("order_seed") is not None:
            title += f", order {run.get('order_seed')}"
        if run.get("traced"):
            title += ", traced"
    return title


def _outcome_cells(
    entries: Mapping[str, Mapping[str, Any]], widths: Mapping[str, int], runs: Mapping[str, Sequence[Any]]
) -> list[str]:
    cells = []
    for side in _SIDES:
        outcomes = [str(o) for o in (entries.get(side) or {}).get("outcomes") or []]
        outcomes += ["missing"] * (widths[side] - len(outcomes))
        for i, (outcome, flip) in enumerate(zip(outcomes, _flips(outcomes), strict=True)):
            title = f"{_run_title(side, i, runs[side])}: {outcome}"
            cells.append(outcome_cell(outcome, title=title, flip=flip, sep=i == 0))
    return cells


def _grid_head(widths: Mapping[str, int], runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Return the run columns' headings: b1, b2, ... then a1, a2, ... (a marked first heading opens a side)."""
    return [
        f"{'|' if i == 0 else ''}{side[0]}{_run_number(i, runs[side])}" for side in _SIDES for i in range(widths[side])
    ]


def _uncounted(results: Mapping[str, Any]) -> str:
    """Say which runs have no column: they ended without results (the Runs table says how)."""
    missing = [
        f"{side} run {int(r.get('index') or 0) + 1}"
        for side, runs in _side_runs(results).items()
        for r in runs
        if not r.get("counted", True)
    ]
    if not missing:
        return ""
    return f'<p class="meta">No column for {esc(", ".join(missing))}: no results (see Runs below).</p>'


def _widths(tests: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, int]:
    return {
        side: max((len(e.get(side, {}).get("outcomes") or []) for e in tests.values()), default=0) for side in _SIDES
    }


def _disagreeing(results: Mapping[str, Any], categories: Mapping[str, str], split: Mapping[str, Any]) -> str:
    tests = _by_test(results)
    widths, runs = _widths(tests), _side_runs(results, counted=True)
    chosen = [n for n in sorted(tests) if categories.get(n) in ("flaky", "side_independent")]
    if not chosen:
        return '<p class="empty">No flaky or side-independent test: every side\'s runs agree.</p>'
    rows = []
    for nodeid in sorted(chosen, key=lambda n: (categories[n], n)):
        reason = (split.get(categories[nodeid]) or {}).get(nodeid, "")
        rows.append(
            [
                f'<td class="id">{esc(nodeid)}</td>',
                f'<td class="cat">{esc(categories[nodeid])}</td>',
                f"<td>{esc(reason)}</td>",
                *_outcome_cells(tests[nodeid], widths, runs),
            ]
        )
    note = '<p class="meta">A framed cell is a run that disagrees with the other runs of its side.</p>'
    return note + table(["test", "category", "why", *_grid_head(widths, runs)], rows)


def _grid(results: Mapping[str, Any], categories: Mapping[str, str]) -> str:
    tests = _by_test(results)
    if not tests:
        return '<p class="empty">No test was seen in any run.</p>'
    widths, runs = _widths(tests), _side_runs(results, counted=True)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    ranked = sorted(tests, key=lambda n: (order.get(categories.get(n, "unknown"), 0), n))
    rows = [
        [
            f'<td class="id">{esc(n)}</td>',
            f'<td class="cat">{esc(categories.get(n, "unknown"))}</td>',
            *_outcome_cells(tests[n], widths, runs),
        ]
        for n in ranked
    ]
    legend = (
        '<p class="meta">b1, b2, ... are the before runs, a1, a2, ... the after runs (hover a cell for its '
        "hash seed and test order); tests that need a look come first.</p>"
    )
    box = '<input class="filter" data-table="grid" placeholder="filter tests (id or category)" hidden>'
    grid = table(["test", "category", *_grid_head(widths, runs)], rows, table_id="grid")
    return legend + _uncounted(results) + box + grid


def _failures(results: Mapping[str, Any]) -> str:
    after = (results.get("after") or {}).get("tests") or []
    failing = [t for t in after if any(o in ("failed", "error") for o in t.get("outcomes") or [])]
    if not failing:
        return '<p class="empty">No test fails on after.</p>'
    out = []
    for test in failing:
        outcomes = ", ".join(str(o) for o in test.get("outcomes") or [])
        text = test.get("message") or "(no failure text: a module that does not load is under Files that did not load)"
        out.append(details(f"{test.get('nodeid')}: {outcomes}", f"<pre>{esc(text)}</pre>", open_=len(failing) <= 5))
    return "\n".join(out)


def _collect_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    if not errors:
        return ""
    rows = [
        [
            f"<td>{esc(e.get('side'))}</td>",
            f'<td class="id">{esc(e.get("nodeid") or "(the whole run)")}</td>',
            f"<td><code>{esc(e.get('location'))}</code></td>",
            f"<td>{esc(e.get('exception'))}</td>",
        ]
        for e in errors
    ]
    return "<h2>Files that did not load</h2>" + table(["side", "file", "where", "exception"], rows)


def _runs(results: Mapping[str, Any]) -> str:
    rows = []
    for side, runs in _side_runs(results).items():
        for run in runs:
            parts = [str(x) for x in (run.get("error"), run.get("signal"), run.get("last_test")) if x]
            trouble = " ".join(p for i, p in enumerate(parts) if not any(p in q for q in parts[:i]))
            rows.append(
                [
                    f"<td>{esc(side)}</td>",
                    f"<td>{esc(int(run.get('index') or 0) + 1)}</td>",
                    f"<td>{esc(run.get('hash_seed'))}</td>",
                    f"<td>{esc(run.get('order_seed'))}</td>",
                    f"<td>{'yes' if run.get('traced') else ''}</td>",
                    f"<td>{esc(run.get('exit_code'))}</td>",
                    f"<td>{esc(run.get('duration_seconds'))}</td>",
                    f"<td>{esc(trouble)}</td>",
                ]
            )
    head = ["side", "run", "PYTHONHASHSEED", "order seed", "traced", "exit", "seconds", "ended by"]
    return table(head, rows) if rows else '<p class="empty">No run.</p>'


def _environment(report: Mapping[str, Any]) -> str:
    env = report.get("environment") or {}
    keys = ("python_version", "pytest_version", "platform", "hostname", "git_commit", "git_branch")
    parts = [f"{esc(k)} <code>{esc(env.get(k))}</code>" for k in keys if env.get(k)]
    parts.append(f"run_id <code>{esc(report.get('run_id'))}</code>")
    return f'<h2>Environment</h2><div class="meta">{" · ".join(parts)}</div>'
