"""Reports of a meta run: mutation-testing-report-schema JSON and the HTML page that shows it.

The JSON fits the schema the maintained Stryker viewer reads (``mutation-testing-report-schema``, vendored
in ``_viewer/`` and checked by the tests): ``files`` with every mutant, ``testFiles`` with every collected
test (the viewer's test view), gtguard's own data under ``config``. ``html.write_html`` renders it.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_gtguard import _atomic
from pytest_gtguard.meta.execute import Status
from pytest_gtguard.meta.score import MetaScore, MutantResult, VariantResult
from pytest_gtguard.meta.smells import Finding

if TYPE_CHECKING:
    from pytest_gtguard.meta.mutate import SourceFile
    from pytest_gtguard.meta.outcome import MetaOutcome
    from pytest_gtguard.meta.plugin import MetaSettings

__all__ = ["TestInfo", "collected_tests", "to_schema", "write_json", "write_reports"]

ALTERNATIVE = "pass --gtguard-meta-report FOLDER somewhere writable"

SCHEMA_VERSION = "2"


@dataclass(frozen=True)
class TestInfo:
    """A collected test as the viewer's test view shows it: node id, file (relative), 1-based line."""

    nodeid: str
    file: str
    line: int | None
    path: Path | None = None  # the file on disk, to embed its source


def collected_tests(items: Iterable[Any]) -> list[TestInfo]:
    """Return the collected items (``pytest.Item``) as TestInfo, in collection order."""
    out = []
    for item in items:
        file, line, _ = item.location
        out.append(TestInfo(item.nodeid, str(file), None if line is None else line + 1, Path(item.path)))
    return out


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
    tests: Sequence[TestInfo] = (),
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
    test_files = _test_files(tests, set(score.runs_by_test) | set(score.kills_by_test))
    return {
        "schemaVersion": SCHEMA_VERSION,
        "thresholds": {"high": 80, "low": 60},
        "projectRoot": str(root),
        "files": files,
        "testFiles": test_files,
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
    _atomic.write_text(path, json.dumps(document, indent=1), alternative=ALTERNATIVE)


def _test_files(tests: Sequence[TestInfo], ran: set[str]) -> dict[str, Any]:
    """Return the schema's ``testFiles``: per test file its source and tests (id = node id, as in killedBy)."""
    known = {t.nodeid for t in tests}
    every = [*tests, *(TestInfo(t, t.split("::", 1)[0], None) for t in sorted(ran - known))]
    files: dict[str, Any] = {}
    for t in every:
        entry = files.get(t.file)
        if entry is None:
            entry = files[t.file] = {"tests": []}
            source = _read(t.path)
            if source is not None:
                entry["source"] = source
        test: dict[str, Any] = {"id": t.nodeid, "name": t.nodeid.split("::", 1)[-1]}
        if t.line is not None and "source" in entry:
            test["location"] = {"start": {"line": t.line, "column": 1}}
        entry["tests"].append(test)
    return files


def _read(path: Path | None) -> str | None:
    if path is None or path.suffix != ".py":
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # the test view lists the tests without the source


def write_reports(
    out: MetaOutcome,
    settings: MetaSettings,
    parsed: Sequence[SourceFile],
    root: Path,
    tests: Sequence[TestInfo] = (),
) -> list[Path]:
    """Write ``mutation-report.json`` and ``mutation-report.html`` into ``settings.report_dir``."""
    from pytest_gtguard import __version__
    from pytest_gtguard.meta import html, memorizer_report, terminal

    if out.score is None or settings.report_dir is None:
        return []
    document = to_schema(
        out.mutants,
        sources={p.relpath: p.text for p in parsed},
        root=root,
        score=out.score,
        variants=out.variants,
        findings=out.findings,
        coverage=out.coverage,
        config={
            "seed": settings.seed,
            "maxMutants": settings.max_mutants,
            "minScore": settings.min_score,
            "verdict": terminal.verdict(out),
            "failures": out.failures,
            "baselineFailed": out.baseline_failed,
            "childCpuMs": out.child_cpu_ms,
        },
        performance={
            "setup": sum(out.timings.get(k, 0.0) for k in ("setup", "checks", "generation")),
            "initialRun": out.timings.get("baseline", 0.0),
            "mutation": out.timings.get("mutation", 0.0),
        },
        version=__version__,
        tests=tests,
    )
    if out.memorizers:
        document.update(memorizer_report.to_json(out.memorizers))  # top-level keys the viewer ignores
    json_path = settings.report_dir / "mutation-report.json"
    html_path = settings.report_dir / "mutation-report.html"
    write_json(document, json_path)
    html.write_html(document, html_path)
    return [json_path, html_path]
