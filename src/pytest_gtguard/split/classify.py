"""Classify test ids by their outcomes over repeated runs of the before and after sides."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_gtguard.results import Outcome, RunResults

__all__ = ["Category", "Split", "TestHistory", "classify", "side_outcomes"]


class Category(enum.Enum):
    """Where one test lands in the split."""

    FAIL_TO_PASS = "FAIL_TO_PASS"
    PASS_TO_PASS = "PASS_TO_PASS"
    PASS_TO_FAIL = "PASS_TO_FAIL"  # a regression: always reported
    FAIL_TO_FAIL = "FAIL_TO_FAIL"
    FLAKY = "flaky"  # outcome differs between runs of one side
    SIDE_INDEPENDENT = "side_independent"  # ran or read the other side's code: cannot tell the sides apart
    OTHER = "other"  # skipped, xfailed or missing on a side


@dataclass(frozen=True)
class TestHistory:
    """One test's outcomes in every run of both sides."""

    __test__ = False

    nodeid: str
    before: tuple[Outcome, ...]
    after: tuple[Outcome, ...]
    touched_other: tuple[str, ...]  # e.g. ("after",) for a before run that executed repository_after code
    category: Category
    reason: str = ""

    @property
    def flipped(self) -> bool:
        """Return True when the runs of one side disagree (flaky, or a flip beside another reason)."""
        return len(set(self.before)) > 1 or len(set(self.after)) > 1


@dataclass(frozen=True)
class Split:
    """The classified tests, keyed by category."""

    tests: dict[str, TestHistory] = field(default_factory=dict)

    def ids(self, category: Category) -> list[str]:
        """Return the sorted node ids in ``category``."""
        return sorted(t.nodeid for t in self.tests.values() if t.category is category)


def side_outcomes(runs: Sequence[RunResults], nodeid: str) -> tuple[Outcome, ...]:
    """Return ``nodeid``'s outcome in each run; a test whose module failed to import counts as ERROR."""
    out = []
    for run in runs:
        record = run.tests.get(nodeid)
        if record is not None:
            out.append(record.outcome)
        elif any(_covers(err.nodeid, nodeid) for err in run.collect_errors):
            out.append(Outcome.ERROR)
        else:
            out.append(Outcome.MISSING)
    return tuple(out)


def classify(before: Sequence[RunResults], after: Sequence[RunResults]) -> Split:
    """Classify every test seen in any run. Flaky and side-independent tests go in neither list."""
    nodeids = sorted({n for run in (*before, *after) for n in run.tests})
    tests = {}
    for nodeid in nodeids:
        b, a = side_outcomes(before, nodeid), side_outcomes(after, nodeid)
        touched = _touched_other(before, nodeid, "after") + _touched_other(after, nodeid, "before")
        category, reason = _category(b, a, touched)
        tests[nodeid] = TestHistory(nodeid, b, a, touched, category, reason)
    return Split(tests)


def _category(b: tuple[Outcome, ...], a: tuple[Outcome, ...], touched: tuple[str, ...]) -> tuple[Category, str]:
    flaky = next(
        (
            f"{side}: " + ", ".join(o.value for o in outs)
            for side, outs in (("before", b), ("after", a))
            if len(set(outs)) > 1
        ),
        None,
    )
    if touched:  # first: it holds in every run, while a flip may come from the slower traced run alone
        used = " and ".join(sorted(set(touched)))
        reason = f"used the {used} side's code or files while testing the other side"
        return Category.SIDE_INDEPENDENT, reason + (f" (and flipped: {flaky})" if flaky else "")
    if flaky:
        return Category.FLAKY, flaky
    before, after = b[0] if b else Outcome.MISSING, a[0] if a else Outcome.MISSING
    if after.is_pass and before.is_fail:
        return Category.FAIL_TO_PASS, ""
    if after.is_pass and before.is_pass:
        return Category.PASS_TO_PASS, ""
    if before.is_pass and after.is_fail:
        return Category.PASS_TO_FAIL, ""
    if before.is_fail and after.is_fail:
        return Category.FAIL_TO_FAIL, ""
    return Category.OTHER, f"{before.value} on before, {after.value} on after (a skip or xfail never counts as a pass)"


def _touched_other(runs: Sequence[RunResults], nodeid: str, other: str) -> tuple[str, ...]:
    for run in runs:
        record = run.tests.get(nodeid)
        if record is not None and other in record.touched:
            return (other,)
    return ()


def _covers(collector: str, nodeid: str) -> bool:
    if collector in ("", "."):  # the whole run failed to start (e.g. a conftest that does not import)
        return True
    return nodeid == collector or nodeid.startswith(collector.rstrip("/") + ("::" if ".py" in collector else "/"))
