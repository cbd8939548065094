"""Build the evaluation report: a superset of the "results" family real evaluators write (survey §3).

Existing consumers read ``run_id, started_at, finished_at, duration_seconds, success, error,
environment{...}, results{before, after, comparison}``; gtguard adds per-test outcomes of every run,
durations, bounded failure text, the split, flaky and side-independent lists, problems and a
``schema_version``. The schema is documented in docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import platform
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pytest_gtguard import _atomic
from pytest_gtguard.results import Outcome, RunResults
from pytest_gtguard.split.classify import Category, Split
from pytest_gtguard.split.evidence import run_gap
from pytest_gtguard.split.runner import RunOutcome
from pytest_gtguard.split.verdict import Problem, Verdict

__all__ = [
    "REPORT_ALTERNATIVE",
    "REPORT_SCHEMA_VERSION",
    "build_report",
    "default_report_path",
    "environment",
    "new_report_path",
    "write_report",
]

REPORT_SCHEMA_VERSION = 1
# The way out of a report that cannot be written, added to the reason's own fix.
REPORT_ALTERNATIVE = "pass --gtguard-report PATH somewhere writable"


def default_report_path(task_root: Path, started: dt.datetime) -> Path:
    """Return evaluation/YYYY-MM-DD/HH-MM-SS/report.json (the convention of 153 real evaluators)."""
    return task_root / "evaluation" / started.strftime("%Y-%m-%d") / started.strftime("%H-%M-%S") / "report.json"


def new_report_path(task_root: Path, started: dt.datetime) -> Path:
    """Create this run's own folder, evaluation/YYYY-MM-DD/HH-MM-SS[-N]/, and return report.json in it.

    Splits started in the same second get HH-MM-SS, HH-MM-SS-2, ...: the folder is made with ``os.mkdir``,
    which fails on one that exists, so no two runs share a folder (issue 15).

    Raises:
        WriteError: the folder cannot be created.
    """
    parent = default_report_path(task_root, started).parent
    folder = _atomic.create_unique_dir(parent.parent, parent.name, alternative=REPORT_ALTERNATIVE)
    return folder / "report.json"


def environment(cwd: Path) -> dict[str, Any]:
    """Describe the machine and checkout, with the keys family-B evaluators use."""
    import pytest  # here, not at import: this module stays importable without pytest's cost

    return {
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "os": platform.system(),
        "os_release": platform.release(),
        "architecture": platform.machine(),
        "hostname": socket.gethostname(),
        "user": _safe(getpass.getuser),
        "git_commit": _git(cwd, "rev-parse", "HEAD"),
        "git_branch": _git(cwd, "rev-parse", "--abbrev-ref", "HEAD"),
        "pytest_version": pytest.__version__,
        "executable": sys.executable,
    }


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _safe(fn: Any) -> str | None:
    try:
        return str(fn())
    except Exception:
        return None


def _side_block(side: str, outcomes: Sequence[RunOutcome], split: Split) -> dict[str, Any]:
    runs = [o for o in outcomes if o.spec.side == side]
    first = runs[0] if runs else None
    tests = []
    for nodeid, history in sorted(split.tests.items()):
        per_run = history.before if side == "before" else history.after
        records = [o.results.tests[nodeid] for o in runs if o.results and nodeid in o.results.tests]
        # The failure text of the first run that failed, so a flaky test's report shows why it failed.
        record = next((r for r in records if r.outcome.is_fail), records[0] if records else None)
        # "unknown": no run of this side gave results (the reason is in split.unknown).
        # "flaky": its runs disagree on pass or not pass; runs that all fail report their first failure.
        failing = next((o for o in per_run if o.is_fail), per_run[0] if per_run else None)
        flaky = len({o.is_pass for o in per_run}) > 1
        outcome = "flaky" if flaky else failing.value if failing is not None else "unknown"
        tests.append(
            {
                "nodeid": nodeid,
                "name": nodeid.rsplit("::", 1)[-1],
                "outcome": outcome,
                "outcomes": [o.value for o in per_run],
                "duration": record.duration if record else 0.0,
                "message": record.message if record else "",
                "properties": record.properties if record else {},
            }
        )
    counted = [t["outcome"] for t in tests]
    summary = {
        "total": len(tests),
        "passed": counted.count(Outcome.PASSED.value),
        "failed": counted.count(Outcome.FAILED.value),
        "errors": counted.count(Outcome.ERROR.value),
        "skipped": counted.count(Outcome.SKIPPED.value),
        "xfailed": counted.count(Outcome.XFAILED.value),
        "flaky": counted.count("flaky"),
        "unknown": counted.count("unknown"),
    }
    return {
        "success": bool(first and first.returncode == 0),
        "exit_code": first.returncode if first else None,
        "tests": tests,
        "summary": summary,
        "runs": [_run_block(o) for o in runs],
        "stdout": first.stdout if first else "",
        "stderr": first.stderr if first else "",
    }


def _run_block(outcome: RunOutcome) -> dict[str, Any]:
    results: RunResults | None = outcome.results
    return {
        "index": outcome.spec.index,
        "hash_seed": outcome.spec.hash_seed,
        "order_seed": outcome.spec.order_seed,
        "random_seed": outcome.spec.random_seed,  # pytest-randomly's --randomly-seed; null: not installed
        "traced": outcome.spec.trace,
        "exit_code": outcome.returncode,
        "duration_seconds": round(outcome.duration, 3),
        "collect_errors": [asdict(e) for e in results.collect_errors] if results else [],
        "error": outcome.error,
        "signal": outcome.signal,
        "last_test": outcome.last_test,
        # Whether this run's outcomes are in the tests' "outcomes" lists (a run without results is not).
        "counted": results is not None and run_gap(outcome) is None,
    }


def build_report(
    *,
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    task_root: Path,
    outcomes: Sequence[RunOutcome],
    split: Split,
    verdict: Verdict,
    env: dict[str, Any],
    instance_path: Path | None,
) -> dict[str, Any]:
    """Return the evaluation report as a JSON-able dict."""
    before, after = _side_block("before", outcomes, split), _side_block("after", outcomes, split)
    kept_apart = (Category.FLAKY, Category.SIDE_INDEPENDENT, Category.UNKNOWN)
    lists = {c.value: split.ids(c) for c in Category if c not in kept_apart}
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": "pytest-gtguard",
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "duration_seconds": round((finished - started).total_seconds(), 3),
        "success": verdict.valid,
        "error": None
        if verdict.valid
        else "; ".join(p.message for p in verdict.problems if p.severity.value == "error"),
        "task": str(task_root),
        "environment": env,
        "results": {
            "before": before,
            "after": after,
            "comparison": {
                "before_tests_passed": before["summary"]["passed"] == before["summary"]["total"] > 0,
                "after_tests_passed": after["summary"]["passed"] == after["summary"]["total"] > 0,
                "before_total": before["summary"]["total"],
                "before_passed": before["summary"]["passed"],
                "before_failed": before["summary"]["failed"] + before["summary"]["errors"],
                "after_total": after["summary"]["total"],
                "after_passed": after["summary"]["passed"],
                "after_failed": after["summary"]["failed"] + after["summary"]["errors"],
                "passed_gate": verdict.valid,
            },
        },
        "split": {
            **lists,
            "flaky": {t.nodeid: t.reason for t in split.tests.values() if t.category is Category.FLAKY},
            "side_independent": {
                t.nodeid: t.reason for t in split.tests.values() if t.category is Category.SIDE_INDEPENDENT
            },
            "other": {t.nodeid: t.reason for t in split.tests.values() if t.category is Category.OTHER},
            "unknown": [{"id": nodeid, "reason": split.tests[nodeid].reason} for nodeid in split.ids(Category.UNKNOWN)],
            "collect_errors": [
                {"side": e.side, "nodeid": e.collector, "location": e.site.location, "exception": e.site.exception}
                for e in split.collect_errors
            ],
        },
        "instance": str(instance_path) if instance_path else None,
        "problems": [_problem(p) for p in verdict.problems],
    }


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "severity": problem.severity.value,
        "message": problem.message,
        "fix": problem.fix,
        "tests": list(problem.tests),
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write ``report`` as indented JSON, creating its folders; whole or not at all.

    Raises:
        WriteError: the report cannot be written (``path`` is left as it was).
    """
    _atomic.write_text(path, json.dumps(report, indent=2) + "\n", alternative=REPORT_ALTERNATIVE)
