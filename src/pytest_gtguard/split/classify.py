"""Classify test ids by their outcomes over repeated runs of the before and after sides."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pytest_gtguard.results import Outcome, RunResults, TestRecord
from pytest_gtguard.side.task import AFTER_DIR, BEFORE_DIR
from pytest_gtguard.split.evidence import Site, failure_site, other_side_frame

__all__ = ["Category", "SideError", "Split", "TestHistory", "classify", "side_outcomes"]

SIDES = ("before", "after")
_FOLDER = {"before": BEFORE_DIR, "after": AFTER_DIR}
_OTHER = {"before": "after", "after": "before"}


class Category(enum.Enum):
    """Where one test lands in the split."""

    FAIL_TO_PASS = "FAIL_TO_PASS"
    PASS_TO_PASS = "PASS_TO_PASS"
    PASS_TO_FAIL = "PASS_TO_FAIL"  # a regression: always reported
    FAIL_TO_FAIL = "FAIL_TO_FAIL"
    FLAKY = "flaky"  # outcome differs between runs of one side
    SIDE_INDEPENDENT = "side_independent"  # ran or read the other side's code: cannot tell the sides apart
    OTHER = "other"  # skipped, xfailed or missing on a side
    UNKNOWN = "unknown"  # no evidence: a run without results, a module that does not import on after, ...


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
    def before_only(self) -> bool:
        """Return True for a test kept in repository_before/, which no after run collects (that folder is before's)."""
        return self.nodeid.startswith(BEFORE_DIR + "/") and all(o.value == Outcome.MISSING.value for o in self.after)

    @property
    def flipped(self) -> bool:
        """Return True when one side's runs disagree on pass or not pass (flaky, or a flip beside another reason)."""
        return len({o.is_pass for o in self.before}) > 1 or len({o.is_pass for o in self.after}) > 1


@dataclass(frozen=True)
class SideError:
    """A file (or, with collector ``""``, a whole run) that did not collect on one side, and where it broke."""

    side: str
    collector: str
    site: Site
    tests: int = 0  # how many known tests it covers


@dataclass(frozen=True)
class Split:
    """The classified tests, keyed by category, with the evidence that is missing.

    ``gaps``: (side, reason) of each run that says nothing about its tests (no results, nothing collected).
    ``collect_errors``: one per side and file that did not collect, in any run.
    """

    tests: dict[str, TestHistory] = field(default_factory=dict)
    gaps: tuple[tuple[str, str], ...] = ()
    collect_errors: tuple[SideError, ...] = ()
    collected: tuple[str, ...] = SIDES  # the sides with at least one run that collected

    def ids(self, category: Category) -> list[str]:
        """Return the sorted node ids in ``category``."""
        return sorted(t.nodeid for t in self.tests.values() if t.category is category)

    def uncollected(self) -> list[str]:
        """Return the collectors that failed and under which no test is known (their tests are unseen)."""
        failed = {e.collector for e in self.collect_errors}
        return sorted(c for c in failed if not any(_covers(c, n) for n in self.tests))


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


def classify(
    before: Sequence[RunResults],
    after: Sequence[RunResults],
    *,
    gaps: Sequence[tuple[str, str]] = (),
    root: str = "",
) -> Split:
    """Classify every test seen in any run. Flaky, side-independent and unknown tests go in neither list.

    ``before`` and ``after`` hold the runs with results; ``gaps`` the (side, reason) of runs without
    evidence, whose tests are then unknown. ``root`` (the task folder) shortens paths in reasons.
    """
    runs = {"before": before, "after": after}
    nodeids = sorted({n for run in (*before, *after) for n in run.tests})
    errors = _collect_errors(runs, root, nodeids)
    touched_of = {n: _touched_other(before, n, "after") + _touched_other(after, n, "before") for n in nodeids}
    shared = _shared_errors(runs, touched_of, root)
    tests = {}
    for nodeid in nodeids:
        b, a = side_outcomes(before, nodeid), side_outcomes(after, nodeid)
        touched = touched_of[nodeid]
        unknown = None if touched else _unknown(nodeid, runs, gaps, errors, shared, root)
        # Only a test whose before runs xfailed needs its records read again.
        marked = _representative(b).value == Outcome.XFAILED.value and _xfailed_by_marker(before, nodeid)
        category, reason = (Category.UNKNOWN, unknown) if unknown else _category(b, a, touched, marked)
        tests[nodeid] = TestHistory(nodeid, b, a, touched, category, reason)
    collected = tuple(s for s in SIDES if any(r.tests or r.collect_errors for r in runs[s]))
    return Split(tests, tuple(gaps), tuple(errors), collected)


def _collect_errors(runs: Mapping[str, Sequence[RunResults]], root: str, nodeids: Sequence[str]) -> list[SideError]:
    """Return one error per side and collector (the first run's text), with the known tests it covers."""
    seen: dict[tuple[str, str], SideError] = {}
    for side in SIDES:
        for run in runs[side]:
            for err in run.collect_errors:
                if (side, err.nodeid) not in seen:
                    covered = sum(1 for n in nodeids if _covers(err.nodeid, n))
                    seen[side, err.nodeid] = SideError(side, err.nodeid, failure_site(err.message, root=root), covered)
    return list(seen.values())


def _shared_errors(
    runs: Mapping[str, Sequence[RunResults]], touched_of: Mapping[str, tuple[str, ...]], root: str
) -> dict[tuple[str, Site], str]:
    """Map (side, where a setup error was raised) to a side-independent test that errored the same way.

    A session fixture that reaches the other side fails once, in the setup of the first test that uses
    it (the one a traced run marks); pytest then re-raises the cached error for every later test, which
    the trace never sees reach anything (issue 16).
    """
    found: dict[tuple[str, Site], str] = {}
    for side in SIDES:
        for run in runs[side]:
            for record in run.tests.values():
                if _is_error(record.outcome) and _OTHER[side] in touched_of.get(record.nodeid, ()):
                    found.setdefault((side, failure_site(record.message, root=root)), record.nodeid)
    return found


def _unknown(
    nodeid: str,
    runs: Mapping[str, Sequence[RunResults]],
    gaps: Sequence[tuple[str, str]],
    errors: Sequence[SideError],
    shared: Mapping[tuple[str, Site], str],
    root: str,
) -> str | None:
    """Return why ``nodeid``'s outcomes are no evidence about the sides, or None when they are."""
    if gaps:
        more = len(gaps) - 1
        return gaps[0][1] + (f" (and {more} more run(s) without results)" if more else "")
    for err in errors:
        if err.side == "after" and _covers(err.collector, nodeid):
            what = err.collector or "the run"
            return f"{what} did not load on after: {err.site}"
    for side in SIDES:
        folder, own = _FOLDER[_OTHER[side]], nodeid.split("::", 1)[0]
        for run in runs[side]:
            record = run.tests.get(nodeid)
            if record is None or not record.outcome.is_fail:
                continue
            frame = other_side_frame(record.message, folder, skip=own)
            if frame is not None:
                return f"its {record.outcome.value} on {side} was raised in {frame}, the other side's code"
            twin = shared.get((side, failure_site(record.message, root=root)))
            if _is_error(record.outcome) and twin is not None and twin != nodeid:
                return (
                    f"its setup on {side} failed like that of {twin}, which used the {_OTHER[side]} side's code "
                    f"(a fixture they share): {failure_site(record.message, root=root)}"
                )
    return None


def _xfailed_by_marker(runs: Sequence[RunResults], nodeid: str) -> bool:
    """Return True when every xfail of ``nodeid`` in ``runs`` is an error its marker expected, not ``pytest.xfail()``.

    A test that calls ``pytest.xfail()`` stops there, before checking anything (``if legacy: pytest.xfail(...)``,
    0dqub1), so its xfail shows nothing about the code; an xfail marker's test ran and raised.
    """
    records = [r for run in runs if (r := run.tests.get(nodeid)) is not None and r.outcome.value == "xfailed"]
    return bool(records) and all(r.message and not called_xfail(r) for r in records)


def called_xfail(record: TestRecord) -> bool:
    """Return True for an xfail raised by a ``pytest.xfail()`` call (its failure text names ``XFailed``)."""
    return record.outcome.value == Outcome.XFAILED.value and "XFailed" in record.message


def _category(
    b: tuple[Outcome, ...], a: tuple[Outcome, ...], touched: tuple[str, ...], xfail_failed: bool = False
) -> tuple[Category, str]:
    # Flaky means the reward flips: passed in one run, not in another. Error, failed, failed is a
    # consistent failure (a reward of -1 every time), not a flaky test to leave out of the verdict.
    flaky = next(
        (
            f"{side}: " + ", ".join(o.value for o in outs)
            for side, outs in (("before", b), ("after", a))
            if len({o.is_pass for o in outs}) > 1
        ),
        None,
    )
    if touched:  # first: it holds in every run, while a flip may come from the slower traced run alone
        used = " and ".join(sorted(set(touched)))
        reason = f"used the {used} side's code or files while testing the other side"
        return Category.SIDE_INDEPENDENT, reason + (f" (and flipped: {flaky})" if flaky else "")
    if flaky:
        return Category.FLAKY, flaky
    before, after = _representative(b), _representative(a)
    # An xfail on before under a marker ran and failed, as the marker expected: a test marked xfail under a
    # condition on the side (`xfail(USE_LEGACY, strict=True)`, t29jv2) that passes on after is FAIL_TO_PASS.
    # On after it is never a pass; a skip, pytest.xfail() or xfail(run=False) is no evidence either way.
    before_fails = before.is_fail or (xfail_failed and before.value == Outcome.XFAILED.value)
    if after.is_pass and before_fails:
        return Category.FAIL_TO_PASS, ""
    if after.is_pass and before.is_pass:
        return Category.PASS_TO_PASS, ""
    if before.is_pass and after.is_fail:
        return Category.PASS_TO_FAIL, ""
    if before_fails and after.is_fail:
        return Category.FAIL_TO_FAIL, ""
    if before.value == Outcome.MISSING.value or after.value == Outcome.MISSING.value:
        return Category.OTHER, f"{before.value} on before, {after.value} on after (a test must run on both sides)"
    return Category.OTHER, f"{before.value} on before, {after.value} on after (a skip or xfail never counts as a pass)"


def _representative(outs: tuple[Outcome, ...]) -> Outcome:
    """Return the outcome that stands for runs agreeing on pass or not pass: a failure before a skip."""
    if not outs:
        return Outcome.MISSING
    return next((o for o in outs if o.is_fail), outs[0])


def _is_error(outcome: Outcome) -> bool:
    # By value: a pytester session may hold two copies of the results module, hence of the enum.
    return outcome.value == Outcome.ERROR.value


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
