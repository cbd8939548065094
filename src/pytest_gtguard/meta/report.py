"""Reports of a meta run: mutation-testing-report-schema JSON, a static HTML page, and terminal text.

The HTML is self-contained (no vendored viewer bundle): one page per run listing every file with its
source, lines carrying a survivor highlighted, and each mutant's diff, status and killing test.
"""

from __future__ import annotations

import html
import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_gtguard import _atomic
from pytest_gtguard.meta.execute import Status
from pytest_gtguard.meta.score import MetaScore, MutantResult, VariantResult
from pytest_gtguard.meta.smells import Finding

__all__ = ["progress_bar", "to_schema", "write_html", "write_json"]

_ALTERNATIVE = "pass --gtguard-meta-report FOLDER somewhere writable"

SCHEMA_VERSION = "2"


def progress_bar(done: int, total: int, *, width: int = 30, killed: int = 0, survived: int = 0) -> str:
    """Return ``[#####.....] 12/40 killed 10 survived 2``."""
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} killed {killed} survived {survived}"


def to_schema(
    mutants: Sequence[MutantResult],
    *,
    sources: Mapping[str, str],
    root: Path,
    score: MetaScore,
    variants: Sequence[VariantResult],
    findings: Sequence[Finding],
    coverage: Mapping[str, Any],
    config: Mapping[str, Any],
    performance: Mapping[str, float],
    version: str,
) -> dict[str, Any]:
    """Return the run as a mutation-testing-report-schema document (extra data under ``config``)."""
    files: dict[str, Any] = {
        rel: {"language": "python", "source": text, "mutants": []} for rel, text in sorted(sources.items())
    }
    for m in mutants:
        entry: dict[str, Any] = {
            "id": m.id,
            "mutatorName": m.operator,
            "description": m.description,
            "replacement": m.replacement,
            "location": {
                "start": {"line": m.line, "column": m.column},
                "end": {"line": m.end_line, "column": m.end_column},
            },
            "status": m.status.value,
            "statusReason": m.reason,
            "coveredBy": list(m.covered_by),
            "killedBy": [m.killed_by] if m.killed_by and m.status is Status.KILLED else [],
            "testsCompleted": m.tests_run,
            "duration": round(m.duration_ms, 3),
            "static": False,
        }
        files.setdefault(m.file, {"language": "python", "source": "", "mutants": []})["mutants"].append(entry)
    tests: dict[str, Any] = {}
    for test in sorted(set(score.runs_by_test) | set(score.kills_by_test)):
        tests.setdefault(test.split("::", 1)[0], {"tests": []})["tests"].append({"id": test, "name": test})
    return {
        "schemaVersion": SCHEMA_VERSION,
        "thresholds": {"high": 80, "low": 60},
        "projectRoot": str(root),
        "files": files,
        "testFiles": tests,
        "framework": {"name": "pytest-gtguard", "version": version},
        "system": {
            "ci": bool(os.environ.get("CI")),  # best effort, as the schema says
            "os": {
                "platform": sys.platform,
                "description": platform.platform(),
                "version": platform.release(),
            },
            "cpu": {"logicalCores": os.cpu_count() or 1},
        },
        "performance": {k: round(performance.get(k, 0.0) * 1000, 1) for k in ("setup", "initialRun", "mutation")},
        "config": {
            **config,
            "score": score.score,
            "scoreOnCovered": score.covered_score,
            "counts": {s.value: n for s, n in score.counts.items()},
            "variants": [
                {
                    "name": v.name,
                    "target": v.target,
                    "origin": v.origin,
                    "status": v.status.value,
                    "killedBy": v.killed_by,
                    "statusReason": v.reason,
                }
                for v in variants
            ],
            "findings": [vars(f) for f in findings],
            "requirements": [
                {"req": r.req, "tests": list(r.tests), "covered": r.covered, "killed": r.killed}
                for r in score.requirements
            ],
            "coverage": coverage,
        },
    }


def write_json(document: Mapping[str, Any], path: Path) -> None:
    """Write the schema document."""
    _atomic.write_text(path, json.dumps(document, indent=1), alternative=_ALTERNATIVE)


_STYLE = """body{font:14px system-ui,sans-serif;margin:2em}pre{margin:0}table{border-collapse:collapse}
td{padding:0 .5em;vertical-align:top}.ln{color:#888;text-align:right}.Survived,.NoCoverage{background:#fdd}
.Killed,.Timeout{background:#dfd}.RuntimeError{background:#ffd}code.diff{white-space:pre;display:block}
h2{margin-top:2em}.mut{margin:.2em 0 .2em 2em;font-size:12px}.unrun{background:#eee;color:#777}"""


