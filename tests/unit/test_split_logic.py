"""Pure split logic: id styles, instance parsing, classification edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_gtguard.errors import ConfigError
from pytest_gtguard.results import CollectError, Outcome, RunResults, TestRecord
from pytest_gtguard.split.classify import Category, classify
from pytest_gtguard.split.evidence import failure_site, other_side_frame
from pytest_gtguard.split.instance import load_instance, resolve_id, write_lists
from pytest_gtguard.split.pool import blocked_plugins
from pytest_gtguard.split.runner import RunOutcome, TraceOnReach, plan_runs

NODEIDS = [
    "tests/test_calc.py::TestAdd::test_carry",
    "tests/test_calc.py::TestAdd::test_zero",
    "tests/test_calc.py::test_neg[1]",
    "tests/test_calc.py::test_neg[2]",
    "tests/other/test_io.py::test_read",
]


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        ("tests/test_calc.py::TestAdd::test_carry", ["tests/test_calc.py::TestAdd::test_carry"]),
        ("repository_after/tests/test_calc.py::TestAdd::test_carry", ["tests/test_calc.py::TestAdd::test_carry"]),
        ("test_carry", ["tests/test_calc.py::TestAdd::test_carry"]),
        ("TestAdd::test_zero", ["tests/test_calc.py::TestAdd::test_zero"]),
        ("tests.test_calc.TestAdd.test_carry", ["tests/test_calc.py::TestAdd::test_carry"]),
        ("tests/other/test_io.py", ["tests/other/test_io.py::test_read"]),
        ("test_io.py", ["tests/other/test_io.py::test_read"]),
        ("test_neg", ["tests/test_calc.py::test_neg[1]", "tests/test_calc.py::test_neg[2]"]),
        ("test_neg[2]", ["tests/test_calc.py::test_neg[2]"]),
        ("req1_atomic_validation", []),
        ("tests/test_structure.py::test_helper_function_exists", []),
    ],
    ids=[
        "nodeid",
        "prefixed-nodeid",
        "bare",
        "class",
        "dotted",
        "file",
        "file-name",
        "params",
        "one-param",
        "requirement-label",
        "missing-file",
    ],
)
def test_split_resolves_every_id_style(listed: str, expected: list[str]) -> None:
    assert resolve_id(listed, NODEIDS) == expected


def test_split_instance_with_a_raw_newline_gets_the_strict_json_fix(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text('{"instance_id": "X", "problem_statement": "line one\nline two"}')

    with pytest.raises(ConfigError, match=r"instance.json:1:\d+: not strict JSON: .*a raw line break"):
        load_instance(path)


def test_split_instance_lists_written_back_keep_order_and_indent(tmp_path: Path) -> None:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps({"b": 1, "FAIL_TO_PASS": [], "a": 2, "PASS_TO_PASS": []}, indent=4))
    instance = load_instance(path)

    write_lists(instance, {"FAIL_TO_PASS": ["t::b", "t::a"], "PASS_TO_PASS": []})

    text = path.read_text()
    assert list(json.loads(text)) == ["b", "FAIL_TO_PASS", "a", "PASS_TO_PASS"]
    assert json.loads(text)["FAIL_TO_PASS"] == ["t::a", "t::b"]
    assert '\n    "b": 1' in text
    assert any("instance_id" in p for p in instance.problems)


def run(side: str, **outcomes: Outcome) -> RunResults:
    return RunResults(side, 0, tests={n: TestRecord(n, o) for n, o in outcomes.items()})


def test_split_classify_covers_every_category() -> None:
    p, f, s = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
    before = [
        run("before", f2p=f, p2p=p, p2f=p, f2f=f, flaky=p, skip=s),
        run("before", f2p=f, p2p=p, p2f=p, f2f=f, flaky=f, skip=s),
    ]
    after = [run("after", f2p=p, p2p=p, p2f=f, f2f=f, flaky=p, skip=s)] * 2

    split = classify(before, after)

    assert {t.nodeid: t.category for t in split.tests.values()} == {
        "f2p": Category.FAIL_TO_PASS,
        "p2p": Category.PASS_TO_PASS,
        "p2f": Category.PASS_TO_FAIL,
        "f2f": Category.FAIL_TO_FAIL,
        "flaky": Category.FLAKY,
        "skip": Category.OTHER,
    }


def test_split_classify_prefers_side_independence_to_a_flip_in_the_traced_run() -> None:
    # 351e96: a timing test comparing both sides fails only in the slower, traced run.
    p, f = Outcome.PASSED, Outcome.FAILED
    traced = run("before", timing=f)
    traced.tests["timing"].touched = ["after"]
    before = [run("before", timing=p), run("before", timing=p), traced]
    after = [run("after", timing=p)] * 3

    history = classify(before, after).tests["timing"]

    assert history.category is Category.SIDE_INDEPENDENT
    assert history.reason == (
        "used the after side's code or files while testing the other side (and flipped: before: passed, passed, failed)"
    )


def test_split_classify_counts_a_module_that_did_not_import_as_error() -> None:
    before = [RunResults("before", 2, collect_errors=[CollectError("tests/test_a.py", "ImportError")])]
    after = [run("after", **{"tests/test_a.py::test_x": Outcome.PASSED})]

    split = classify(before, after)

    assert split.tests["tests/test_a.py::test_x"].before == (Outcome.ERROR,)
    assert split.ids(Category.FAIL_TO_PASS) == ["tests/test_a.py::test_x"]


def test_split_plan_is_reproducible_and_interleaves_sides() -> None:
    plan = plan_runs(3, seed=7)

    assert plan == plan_runs(3, seed=7)
    assert [s.side for s in plan] == ["before", "after"] * 3
    assert [s.hash_seed for s in plan if s.side == "after"] == [7, 8, 9]
    assert [s.order_seed for s in plan if s.side == "after"] == [None, 7001, 7002]
    assert [s.trace for s in plan] == [True, True, False, False, False, False]


def test_split_traces_the_next_run_of_a_side_that_reached_the_other() -> None:
    plan = plan_runs(2, seed=0, trace=False, watch=True)
    follow_up = TraceOnReach(0, plan)
    reached = RunResults("before", 1, reached=["after", "before"])
    own_only = RunResults("after", 0, reached=["after"])
    queued = plan[2:]

    queued = follow_up(RunOutcome(plan[1], 0, own_only, "", "", 0.1), queued)
    assert not any(s.trace for s in queued)
    queued = follow_up(RunOutcome(plan[0], 1, reached, "", "", 0.1), queued)
    assert [(s.side, s.index, s.trace) for s in queued] == [("before", 1, True), ("after", 1, False)]
    # Once traced, a side gets no second traced run; with nothing queued, one run is added instead.
    assert follow_up(RunOutcome(plan[0], 1, reached, "", "", 0.1), []) == []
    fresh = TraceOnReach(0, plan)
    assert [(s.side, s.index, s.trace) for s in fresh(RunOutcome(plan[0], 1, reached, "", "", 0.1), [])] == [
        ("before", 2, True)
    ]


@pytest.mark.parametrize(
    ("args", "blocked"),
    [
        ((), []),
        (("-p", "no:xdist", "-pno:randomly", "-q", "-p", "timeout"), ["xdist", "randomly"]),
        (("-x", "--disable-plugin-autoload", "-p", "xdist"), ["*"]),
    ],
)
def test_zygotes_leave_out_the_plugins_the_runs_block(args: tuple[str, ...], blocked: list[str]) -> None:
    assert blocked_plugins(args) == blocked


def test_split_classify_leaves_every_test_unknown_when_a_run_gave_no_results() -> None:
    p, f = Outcome.PASSED, Outcome.FAILED
    before = [run("before", add=f, neg=p)]

    split = classify(before, [], gaps=[("after", "the after run 1 died of SIGKILL during add")])

    assert split.ids(Category.UNKNOWN) == ["add", "neg"]
    assert split.tests["neg"].reason == "the after run 1 died of SIGKILL during add"
    assert split.ids(Category.PASS_TO_FAIL) == split.ids(Category.FAIL_TO_PASS) == []


def test_split_failure_site_names_the_task_file_not_gtguard_or_pytest_frames() -> None:
    text = (
        "/venv/lib/python3.11/site-packages/_pytest/python.py:528: in importtestmodule\n"
        "    mod = import_path(\n"
        "tests/test_calc.py:1: in <module>\n"
        "    from calc import add\n"
        "repository_after/calc.py:1: in <module>\n"
        "    import numpy_missing\n"
        "/work/src/pytest_gtguard/checks/imports.py:134: in guarded_import\n"
        "    return original_import(name, globals, locals, fromlist, level)\n"
        "E   ModuleNotFoundError: No module named 'numpy_missing'\n"
    )

    assert str(failure_site(text)) == "repository_after/calc.py:1: ModuleNotFoundError: No module named 'numpy_missing'"
    assert other_side_frame(text, "repository_after") == "repository_after/calc.py:1"
    assert other_side_frame(text, "repository_after", skip="repository_after/calc.py") is None


def test_split_failure_site_reads_a_python_traceback_from_stderr() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/task/tests/conftest.py", line 3, in <module>\n'
        "    import calc\n"
        "ModuleNotFoundError: No module named 'calc'\n"
    )

    assert str(failure_site(text, root="/task")) == "tests/conftest.py:3: ModuleNotFoundError: No module named 'calc'"
