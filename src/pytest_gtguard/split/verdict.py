"""Judge a split: whether the task is valid and its instance lists agree with the runs."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pytest_gtguard.split.classify import Category, SideError, Split
from pytest_gtguard.split.evidence import run_gap
from pytest_gtguard.split.instance import LIST_KEYS, Instance, resolve_id
from pytest_gtguard.split.runner import RunOutcome
from pytest_gtguard.task.instance import BOM_FIX, BOM_REASON, differing_keys
from pytest_gtguard.task.sidetests import SideTests

__all__ = [
    "ALLOW_SIDE_INDEPENDENT",
    "ExitCode",
    "Problem",
    "Severity",
    "Verdict",
    "compare_instance",
    "judge",
    "side_tests_problem",
]

# The opt-in for a task whose tests mostly compare with the other side (docs/split.md).
ALLOW_SIDE_INDEPENDENT = "gtguard_allow_side_independent"
_TAIL_LINES = 6  # of a failed run's output, on the console (the report has its tail)


class ExitCode(enum.IntEnum):
    """Exit codes of ``pytest --before --after`` and ``gtguard split`` (docs/split.md)."""

    VALID = 0  # the task is valid and its instance lists (if any) agree with the runs
    PROBLEMS = 1  # at least one error-severity problem: see the summary
    RUN_CRASHED = 3  # a run crashed, was killed or timed out, so the split is incomplete
    USAGE_ERROR = 4  # bad options (pytest's own code for this)
    NO_TESTS = 5  # no test was collected on either side (pytest's own code for this)


class Severity(enum.Enum):
    """Whether a problem makes the task invalid."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the task, with the tests it concerns and how to fix it."""

    code: str
    severity: Severity
    message: str
    fix: str
    tests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The outcome of judging a split."""

    problems: tuple[Problem, ...]
    crashed: bool

    @property
    def valid(self) -> bool:
        """Return True when no error-severity problem was found and every run finished."""
        return not self.crashed and not any(p.severity is Severity.ERROR for p in self.problems)

    @property
    def exit_code(self) -> ExitCode:
        """Return the documented exit code for this verdict."""
        if self.crashed:
            return ExitCode.RUN_CRASHED
        return ExitCode.VALID if self.valid else ExitCode.PROBLEMS


def run_problem(outcome: RunOutcome) -> Problem:
    """Return the RUN_FAILED problem of a run that gave no evidence: what ended it, and what to do."""
    reason = run_gap(outcome) or f"the {outcome.spec.side} run {outcome.spec.index + 1} failed"
    # The end of stderr shows a crash's own words (faulthandler, "Fatal Python error"); stdout is in the report.
    output = [f"    | {line}" for line in outcome.stderr.strip().splitlines()[-_TAIL_LINES:]]
    message = "\n".join([reason, *output])
    at = f" ({outcome.last_test})" if outcome.last_test else ""
    signame = outcome.signal
    if outcome.results is not None:
        fix = "make every run collect the tests (check testpaths, -k, -m and the paths given)"
    elif signame == "SIGKILL" and outcome.last_test:
        fix = f"SIGKILL is usually the out-of-memory killer: make the test{at} use less memory, or give it more"
    elif signame == "SIGKILL":
        fix = "the run was killed before its tests ran (the out-of-memory killer, or a limit): see the message"
    elif signame is not None:
        fix = f"the interpreter crashed ({signame}) in the test{at}: run it alone with python -X faulthandler"
    elif outcome.returncode == -1:
        fix = f"find the hanging test{at}, or raise --gtguard-run-timeout"
    else:
        where = f" in {outcome.last_test}" if outcome.last_test else ""
        fix = f"a test or conftest ended the interpreter{where} (os._exit, or sys.exit at import): see the run's output"
    return Problem("RUN_FAILED", Severity.ERROR, message, fix + "; its tests are unknown until every run finishes")


def judge(
    split: Split,
    *,
    expect_f2p: bool,
    run_errors: Sequence[Problem] = (),
    allow_side_independent: bool = False,
    testing_hint: str | None = None,
    causes_of: Callable[[Sequence[str]], Sequence[str]] | None = None,
) -> list[Problem]:
    """Return the task-level problems: failed runs, unknown tests, no F2P, after not passing, regressions, ...

    An unknown test is named with its reason and gives no verdict either way (issue 16). ``testing_hint``: the
    fix for a testing task (judged by ``pytest --meta``). ``causes_of``: why tests fail on after.
    """
    why = causes_of or (lambda nodeids: ())
    problems = list(run_errors)
    problems += [_collect_problem(e, split) for e in split.collect_errors if e.side == "after"]
    problems += _unknown_problems(split)
    f2p = split.ids(Category.FAIL_TO_PASS)
    if not f2p and expect_f2p and not split.ids(Category.UNKNOWN) and not split.gaps:
        problems.append(
            Problem(
                "NO_FAIL_TO_PASS",
                Severity.ERROR,
                "no test fails on before and passes on after: the tests do not detect the problem",
                testing_hint
                or "add a test that fails on repository_before, or set gtguard_expect_f2p = false for a pure refactor",
            )
        )
    regressions = split.ids(Category.PASS_TO_FAIL)
    if regressions:
        problems.append(
            Problem(
                "REGRESSION",
                Severity.ERROR,
                "\n".join([f"{len(regressions)} test(s) pass on before but fail on after", *why(regressions)]),
                "fix repository_after (the ground truth breaks behaviour the tests expect)",
                tuple(regressions),
            )
        )
    not_passing = [
        t.nodeid
        for t in split.tests.values()
        if t.category not in (Category.PASS_TO_FAIL, Category.UNKNOWN)
        and not t.flipped
        and not t.before_only  # before's own test (in repository_before/): the ground truth never runs it
        and not all(o.is_pass for o in t.after)
    ]
    if not_passing:
        message = (
            f"{len(not_passing)} test(s) do not pass on after (failed, errored, skipped, xfailed or not collected)"
        )
        problems.append(
            Problem(
                "AFTER_NOT_PASSING",
                Severity.ERROR,
                "\n".join([message, *why(not_passing)]),
                "the ground truth must pass every test: fix it, or the test; a skip is not a pass",
                tuple(sorted(not_passing)),
            )
        )
    flaky = split.ids(Category.FLAKY)
    if flaky:
        problems.append(
            Problem(
                "FLAKY",
                Severity.WARNING,
                f"{len(flaky)} test(s) changed outcome between runs of one side",
                "make them deterministic (hash order, randomness, timing: a run marked 'traced' in the report "
                "runs calls slower; a fixed wall-clock threshold that fails there flakes on busy machines too, "
                "use @pytest.mark.perf_gate); they are in neither list",
                tuple(flaky),
            )
        )
    independent = split.ids(Category.SIDE_INDEPENDENT)
    if independent:
        problems.append(
            Problem(
                "SIDE_INDEPENDENT",
                Severity.WARNING,
                f"{len(independent)} test(s) ran or read the other side's code, so they cannot tell the sides apart",
                "import the code under test by its bare name (not repository_after.x); they are in neither list",
                tuple(independent),
            )
        )
        if 2 * len(independent) > len(split.tests) and not allow_side_independent:
            checking = len(split.tests) - len(independent)
            problems.append(
                Problem(
                    "MOSTLY_SIDE_INDEPENDENT",
                    Severity.ERROR,
                    f"{len(independent)} of {len(split.tests)} tests are side-independent: only {checking} can "
                    "tell the sides apart, too few to call the task valid",
                    "make the tests exercise the side under test; if comparing with the other side is the point, "
                    f"opt in with {ALLOW_SIDE_INDEPENDENT} = true in the task's pytest ini",
                )
            )
    return problems


def _collect_problem(error: SideError, split: Split) -> Problem:
    """Return the problem of a file that does not load on after: the real cause, with its file and line."""
    what = error.collector or "the run (a conftest)"
    marker = f"{error.collector or 'the run'} did not load on after"
    ids = [t.nodeid for t in split.tests.values() if t.category is Category.UNKNOWN and t.reason.startswith(marker)]
    where = error.site.location or error.collector or "the conftest"
    return Problem(
        "COLLECTION_ERROR",
        Severity.ERROR,
        f"after: {what} does not load: {error.site}",
        f"fix {where} so that it imports on repository_after ({error.site.exception}); until then its "
        f"{error.tests} test(s) are unknown (the instance lists are not the cause)",
        tuple(sorted(ids)),
    )


def _unknown_problems(split: Split) -> list[Problem]:
    """Return one UNKNOWN problem per reason, for the tests a failed run or a collection error does not explain."""
    loaded_on_after = [e.collector for e in split.collect_errors if e.side == "after"]
    by_reason: dict[str, list[str]] = {}
    for test in split.tests.values():
        if test.category is Category.UNKNOWN:
            by_reason.setdefault(test.reason, []).append(test.nodeid)
    problems = []
    for reason, ids in by_reason.items():
        if split.gaps:
            fix = "fix the failed run(s) above and split again"
        elif any(reason.startswith(f"{c or 'the run'} did not load on after") for c in loaded_on_after):
            continue  # named under COLLECTION_ERROR, with its file and line
        else:
            fix = (
                "make each side's run use its own side only (load the code under test by its bare name, not "
                "from the other side's folder, also in fixtures and conftests)"
            )
        problems.append(
            Problem(
                "UNKNOWN",
                Severity.ERROR,
                f"{len(ids)} test(s) have no evidence either way, so they are in neither list: {reason}",
                fix + "; do not write these tests into the instance lists until they are classified",
                tuple(sorted(ids)),
            )
        )
    return problems


def compare_instance(instance: Instance, split: Split) -> list[Problem]:
    """Compare the instance's hand-written lists with the computed ones."""
    # Schema completeness is gtguard validate's job; the split only warns so its own verdict stays about the lists.
    problems = [
        Problem("INSTANCE_SCHEMA", Severity.WARNING, p, "gtguard validate lists every schema problem")
        for p in instance.problems
    ]
    problems += _file_problems(instance)
    nodeids = sorted(split.tests)
    unknown = set(split.ids(Category.UNKNOWN))
    # Without every test's evidence the computed lists are incomplete: never offer to write them (issue 16).
    update = (
        f"; the lists are incomplete while {len(unknown)} test(s) are unknown"
        if unknown
        else ", or run with --gtguard-update-instance"
    )
    computed = {
        "FAIL_TO_PASS": set(split.ids(Category.FAIL_TO_PASS)),
        "PASS_TO_PASS": set(split.ids(Category.PASS_TO_PASS)),
    }
    where = str(instance.path)
    for key in LIST_KEYS:
        listed = instance.listed(key)
        if not listed:
            if computed[key]:
                problems.append(
                    Problem(
                        f"{key}_EMPTY",
                        Severity.WARNING,
                        f"{where}: {key} is empty; the runs found {len(computed[key])}",
                        "write the computed list" + update,
                        tuple(sorted(computed[key])),
                    )
                )
            continue
        resolved: set[str] = set()
        unresolved = []
        for item in listed:
            found = resolve_id(item, nodeids)
            resolved.update(found)
            if not found and _checkable(item, split):
                unresolved.append(item)
        if unresolved:
            problems.append(
                Problem(
                    f"{key}_UNKNOWN_IDS",
                    Severity.ERROR,
                    f"{where}: {len(unresolved)} id(s) in {key} name no test",
                    "use node ids such as tests/test_x.py::test_name" + update,
                    tuple(unresolved),
                )
            )
        wrong = sorted(resolved - computed[key] - unknown)
        if wrong:
            actual = {n: split.tests[n].category.value for n in wrong}
            problems.append(
                Problem(
                    f"{key}_WRONG",
                    Severity.ERROR,
                    f"{where}: {len(wrong)} test(s) listed in {key} are not {key}",
                    "; ".join(f"{n} is {c}" for n, c in actual.items())[:500],
                    tuple(wrong),
                )
            )
        missing = sorted(computed[key] - resolved)
        if missing:
            problems.append(
                Problem(
                    f"{key}_MISSING",
                    Severity.ERROR,
                    f"{where}: {len(missing)} {key} test(s) are not listed",
                    "add them" + update,
                    tuple(missing),
                )
            )
    return problems


