"""The split: `pytest --before --after` runs both sides in fresh processes and classifies every test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _split_task import BUGGY, FIXED, TESTS, instance, split, write, write_bugfix_task


@pytest.fixture
def bugfix_task(pytester: pytest.Pytester) -> Path:
    return write_bugfix_task(pytester.path)


def test_split_computes_exact_lists_for_a_bugfix_task(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result, report = split(pytester)

    assert result.ret == 0
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg"]
    assert report["success"] is True
    assert report["results"]["before"]["summary"] == {
        "total": 2,
        "passed": 1,
        "failed": 1,
        "errors": 0,
        "skipped": 0,
        "xfailed": 0,
        "flaky": 0,
        "unknown": 0,
    }
    assert [r["hash_seed"] for r in report["results"]["after"]["runs"]] == [0, 1]
    result.stdout.fnmatch_lines(
        [
            "*FAIL_TO_PASS 1  PASS_TO_PASS 1*",
            "*gtguard split: task valid (exit 0)*",
            "*= 1 fail-to-pass, 1 pass-to-pass in *",
        ]
    )


def test_split_report_defaults_to_dated_evaluation_folder(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result = pytester.runpytest("--before", "--after", "--gtguard-runs", "1")

    assert result.ret == 0
    (report,) = (bugfix_task / "evaluation").glob("*/*/report.json")
    data = json.loads(report.read_text())
    for key in (
        "run_id",
        "started_at",
        "finished_at",
        "duration_seconds",
        "success",
        "error",
        "environment",
        "results",
        "schema_version",
    ):
        assert key in data
    assert set(data["results"]) == {"before", "after", "comparison"}


def test_split_treats_an_empty_before_side_as_failing_everything(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/.gitkeep": "",
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": TESTS,
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    assert report["results"]["before"]["tests"][0]["outcome"] == "error"


def test_split_flags_a_test_that_reads_the_other_side_as_side_independent(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": TESTS,
            "tests/test_equivalence.py": """
            from repository_after.calc import neg as after_neg

            def test_neg_matches_reference():
                from calc import neg
                assert neg(3) == after_neg(3)
            """,
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    assert report["split"]["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg"]
    assert list(report["split"]["side_independent"]) == ["tests/test_equivalence.py::test_neg_matches_reference"]
    result.stdout.fnmatch_lines(["*WARNING SIDE_INDEPENDENT*", "*test_neg_matches_reference*"])
    # The first before run to end only watched; it reached repository_after, so another run (the next
    # queued one, or one more when both had started) was traced to find the test. After never reaches before.
    before_runs = [r["traced"] for r in report["results"]["before"]["runs"]]
    assert before_runs.count(True) == 1
    assert before_runs.count(False) >= 1
    assert [r["traced"] for r in report["results"]["after"]["runs"]] == [False, False]


def test_split_adds_a_traced_run_when_no_run_of_the_side_is_left(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": TESTS,
            "tests/test_source.py": """
            from pathlib import Path

            def test_after_source_has_no_minus():
                source = Path(__file__).parents[1] / "repository_after" / "calc.py"
                assert "a - b" not in source.read_text()
            """,
        },
    )

    result, report = split(pytester, "--gtguard-runs", "1")

    assert result.ret == 0
    assert list(report["split"]["side_independent"]) == ["tests/test_source.py::test_after_source_has_no_minus"]
    assert [(r["index"], r["traced"]) for r in report["results"]["before"]["runs"]] == [(0, False), (1, True)]


def test_split_flags_a_hash_seed_dependent_test_as_flaky(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(
        bugfix_task,
        {
            "tests/test_order.py": """
        def test_first_of_a_set():
            assert list({"alpha", "beta", "gamma", "delta"})[0] == "alpha"
        """
        },
    )

    result, report = split(pytester, "--gtguard-runs", "3")

    assert result.ret == 0
    assert list(report["split"]["flaky"]) == ["tests/test_order.py::test_first_of_a_set"]
    assert "tests/test_order.py::test_first_of_a_set" not in report["split"]["PASS_TO_PASS"]
    result.stdout.fnmatch_lines(["*WARNING FLAKY*"])


def test_split_fails_on_a_regression(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED.replace("return -a", "return a"),
            "tests/test_calc.py": TESTS,
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    assert report["split"]["PASS_TO_FAIL"] == ["tests/test_calc.py::test_neg"]
    result.stdout.fnmatch_lines(
        ["*ERROR REGRESSION: 1 test(s) pass on before but fail on after*", "*gtguard split: task INVALID (exit 1)*"]
    )


def test_split_reports_a_malformed_instance_with_line_and_fix(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(bugfix_task, {"instances/instance.json": '{"instance_id": "T1", "problem_statement": "say "hi""}'})

    result, report = split(pytester)

    assert result.ret == 1
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    result.stdout.fnmatch_lines(["*INSTANCE_INVALID_JSON*instance.json:1:*unescaped double quote*"])


def test_split_names_listed_ids_that_name_no_test(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(
        bugfix_task,
        {
            "instances/instance.json": instance(
                FAIL_TO_PASS=["test_add", "tests/test_structure.py::test_helper_function_exists"],
                PASS_TO_PASS=["tests.test_calc.test_neg"],
            )
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    codes = [p["code"] for p in report["problems"]]
    assert codes == ["FAIL_TO_PASS_UNKNOWN_IDS"]
    result.stdout.fnmatch_lines(["*1 id(s) in FAIL_TO_PASS name no test*", "*test_helper_function_exists*"])


def test_split_flags_a_listed_f2p_that_passes_on_before(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(bugfix_task, {"instances/instance.json": instance(FAIL_TO_PASS=["test_add", "test_neg"])})

    result, report = split(pytester)

    assert result.ret == 1
    problem = next(p for p in report["problems"] if p["code"] == "FAIL_TO_PASS_WRONG")
    assert problem["tests"] == ["tests/test_calc.py::test_neg"]
    assert "PASS_TO_PASS" in problem["fix"]


def test_split_update_instance_writes_lists_and_keeps_other_keys(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(bugfix_task, {"instances/instance.json": instance()})

    result, _ = split(pytester, "--gtguard-update-instance")

    assert result.ret == 0
    data = json.loads((bugfix_task / "instances/instance.json").read_text())
    assert list(data) == [
        "instance_id",
        "problem_statement",
        "base_commit",
        "github_url",
        "FAIL_TO_PASS",
        "PASS_TO_PASS",
        "extra",
    ]
    assert data["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert data["PASS_TO_PASS"] == ["tests/test_calc.py::test_neg"]
    assert data["extra"] == {"keep": True}


def test_split_skip_on_after_is_not_a_pass(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(
        bugfix_task,
        {
            "tests/test_skip.py": """
        import pytest

        @pytest.mark.skip(reason="later")
        def test_later():
            pass
        """
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    assert report["split"]["other"] == {
        "tests/test_skip.py::test_later": "skipped on before, skipped on after (a skip or xfail never counts as a pass)"
    }
    result.stdout.fnmatch_lines(["*ERROR AFTER_NOT_PASSING*", "*tests/test_skip.py::test_later*"])


def test_split_with_a_conftest_that_forces_exit_zero_still_judges(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED.replace("return -a", "return a"),
            "tests/test_calc.py": TESTS,
            "tests/conftest.py": "def pytest_sessionfinish(session):\n    session.exitstatus = 0\n",
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    assert report["results"]["after"]["exit_code"] == 1


def test_split_rejects_a_bad_runs_count(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    result = pytester.runpytest("--before", "--after", "--gtguard-runs", "0")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--gtguard-runs*at least 1*"])
    assert "Traceback" not in result.stderr.str()


def test_split_counts_a_conftest_that_cannot_import_on_before_as_failing(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_after/calc.py": FIXED,
            "tests/conftest.py": "from calc import add  # the greenfield before side has no calc\n",
            "tests/test_calc.py": TESTS,
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    assert report["results"]["before"]["runs"][0]["exit_code"] == pytest.ExitCode.USAGE_ERROR


def test_split_reports_an_after_run_that_dies_midway(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(bugfix_task, {"tests/test_exit.py": "import os\n\ndef test_dies():\n    os._exit(0)\n"})

    result, report = split(pytester)

    assert result.ret == 3
    assert "RUN_FAILED" in [p["code"] for p in report["problems"]]
    result.stdout.fnmatch_lines(["*ERROR RUN_FAILED: the after run 1 exited with * before writing results*"])
    # Every run died (the test is on both sides): no test is judged, none is a regression or a list to write.
    result.stdout.no_fnmatch_line("*REGRESSION*")
    result.stdout.no_fnmatch_line("*NO_FAIL_TO_PASS*")
    assert report["split"]["FAIL_TO_PASS"] == report["split"]["PASS_TO_FAIL"] == []


def test_split_flags_a_test_that_only_inspects_the_other_sides_module(pytester: pytest.Pytester) -> None:
    # mechanical_refactor_score: the module is already imported, so none of its code runs in the test.
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED + "\ndef _helper():\n    return 1\n",
            "tests/test_calc.py": TESTS,
            "tests/test_structure.py": """
            import repository_after.calc

            def test_helper_exists():
                import repository_after.calc as mod
                assert hasattr(mod, "_helper")
            """,
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    assert list(report["split"]["side_independent"]) == ["tests/test_structure.py::test_helper_exists"]


def test_split_does_not_flag_a_test_that_branches_to_its_own_side(pytester: pytest.Pytester) -> None:
    # 351e96: both sides are named in the code, but each run imports only the side under test.
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": """
            import os

            def test_add_by_side():
                if "repository_before" in os.environ["PYTHONPATH"]:
                    import repository_before.calc as mod
                else:
                    import repository_after.calc as mod
                assert mod.add(2, 3) == 5
            """,
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add_by_side"]
    assert report["split"]["side_independent"] == {}


def test_split_report_carries_check_findings_of_the_side_under_test(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "repository_before/calc.py": BUGGY,
            "repository_after/calc.py": "import decimal\n" + FIXED,
            "tests/test_calc.py": TESTS,
            "pytest.ini": "[pytest]\ngtguard_forbid_imports = decimal\n",
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    after = {t["nodeid"]: t for t in report["results"]["after"]["tests"]}
    findings = after["tests/test_calc.py::test_add"]["properties"]["gtguard_checks"]
    assert any(f["subject"] == "decimal" and f["file"].endswith("calc.py") for f in findings)


def test_split_report_carries_perf_gate_measurements(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    write(
        bugfix_task,
        {
            "tests/test_speed.py": """
        import pytest
        from calc import neg

        @pytest.mark.perf_gate(n=1000, ms=10_000)
        def test_neg_is_fast(perf):
            perf.measure(lambda xs: [neg(x) for x in xs], setup=lambda n: list(range(n)))
        """
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    after = {t["nodeid"]: t for t in report["results"]["after"]["tests"]}
    measured = after["tests/test_speed.py::test_neg_is_fast"]["properties"]["perf_gate"]
    assert measured["n"] == 1000


def test_split_children_do_not_inherit_the_parents_side_environment(pytester: pytest.Pytester) -> None:
    # 899d52: tests pick the side by looking for a folder name in PYTHONPATH; the parent pytest process
    # activates the after side for its conftests, and that must not leak into the before runs.
    write(
        pytester.path,
        {
            "repository_before/__init__.py": "",
            "repository_before/calc.py": BUGGY,
            "repository_after/__init__.py": "",
            "repository_after/calc.py": FIXED,
            "tests/test_calc.py": """
            import os

            def test_add():
                if "repository_after" in os.environ.get("PYTHONPATH", ""):
                    from repository_after.calc import add
                else:
                    from repository_before.calc import add
                assert add(2, 3) == 5
            """,
        },
    )

    result, report = split(pytester)

    assert result.ret == 0
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    # Each run only reached its own side: no run needed the slow per-test trace.
    assert not any(r["traced"] for side in ("before", "after") for r in report["results"][side]["runs"])


def test_split_update_instance_says_it_wrote_nothing_to_an_unparsable_file(
    pytester: pytest.Pytester, bugfix_task: Path
) -> None:
    text = '{"instance_id": "T1", "problem_statement": "say "hi""}'
    write(bugfix_task, {"instances/instance.json": text})

    result, _ = split(pytester, "--gtguard-update-instance")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["ERROR --gtguard-update-instance wrote nothing: *instance.json:1:*not strict JSON*unescaped double quote*"]
    )
    assert (bugfix_task / "instances/instance.json").read_text() == text


def test_split_reports_a_utf8_bom_in_the_instance_as_an_error(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    path = bugfix_task / "instances/instance.json"
    path.parent.mkdir()
    path.write_text(instance(FAIL_TO_PASS=["test_add"], PASS_TO_PASS=["test_neg"]), encoding="utf-8-sig")

    result, report = split(pytester)

    assert result.ret == 1
    assert [p["code"] for p in report["problems"]] == ["INSTANCE_BOM"]
    result.stdout.fnmatch_lines(["*INSTANCE_BOM*byte order mark*", "*fix: save it as UTF-8 without BOM*"])


def test_split_reports_a_list_given_as_a_json_string_as_an_error(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    lists = {"FAIL_TO_PASS": json.dumps(["test_add"]), "PASS_TO_PASS": ["test_neg"]}
    write(bugfix_task, {"instances/instance.json": instance(**lists)})  # type: ignore[arg-type]

    result, report = split(pytester)

    assert result.ret == 1
    assert [p["code"] for p in report["problems"]] == ["FAIL_TO_PASS_NOT_A_LIST"]
    assert all(p["severity"] == "error" for p in report["problems"])


def test_split_update_instance_rewrites_a_list_given_as_a_string(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    lists = {"FAIL_TO_PASS": json.dumps(["test_add"]), "PASS_TO_PASS": ["test_neg"]}
    write(bugfix_task, {"instances/instance.json": instance(**lists)})  # type: ignore[arg-type]

    result, _ = split(pytester, "--gtguard-update-instance")

    assert result.ret == 0
    assert json.loads((bugfix_task / "instances/instance.json").read_text())["FAIL_TO_PASS"] == [
        "tests/test_calc.py::test_add"
    ]


def test_split_reports_two_instance_files_that_disagree(pytester: pytest.Pytester, bugfix_task: Path) -> None:
    lists = {"FAIL_TO_PASS": ["test_add"], "PASS_TO_PASS": ["test_neg"]}
    other = json.loads(instance(**lists)) | {"FAIL_TO_PASS": []}
    write(
        bugfix_task,
        {"instances/instance.json": instance(**lists), "instances/instances.json": json.dumps([other])},
    )

    result, report = split(pytester)

    assert result.ret == 1
    assert [p["code"] for p in report["problems"]] == ["INSTANCE_FILES_DISAGREE"]
    result.stdout.fnmatch_lines(
        ["*instances.json, a second instance file besides *instance.json, disagrees on FAIL_TO_PASS*"]
    )
