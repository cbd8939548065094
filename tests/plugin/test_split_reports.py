"""What the split hands to people and CI: the HTML page beside report.json, --junitxml and --json-report."""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from _split_task import BUGGY, FIXED, TESTS, split, write, write_bugfix_task

from pytest_gtguard.cli import main
from pytest_gtguard.split.html import render_html
from pytest_gtguard.split.plugin import child_args

HOSTILE = "</script><img src=x onerror=alert(1)>"
# On after: a regression (neg), a test failing with hostile text, and one that fails in one run only.
REGRESSED = FIXED.replace("return -a", "return a")
MORE_TESTS = f"""
import os

def test_hostile():
    assert {HOSTILE!r} == "ok"

def test_seeded():
    assert os.environ.get("PYTHONHASHSEED") != "1"
"""


@pytest.fixture
def broken_task(pytester: pytest.Pytester) -> Path:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": REGRESSED,
            "tests/test_calc.py": TESTS,
            "tests/test_more.py": MORE_TESTS,
            "pytest.ini": "[pytest]\n",
        },
    )
    return pytester.path


def test_split_writes_a_page_beside_the_report_with_verdict_lists_grid_problems_and_failures(
    pytester: pytest.Pytester, broken_task: Path
) -> None:
    result, report = split(pytester)

    assert result.ret == 1
    page = (broken_task / "out" / "report.html").read_text()
    result.stdout.fnmatch_lines([f"*page:*{broken_task / 'out' / 'report.html'}"])
    # Verdict first, then the lists, the grid and every problem with its fix.
    assert page.index("Task INVALID") < page.index("FAIL_TO_PASS: fail on before")
    assert "REGRESSION" in page and "PASS_TO_FAIL" in page
    for problem in report["problems"]:
        assert problem["code"] in page
    assert "fix repository_after" in page
    assert '<table id="grid">' in page
    for nodeid in ("tests/test_calc.py::test_add", "tests/test_calc.py::test_neg", "tests/test_more.py::test_seeded"):
        assert nodeid in page
    # The flaky test's disagreeing run is framed, and its reason shown.
    assert report["split"]["flaky"] == {"tests/test_more.py::test_seeded": "before: passed, failed"}
    assert 'class="o failed flip"' in page
    # The failure text of tests failing on after, escaped.
    assert "assert 2 == -2" in page
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page
    assert page.count("</script>") == 1  # the page's own filter script only


def test_split_page_of_a_valid_task_says_so(pytester: pytest.Pytester) -> None:
    write_bugfix_task(pytester.path)

    result, _ = split(pytester)

    assert result.ret == 0
    page = (pytester.path / "out" / "report.html").read_text()
    assert "Task valid" in page
    assert "No problems." in page
    assert "No test fails on after." in page


