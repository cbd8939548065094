"""Make pytest-json-report's report (``--json-report``) that of the split, not of its empty parent session.

pytest-json-report stays optional: gtguard only answers its ``pytest_json_modifyreport`` hook. It
already holds one test per split test id (``split.testreports`` hands them to pytest); this gives each
the plain outcome CI reads (passed, failed, skipped) and the split's view of it, and counts the summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_gtguard.split.html import html_path
from pytest_gtguard.split.testreports import split_tests

__all__ = ["aggregate"]


def aggregate(json_report: dict[str, Any], report: Mapping[str, Any], exit_code: int, report_path: Path | None) -> None:
    """Rewrite ``json_report`` in place from the evaluation ``report`` (the report.json dict)."""
    tests = {t.nodeid: t for t in split_tests(report)}
    for entry in json_report.get("tests") or []:
        test = tests.get(entry.get("nodeid"))
        if test is not None:
            entry["outcome"] = test.outcome
            entry["gtguard"] = {
                "category": test.category,
                "before": list(test.before),
                "after": list(test.after),
                "reason": test.reason,
            }
    summary: dict[str, Any] = dict(Counter(t.outcome for t in tests.values()))
    summary["total"] = summary["collected"] = len(tests)
    json_report["summary"] = summary
    json_report["exitcode"] = exit_code
    json_report["gtguard"] = {
        "success": report.get("success"),
        "split": {k: v for k, v in (report.get("split") or {}).items() if k != "collect_errors"},
        "problems": [{"code": p.get("code"), "severity": p.get("severity")} for p in report.get("problems") or []],
        "report": str(report_path) if report_path else None,
        "html": str(html_path(report_path)) if report_path else None,
    }