def _checkable(listed: str, split: Split) -> bool:
    """Return whether a listed id that matches no known test may be called one that names no test.

    Only against runs that collected (issue 16): not when a side has no such run, nor for an id that
    may lie in a file no run could load.
    """
    if len(split.collected) < 2 or split.gaps:
        return False
    uncollected = split.uncollected()
    if not uncollected:
        return True
    path = listed.strip().split("::", 1)[0]
    if not path.endswith(".py"):
        return False  # a bare or dotted name may be a test of a file that did not load
    return not any(c in ("", ".") or path.endswith(c) or c.endswith(path) or path.startswith(c) for c in uncollected)


def _file_problems(instance: Instance) -> list[Problem]:
    """Return what pipelines reading the file would trip on: a BOM, lists as strings, a disagreeing twin.

    Errors, as in ``gtguard validate`` (GT102, GT103, GT110): judged on the file as it is now, so a
    file rewritten by --gtguard-update-instance (lists as lists, no BOM) no longer has them (issue 15).
    """
    where = str(instance.path)
    update = "or run with --gtguard-update-instance, which rewrites the file"
    problems = []
    if instance.bom:
        problems.append(Problem("INSTANCE_BOM", Severity.ERROR, f"{where}: {BOM_REASON}", f"{BOM_FIX}, {update}"))
    for key in LIST_KEYS:
        value = instance.data.get(key)
        if isinstance(value, str):
            shown = value if len(value) <= 60 else value[:57] + "..."
            problems.append(
                Problem(
                    f"{key}_NOT_A_LIST",
                    Severity.ERROR,
                    f"{where}: {key} is a string, not a list ({shown}); pipelines that iterate it get characters",
                    f'write {key} as a JSON list of test ids: ["tests/test_x.py::test_y"], {update}',
                )
            )
    for other, items in instance.others.items():
        keys = [] if isinstance(items, str) else differing_keys([instance.data], items)
        if isinstance(items, str) or keys:
            detail = f"cannot be read ({items})" if isinstance(items, str) else f"disagrees on {', '.join(keys)}"
            problems.append(
                Problem(
                    "INSTANCE_FILES_DISAGREE",
                    Severity.ERROR,
                    f"{other}, a second instance file besides {where}, {detail}; a pipeline may read either file",
                    f"keep one instance file (the split reads and updates {where}), or make both say the same",
                )
            )
    return problems


def side_tests_problem(found: SideTests | None, split: Split) -> list[Problem]:
    """Return PER_SIDE_TESTS when the task's commands run other tests per side and the split ran both sets.

    Such a split mixes two suites, each written for one side (docs/split.md); it is a warning: the
    verdict still says what the tests gtguard ran do on each side.
    """
    if found is None or not {"before", "after"} <= {found.collects(nodeid) for nodeid in split.tests}:
        return []
    return [
        Problem(
            "PER_SIDE_TESTS",
            Severity.WARNING,
            f"the task's own commands run different tests per side ({found.describe()}; "
            f"{', '.join(found.where)}), and the split ran all of them on both sides",
            f"split the tests meant for both sides by naming them (`pytest --before --after "
            f"{' '.join(found.after)}`); the task's own counts are {found.commands()}",
        )
    ]
