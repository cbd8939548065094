"""The split's tests as pytest sees tests, so what reads pytest's reports sees the split (issue 18).

The split's parent collects and runs no test: without these, ``--junitxml`` held 0 tests and
pytest-json-report said "no tests". After the runs, the parent (``split.plugin``) hands pytest one
call report and one teardown report per test id (``pytest_runtest_logreport``), built from these:
junitxml writes a testcase with the category and each side's outcomes as properties,
pytest-json-report a test, and pytest's closing line counts the categories. A regression, or any test
that fails on the after side, is a failure with the after side's failure text; FAIL_TO_PASS and
PASS_TO_PASS pass; the rest are skipped with the reason they are in no list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pytest_gtguard.split.evidence import failure_site
from pytest_gtguard.split.html_parts import category_of

__all__ = ["CATEGORY_KEY", "SplitTest", "split_tests", "status_key"]

# The attribute that marks a report as one of the split's (its category), for pytest_report_teststatus.
CATEGORY_KEY = "gtguard_category"
_PASSING = frozenset({"FAIL_TO_PASS", "PASS_TO_PASS"})
_FAILS = frozenset({"failed", "error"})


class _Writer(Protocol):
    def line(self, s: str = "", **markup: bool) -> object: ...


@dataclass(frozen=True)
class _Crash:
    """Where the failure was raised, as pytest's ``reprcrash`` (junitxml and pytest-json-report read it)."""

    path: str
    lineno: int
    message: str


@dataclass(frozen=True)
class _Failure:
    """The after side's failure text, standing in for pytest's own longrepr."""

    text: str
    reprcrash: _Crash

    def __str__(self) -> str:
        return self.text

    def toterminal(self, tw: _Writer) -> None:
        """Write the failure text (pytest's reports call this for ``longreprtext``)."""
        for line in self.text.splitlines():
            tw.line(line)


@dataclass(frozen=True)
class SplitTest:
    """One test id of the split: its category, each side's outcomes, and how CI should count it."""

    nodeid: str
    category: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    reason: str
    message: str
    duration: float

    @property
    def outcome(self) -> Literal["passed", "failed", "skipped"]:
        """Return failed for a regression or a failure on after, passed for the two lists, else skipped."""
        if self.category == "PASS_TO_FAIL" or any(o in _FAILS for o in self.after):
            return "failed"
        return "passed" if self.category in _PASSING else "skipped"

    @property
    def location(self) -> tuple[str, None, str]:
        """Return pytest's (file, line, name) for the test; the line is not known here."""
        path, _, name = self.nodeid.partition("::")
        return path, None, name or path

    def longrepr(self, root: str) -> Any:
        """Return what pytest's readers take from a report's longrepr: the failure, or the skip's reason.

        ``root`` (the task folder) is cut from the failure's path.
        """
        path = self.location[0]
        if self.outcome == "failed":
            text = self.message or f"{self.category} on after: {', '.join(self.after)}"
            site = failure_site(text, root=root)
            where, _, line = site.location.rpartition(":")
            crash = _Crash(where or path, int(line) if line.isdigit() else 0, _headline(text, site.exception))
            return _Failure(text, crash)
        if self.outcome == "skipped":
            return (path, 0, f"{self.category}: {self.reason}" if self.reason else self.category)
        return None

    def properties(self) -> list[tuple[str, object]]:
        """Return the junit properties: the category, each side's outcomes per run, and the reason."""
        props: list[tuple[str, object]] = [
            ("gtguard_category", self.category),
            ("before", ",".join(self.before)),
            ("after", ",".join(self.after)),
        ]
        return props + ([("reason", self.reason)] if self.reason else [])


def split_tests(report: Mapping[str, Any]) -> list[SplitTest]:
    """Return every test id of the evaluation report (the report.json dict), sorted."""
    split = report.get("split") or {}
    categories = category_of(split)
    reasons: dict[str, str] = {}
    for name in ("flaky", "side_independent", "other"):
        reasons.update(split.get(name) or {})
    reasons.update({e["id"]: e.get("reason", "") for e in split.get("unknown") or []})
    sides: dict[str, dict[str, Mapping[str, Any]]] = {"before": {}, "after": {}}
    for side, found in sides.items():
        for test in ((report.get("results") or {}).get(side) or {}).get("tests") or []:
            found[str(test.get("nodeid"))] = test
    out = []
    for nodeid in sorted({*categories, *sides["before"], *sides["after"]}):
        before, after = sides["before"].get(nodeid, {}), sides["after"].get(nodeid, {})
        out.append(
            SplitTest(
                nodeid=nodeid,
                category=categories.get(nodeid, "unknown"),
                before=tuple(str(o) for o in before.get("outcomes") or ()),
                after=tuple(str(o) for o in after.get("outcomes") or ()),
                reason=str(reasons.get(nodeid, "")),
                message=str(after.get("message") or ""),
                duration=float(after.get("duration") or 0.0),
            )
        )
    return out


def status_key(category: str) -> str:
    """Return the word pytest's closing line counts a category under: FAIL_TO_PASS -> fail-to-pass."""
    return category.lower().replace("_", "-")


def _headline(text: str, exception: str) -> str:
    """Return the failure's one-line message: the exception line, else pytest's first ``E`` line."""
    if exception and not exception.startswith("+"):
        return exception
    e_lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    return (e_lines[0] if e_lines else exception or text.strip()[:200])[:200]
