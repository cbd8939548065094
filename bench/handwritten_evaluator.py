"""A hand-written task evaluator, as real tasks ship it: the baseline of bench/split_vs_evaluator.py.

Written for this bench (no task's code is copied), with the steps the survey counts in the 241 real
Python evaluators (survey §3): a script run as `python evaluation/evaluation.py` from the task folder
(222 of 241); a uuid run id (182); the machine described through `platform` (188) and
`git rev-parse` (73); `python -m pytest TESTS -v --tb=short` once per side in a subprocess with a
PYTHONPATH swap (222), one side after the other; the `-v` lines parsed (112); stdout kept to its last
3000 characters (160); a family-B report written to evaluation/YYYY-MM-DD/HH-MM-SS/report.json (153).

    python bench/handwritten_evaluator.py TASK_DIR [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

SIDES = ("repository_before", "repository_after")
_LINE = re.compile(r"^(\S+::\S+)\s+(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)", re.MULTILINE)


def git(root: Path, *args: str) -> str:
    """Return what `git ARGS` prints in ``root``, or "unknown"."""
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def environment(root: Path) -> dict[str, str]:
    """Describe the machine and the checkout, with family B's keys."""
    return {
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "os": platform.system(),
        "os_release": platform.release(),
        "architecture": platform.machine(),
        "hostname": platform.node(),
        "git_commit": git(root, "rev-parse", "HEAD")[:8],
        "git_branch": git(root, "rev-parse", "--abbrev-ref", "HEAD"),
    }


def run_side(root: Path, side: str) -> dict[str, Any]:
    """Run the tests once against ``side`` and return family B's per-side block."""
    print(f"\n{'=' * 60}\nRUNNING TESTS: {side}\n{'=' * 60}")
    env = {**os.environ, "PYTHONPATH": str(root / side)}
    cmd = [sys.executable, "-m", "pytest", str(root / "tests"), "-v", "--tb=short"]
    try:
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=180, check=False)
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        stdout, stderr, code = "", "timed out after 180 s", -1
    tests = [
        {"nodeid": nodeid, "name": nodeid.rsplit("::", 1)[-1], "outcome": word.lower()}
        for nodeid, word in _LINE.findall(stdout)
    ]
    counts = {"passed": "passed", "failed": "failed", "errors": "error", "skipped": "skipped"}
    summary = {"total": len(tests)} | {key: sum(t["outcome"] == word for t in tests) for key, word in counts.items()}
    print(f"Results: {summary}")
    for test in tests:
        print(f"  {test['nodeid']}: {test['outcome']}")
    return {
        "success": code == 0,
        "exit_code": code,
        "tests": tests,
        "summary": summary,
        "stdout": stdout[-3000:],
        "stderr": stderr[-1000:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the task's tests against both sides.")
    parser.add_argument("task", type=Path)
    parser.add_argument("--output", type=Path, default=None)
    opts = parser.parse_args()
    root = opts.task.resolve()
    run_id, started = uuid.uuid4().hex[:8], datetime.now()
    print(f"Run ID: {run_id}\nStarted at: {started.isoformat()}")
    before, after = (run_side(root, side) for side in SIDES)
    comparison: dict[str, Any] = {}
    for name, block in (("before", before), ("after", after)):
        comparison[f"{name}_tests_passed"] = block["success"]
        comparison |= {f"{name}_{key}": block["summary"][key] for key in ("total", "passed", "failed")}
    finished = datetime.now()
    report = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "duration_seconds": round((finished - started).total_seconds(), 3),
        "success": bool(after["success"]),
        "error": None if after["success"] else "After implementation tests failed",
        "environment": environment(root),
        "results": {"before": before, "after": after, "comparison": comparison},
    }
    default = root / "evaluation" / started.strftime("%Y-%m-%d") / started.strftime("%H-%M-%S") / "report.json"
    path = opts.output or default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(f"\nReport saved to: {path}\n{'PASSED' if report['success'] else 'FAILED'}")
    return 0 if report["success"] else 1


if __name__ == "__main__":
    sys.exit(main())
