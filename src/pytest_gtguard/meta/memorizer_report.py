"""Memorizer results and how they read: terminal lines, JSON keys, an HTML section, findings (pure)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_gtguard.meta.smells import Finding

__all__ = [
    "KILLED",
    "MODES",
    "NOT_EXERCISED",
    "NOT_JUDGED",
    "SURVIVED",
    "MemorizerResult",
    "failures",
    "findings",
    "memorizer_html_section",
    "passable",
    "summary_lines",
    "to_json",
]

SURVIVED = "survived"
KILLED = "killed"
NOT_EXERCISED = "not_exercised"  # no test called it in the recording run
NOT_JUDGED = "not_judged"  # the child crashed: no verdict either way
MODES = ("warn", "fail", "off")  # gtguard_meta_memorizers


@dataclass(frozen=True)
class MemorizerResult:
    """One public function's memorizer, and whether the suite told it from the ground truth."""

    function: str  # dotted, module.function
    file: str  # relative to the rootdir
    line: int
    status: str
    inputs: int  # distinct inputs recorded
    killed_by: tuple[str, ...] = ()
    reason: str = ""


def passable(results: Sequence[MemorizerResult]) -> list[str]:
    """Return the functions whose memorizer survived, sorted."""
    return sorted(r.function for r in results if r.status == SURVIVED)


def to_json(results: Sequence[MemorizerResult]) -> dict[str, Any]:
    """Return the report's top-level keys ``memorizers`` and ``passable_by_hardcoding``."""
    return {
        "memorizers": [
            {
                "function": r.function,
                "file": r.file,
                "line": r.line,
                "status": r.status,
                "inputs": r.inputs,
                "killed_by": list(r.killed_by),
                "reason": r.reason,
            }
            for r in results
        ],
        "passable_by_hardcoding": passable(results),
    }


def summary_lines(results: Sequence[MemorizerResult]) -> list[tuple[str, dict[str, bool]]]:
    """Return the terminal lines: one headline, then the functions not exercised or not judged."""
    lines: list[tuple[str, dict[str, bool]]] = []
    if not results:
        return lines
    judged = [r for r in results if r.status in (SURVIVED, KILLED)]
    weak = passable(results)
    if weak:
        lines.append(
            (
                f"memorizer: {len(weak)} of {len(judged)} public functions passable by hard-coding: {', '.join(weak)}",
                {"yellow": True},
            )
        )
    elif judged:
        lines.append((f"memorizer: all {len(judged)} public functions killed (none passable by hard-coding)", {}))
    idle = [r.function for r in results if r.status == NOT_EXERCISED]
    if idle:
        lines.append((f"memorizer: not exercised (no test called them): {', '.join(idle)}", {}))
    for r in results:
        if r.status == NOT_JUDGED:
            lines.append((f"memorizer: {r.function} not judged: {r.reason}", {"yellow": True}))
    return lines


def findings(results: Sequence[MemorizerResult]) -> list[Finding]:
    """Return a ``passable-by-hardcoding`` finding per function whose memorizer survived."""
    return [
        Finding(
            "passable-by-hardcoding",
            r.file,
            r.line,
            r.function,
            f"a version that only knows the answers to the {r.inputs} input(s) the suite used "
            "passed every test; test it on inputs a hard-coded table cannot know "
            "(property-based or generated inputs)",
        )
        for r in results
        if r.status == SURVIVED
    ]


def failures(results: Sequence[MemorizerResult], *, mode: str) -> list[str]:
    """Return the reason the run fails in ``fail`` mode when some function is passable by hard-coding."""
    weak = passable(results)
    if mode != "fail" or not weak:
        return []
    return [
        f"{len(weak)} public function(s) passable by hard-coding ({', '.join(weak)}) and gtguard_meta_memorizers = fail"
    ]


def memorizer_html_section(document: Mapping[str, Any]) -> str:
    """Return an HTML fragment (a heading and a table) for the report's ``memorizers`` key; "" if absent."""
    rows = document.get("memorizers") or []
    if not rows:
        return ""
    weak = document.get("passable_by_hardcoding") or []
    head = (
        f"{len(weak)} public function(s) passable by hard-coding"
        if weak
        else "no public function passable by hard-coding"
    )
    parts = [
        "<section class=gtguard-memorizers><h2>Memorizers</h2>",
        f"<p>{html.escape(head)}: a memorizer answers right only on the inputs the suite used, wrong on any "
        "other; one that survives shows the suite can be passed by hard-coding those answers.</p>",
        "<table><tr><th>function</th><th>status</th><th>inputs recorded</th><th>killed by</th></tr>",
    ]
    style = {SURVIVED: "Survived", KILLED: "Killed", NOT_EXERCISED: "NoCoverage", NOT_JUDGED: "RuntimeError"}
    for row in rows:
        status = str(row.get("status", ""))
        where = f"{row.get('file', '')}:{row.get('line', '')}"
        parts.append(
            f"<tr class={style.get(status, '')}><td><code>{html.escape(str(row.get('function', '')))}</code>"
            f" <small>{html.escape(where)}</small></td><td>{html.escape(status)}</td>"
            f"<td>{int(row.get('inputs', 0))}</td>"
            f"<td>{html.escape(', '.join(row.get('killed_by', [])))}</td></tr>"
        )
    parts.append("</table></section>")
    return "\n".join(parts)
