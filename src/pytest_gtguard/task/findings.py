"""What ``gtguard validate`` reports: findings with a stable code, a severity, the file, reason and fix."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CODES", "Finding", "Severity", "rel"]


class Severity(enum.Enum):
    """How a finding blocks submission.

    ``error`` is something an ingestion check rejects and a tool or a minute of work fixes;
    ``warning`` is very likely wrong but may be intended; ``todo`` is content only a person can write
    (a problem statement, the tests, the solution, the trajectory) that is still missing.
    """

    ERROR = "error"
    WARNING = "warning"
    TODO = "todo"


# Stable codes (never renumbered; docs/cli.md lists each one): code -> one-line title.
CODES: dict[str, str] = {
    "GT001": "required folder or file is missing",
    "GT002": "folder holds only scaffold placeholders (.gitkeep)",
    "GT003": "no compose file or Makefile",
    "GT004": "the before, after or evaluation command cannot be found",
    "GT005": "evaluation/ has no runner and no split-run command",
    "GT006": "the before and after commands run different tests",
    "GT007": "a test file pytest does not collect (its name is outside python_files)",
    "GT101": "instance file is missing",
    "GT102": "instance file is not strict JSON (or empty, UTF-16, or with a BOM)",
    "GT103": "instance field is missing or has the wrong type",
    "GT104": "instance text is still a placeholder",
    "GT105": "FAIL_TO_PASS is empty",
    "GT106": "a FAIL_TO_PASS/PASS_TO_PASS id names no test",
    "GT107": "a FAIL_TO_PASS/PASS_TO_PASS id names a file, not a test",
    "GT108": "the same id is listed twice, or in both lists",
    "GT109": "instance belongs to another task (template leak)",
    "GT110": "two instance files disagree",
    "GT111": "a constraint of the problem statement that no test checks",
    "GT201": "trajectory is empty or still the scaffold",
    "GT202": "trajectory lacks a required section",
    "GT301": "scaffold placeholder text left in a file",
    "GT302": "README still has the scaffold's command placeholders",
    "GT303": "README or evaluation text belongs to another task (template leak)",
    "GT304": "pytest is not pinned in requirements.txt",
    "GT401": "copy of a solution module at the task root",
    "GT402": "committed cache folder or compiled file",
    "GT403": "committed evaluation report",
    "GT501": "command hides failures (|| true, ; exit 0)",
    "GT502": "conftest forces the pytest exit status",
    "GT503": "evaluator always exits 0",
    "GT601": "no patch file in patches/",
    "GT602": "patch file is empty",
    "GT603": "patch file is not UTF-8 text (e.g. UTF-16 from PowerShell)",
    "GT604": "patch does not turn repository_before into repository_after (stale)",
    "GT605": "patch includes cache files (__pycache__, .pyc)",
}


@dataclass(frozen=True)
class Finding:
    """One problem in a task, with where it is and how to fix it."""

    code: str
    severity: Severity
    file: str  # relative to the task root, "." for the task itself
    reason: str
    fix: str
    line: int | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code}")

    def location(self) -> str:
        """Return ``file`` or ``file:line``."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def to_json(self) -> dict[str, object]:
        """Return the finding as a JSON-able dict (the ``--json`` schema)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "reason": self.reason,
            "fix": self.fix,
        }


def rel(path: Path, root: Path) -> str:
    """Return ``path`` relative to ``root`` with forward slashes ("." for the root)."""
    try:
        text = path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
    return text or "."