def test_page_escapes_every_text_from_the_runs() -> None:
    evil = '"><script>alert(1)</script>'
    report = {
        "success": False,
        "task": f"/tmp/{evil}",
        "problems": [{"code": evil, "severity": "error", "message": evil, "fix": evil, "tests": [evil]}],
        "split": {"FAIL_TO_PASS": [evil], "flaky": {evil: evil}, "unknown": [{"id": evil, "reason": evil}]},
        "results": {
            "after": {
                "tests": [{"nodeid": evil, "outcomes": ["failed", evil], "message": evil}],
                "runs": [{"index": 0, "hash_seed": evil, "error": evil}],
            }
        },
        "environment": {"hostname": evil},
    }

    page = render_html(report)

    assert "<script>alert" not in page
    assert '"><script' not in page  # no attribute closed early either
    assert page.count("<script>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_page_grid_has_a_column_per_run_with_results_and_names_the_others() -> None:
    runs = [{"index": 0, "hash_seed": 0, "counted": False, "signal": "SIGKILL"}, {"index": 1, "hash_seed": 1}]
    test = {"nodeid": "t.py::test_a", "outcomes": ["passed"]}
    report = {"success": False, "results": {"after": {"tests": [test], "runs": runs}}}

    page = render_html(report)

    assert "No column for after run 1: no results" in page
    assert '<th class="sep">a2</th>' in page and ">a1</th>" not in page
    assert 'title="after run 2, PYTHONHASHSEED=1: passed"' in page
    assert "Task INVALID: a run did not finish" in page


def test_gtguard_split_writes_the_page_too(tmp_path: Path) -> None:
    task = write_bugfix_task(tmp_path / "task")
    report = tmp_path / "out" / "report.json"

    code = main(["split", str(task), "--gtguard-runs", "1", "--gtguard-report", str(report)])

    assert code == 0
    assert "Task valid" in (tmp_path / "out" / "report.html").read_text()


def test_junitxml_holds_one_testcase_per_split_test_failing_the_regression(
    pytester: pytest.Pytester, broken_task: Path
) -> None:
    result, _ = split(pytester, "--junitxml=out/junit.xml")

    assert result.ret == 1
    suite = ET.parse(broken_task / "out" / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "3", "0")
    cases = {f"{c.get('classname')}::{c.get('name')}": c for c in suite.iter("testcase")}
    assert set(cases) == {
        "tests.test_calc::test_add",
        "tests.test_calc::test_neg",
        "tests.test_more::test_hostile",
        "tests.test_more::test_seeded",
    }
    props = {p.get("name"): p.get("value") for p in cases["tests.test_calc::test_neg"].iter("property")}
    assert props == {"gtguard_category": "PASS_TO_FAIL", "before": "passed,passed", "after": "failed,failed"}
    failure = cases["tests.test_calc::test_neg"].find("failure")
    assert failure is not None and failure.get("message") == "assert 2 == -2"
    assert "where 2 = neg(2)" in (failure.text or "")
    assert cases["tests.test_calc::test_add"].find("failure") is None
    seeded = {p.get("name"): p.get("value") for p in cases["tests.test_more::test_seeded"].iter("property")}
    assert seeded["gtguard_category"] == "flaky" and seeded["reason"] == "before: passed, failed"
    assert cases["tests.test_more::test_seeded"].find("failure") is not None  # it fails in one after run


def test_split_skips_in_junitxml_the_tests_in_no_list(pytester: pytest.Pytester, bugfix_task_with_skip: Path) -> None:
    result, _ = split(pytester, "--junitxml=out/junit.xml")

    assert result.ret == 1  # a skip on after is no pass (AFTER_NOT_PASSING)
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "out" / "junit.xml").getroot().iter("testcase")}
    skipped = cases["test_later"].find("skipped")
    assert skipped is not None and (skipped.get("message") or "").startswith("other: skipped on before")
    assert cases["test_add"].find("skipped") is None


@pytest.fixture
def bugfix_task_with_skip(pytester: pytest.Pytester) -> Path:
    write_bugfix_task(pytester.path)
    write(pytester.path, {"tests/test_skip.py": "import pytest\n\n@pytest.mark.skip\ndef test_later():\n    pass\n"})
    return pytester.path


def test_children_get_no_junit_or_json_report_options() -> None:
    args = ["--junitxml=a.xml", "--junit-xml", "b.xml", "--json-report", "--json-report-file", "c.json", "-q", "tests"]

    assert child_args(args) == ("-q", "tests")


@pytest.mark.skipif(importlib.util.find_spec("pytest_jsonreport") is None, reason="pytest-json-report not installed")
def test_json_report_is_the_split_aggregate(pytester: pytest.Pytester, broken_task: Path) -> None:
    result, _ = split(pytester, "--json-report", "--json-report-file=out/tests.json")

    assert result.ret == 1
    data = json.loads((broken_task / "out" / "tests.json").read_text())
    assert data["summary"] == {"passed": 1, "failed": 3, "total": 4, "collected": 4}
    assert data["exitcode"] == 1
    by_id = {t["nodeid"]: t for t in data["tests"]}
    assert by_id["tests/test_calc.py::test_neg"]["outcome"] == "failed"
    assert by_id["tests/test_calc.py::test_neg"]["gtguard"] == {
        "category": "PASS_TO_FAIL",
        "before": ["passed", "passed"],
        "after": ["failed", "failed"],
        "reason": "",
    }
    assert by_id["tests/test_calc.py::test_add"]["outcome"] == "passed"
    assert data["gtguard"]["success"] is False
    assert data["gtguard"]["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert data["gtguard"]["html"].endswith("report.html")