def write_html(document: Mapping[str, Any], path: Path) -> None:
    """Write a static page: per file, the source with survivor lines highlighted and every mutant listed."""
    config = document.get("config", {})
    parts = [
        f"<!doctype html><meta charset=utf-8><title>gtguard meta</title><style>{_STYLE}</style>",
        "<h1>gtguard meta report</h1>",
        f"<p>Mutation score: <b>{_pct(config.get('score'))}</b> "
        f"(on covered code {_pct(config.get('scoreOnCovered'))}); "
        + ", ".join(f"{html.escape(k)} {v}" for k, v in config.get("counts", {}).items() if v)
        + "</p>",
    ]
    variants = config.get("variants", [])
    if variants:
        parts.append("<h2>Hand-written variants</h2><ul>")
        for v in variants:
            parts.append(
                f"<li class={html.escape(v['status'])}>{html.escape(v['name'])} "
                f"({html.escape(v['target'])}): {html.escape(v['status'])}</li>"
            )
        parts.append("</ul>")
    for rel, info in document.get("files", {}).items():
        covered = config.get("coverage", {}).get("files", {}).get(rel, {}).get("summary", {})
        lines_text = (
            f" <small>lines {covered.get('covered_lines', 0)}/{covered.get('num_statements', 0)}, "
            f"branches {covered.get('covered_branches', 0)}/{covered.get('num_branches', 0)} "
            "(grey: never run)</small>"
            if covered
            else ""
        )
        parts.append(f"<h2>{html.escape(rel)}{lines_text}</h2>")
        by_line: dict[int, list[Mapping[str, Any]]] = {}
        for m in info["mutants"]:
            by_line.setdefault(m["location"]["start"]["line"], []).append(m)
        parts.append("<table>")
        missing = set(config.get("coverage", {}).get("files", {}).get(rel, {}).get("missing_lines", []))
        for number, text in enumerate(info.get("source", "").splitlines(), start=1):
            muts = by_line.get(number, [])
            worst = next(
                (m["status"] for m in muts if m["status"] in ("Survived", "NoCoverage")),
                muts[0]["status"] if muts else ("unrun" if number in missing else ""),
            )
            parts.append(f"<tr class='{worst}'><td class=ln>{number}</td><td><pre>{html.escape(text)}</pre>")
            for m in muts:
                killer = f" by {html.escape(m['killedBy'][0])}" if m["killedBy"] else ""
                parts.append(
                    f"<div class='mut {m['status']}'>{html.escape(m['status'])}{killer}: "
                    f"{html.escape(m['mutatorName'])} {html.escape(m.get('description', ''))} → "
                    f"<code>{html.escape(m.get('replacement', ''))}</code></div>"
                )
            parts.append("</td></tr>")
        parts.append("</table>")
    parts.extend(_kill_matrix(document))
    findings = config.get("findings", [])
    if findings:
        parts.append("<h2>Test-integrity findings</h2><ul>")
        parts.extend(
            f"<li>{html.escape(f['kind'])}: {html.escape(f['test'])} ({html.escape(f['file'])}:{f['line']})"
            f" {html.escape(f['message'])}</li>"
            for f in findings
        )
        parts.append("</ul>")
    _atomic.write_text(path, "\n".join(parts), alternative=_ALTERNATIVE)


def _kill_matrix(document: Mapping[str, Any]) -> list[str]:
    """Return the HTML of the kill matrix: per test, the mutants it killed and how many it ran against."""
    killed: dict[str, list[str]] = {}
    ran: dict[str, int] = {}
    for info in document.get("files", {}).values():
        for m in info["mutants"]:
            for test in m.get("coveredBy", [])[: m.get("testsCompleted", 0)]:
                ran[test] = ran.get(test, 0) + 1
            for test in m.get("killedBy", []):
                killed.setdefault(test, []).append(m["id"])
    if not ran:
        return []
    rows = ["<h2>Kill matrix</h2><table><tr><th>test</th><th>ran against</th><th>killed</th></tr>"]
    for test in sorted(ran, key=lambda t: (-len(killed.get(t, [])), t)):
        ids = killed.get(test, [])
        style = "" if ids else " class=Survived"
        rows.append(
            f"<tr{style}><td>{html.escape(test)}</td><td>{ran[test]}</td>"
            f"<td>{len(ids)} {html.escape(', '.join(ids))}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _pct(value: object) -> str:
    return f"{value:.1f}%" if isinstance(value, (int, float)) else "n/a"
