"""The evaluation report of a meta run: what a testing-category task's evaluator writes, by gtguard.

For a testing task the meta run *is* the evaluation, so ``pytest --meta`` inside a task writes
``evaluation/YYYY-MM-DD/HH-MM-SS/report.json`` (the convention of the split's report) and points it at
the mutation-testing-report-schema JSON and the HTML page beside it in ``meta/``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from pytest_gtguard.meta.outcome import MetaOutcome
from pytest_gtguard.split.report import REPORT_SCHEMA_VERSION, environment, write_report

__all__ = ["build_meta_report", "write_meta_report"]


def build_meta_report(
    outcome: MetaOutcome, *, task_root: Path, started: dt.datetime, finished: dt.datetime, env: dict[str, Any]
) -> dict[str, Any]:
    """Return the evaluation report of a meta run as a JSON-able dict."""
    score = outcome.score
    success = not outcome.failures and not outcome.baseline_failed and not outcome.interrupted
    files = {p.suffix.lstrip("."): str(p) for p in outcome.report_paths}
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": "pytest-gtguard",
        "kind": "meta",
        "run_id": str(uuid.uuid4()),
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "duration_seconds": round((finished - started).total_seconds(), 3),
        "success": success,
        "error": None if success else "; ".join(outcome.failures or outcome.baseline_failed or ["interrupted"]),
        "task": str(task_root),
        "environment": env,
        "meta": {
            "score": score.score if score else None,
            "covered_score": score.covered_score if score else None,
            "counts": {status.value: n for status, n in score.counts.items()} if score else {},
            "baseline_failed": outcome.baseline_failed,
            "variants": [
                {"name": v.name, "target": v.target, "status": v.status.value, "killed_by": v.killed_by}
                for v in outcome.variants
            ],
            "failures": outcome.failures,
            "findings": len(outcome.findings),
            "coverage": outcome.coverage,
            "mutation_report_json": files.get("json"),
            "mutation_report_html": files.get("html"),
        },
    }


def write_meta_report(outcome: MetaOutcome, *, path: Path, task_root: Path, started: dt.datetime) -> None:
    """Build the report and write it to ``path``."""
    finished = dt.datetime.now(dt.timezone.utc)
    report = build_meta_report(
        outcome, task_root=task_root, started=started, finished=finished, env=environment(task_root)
    )
    write_report(report, path)
