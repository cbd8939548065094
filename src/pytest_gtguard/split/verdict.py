"""Judge a split: whether the task is valid and its instance lists agree with the runs."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_gtguard.split.classify import Category, Split
from pytest_gtguard.split.instance import LIST_KEYS, Instance, resolve_id
from pytest_gtguard.task.instance import BOM_FIX, BOM_REASON, differing_keys

__all__ = ["ExitCode", "Problem", "Severity", "Verdict", "compare_instance", "judge"]


class ExitCode(enum.IntEnum):
    """Exit codes of ``pytest --before --after`` and ``gtguard split`` (docs/split.md)."""

    VALID = 0  # the task is valid and its instance lists (if any) agree with the runs
    PROBLEMS = 1  # at least one error-severity problem: see the summary
    RUN_CRASHED = 3  # a side's run crashed or timed out, so the split is incomplete
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


def judge(split: Split, *, expect_f2p: bool, run_errors: Sequence[str] = ()) -> list[Problem]:
    """Return the task-level problems: no F2P, after not passing, regressions, flaky and side-independent."""
    problems = [Problem("RUN_FAILED", Severity.ERROR, err, "see the run's output in the report") for err in run_errors]
    f2p = split.ids(Category.FAIL_TO_PASS)
    if not f2p and expect_f2p:
        problems.append(
            Problem(
                "NO_FAIL_TO_PASS",
                Severity.ERROR,
                "no test fails on before and passes on after: the tests do not detect the problem",
                "add a test that fails on repository_before, or set gtguard_expect_f2p = false for a pure refactor",
            )
        )
    regressions = split.ids(Category.PASS_TO_FAIL)
    if regressions:
        problems.append(
            Problem(
                "REGRESSION",
                Severity.ERROR,
                f"{len(regressions)} test(s) pass on before but fail on after",
                "fix repository_after (the ground truth breaks behaviour the tests expect)",
                tuple(regressions),
            )
        )
    not_passing = [
        t.nodeid
        for t in split.tests.values()
        if t.category is not Category.PASS_TO_FAIL and not t.flipped and not all(o.is_pass for o in t.after)
    ]
    if not_passing:
        problems.append(
            Problem(
                "AFTER_NOT_PASSING",
                Severity.ERROR,
                f"{len(not_passing)} test(s) do not pass on after (failed, errored, skipped, xfailed or not collected)",
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
                        "run with --gtguard-update-instance to write the computed list",
                        tuple(sorted(computed[key])),
                    )
                )
            continue
        resolved: set[str] = set()
        unknown = []
        for item in listed:
            found = resolve_id(item, nodeids)
            resolved.update(found)
            if not found:
                unknown.append(item)
        if unknown:
            problems.append(
                Problem(
                    f"{key}_UNKNOWN_IDS",
                    Severity.ERROR,
                    f"{where}: {len(unknown)} id(s) in {key} name no test",
                    "use node ids such as tests/test_x.py::test_name, or --gtguard-update-instance",
                    tuple(unknown),
                )
            )
        wrong = sorted(resolved - computed[key])
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
                    "add them, or run with --gtguard-update-instance",
                    tuple(missing),
                )
            )
    return problems


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
