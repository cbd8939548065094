"""pytest --meta on small task fixtures.

Most runs are in-process: the meta run forks its children itself and every child ends in os._exit, so
the outer interpreter is never resumed in a child. The SIGKILL test needs a real subprocess to kill.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import coverage  # noqa: F401 - keep its C tracer loaded: pytester unloads modules first imported by a run
import pytest

from conftest import process_running

CALC = """\
import os


def is_adult(age):
    return age >= 18


def total(values):
    result = 0
    for v in values:
        result += v
    return result


def countdown(n):
    steps = []
    while n > 0:
        steps.append(n)
        n -= 1
    return steps


def guard(flag):
    if flag is True:
        os._exit(3)
    return "ok"
"""

SUITE = """\
from calc import countdown, guard, is_adult, total


def test_adult():
    assert is_adult(30) is True
    assert is_adult(5) is False


def test_total():
    assert total([1, 2, 3]) == 6


def test_countdown():
    assert countdown(3) == [3, 2, 1]


def test_guard():
    assert guard(False) == "ok"
"""

BOUNDARY_TEST = """\
from calc import is_adult


def test_adult_boundary():
    assert is_adult(18) is True
    assert is_adult(17) is False
"""

BROKEN_SUM = CALC.replace("result += v", "result = v")


@pytest.fixture
def task(pytester: pytest.Pytester) -> pytest.Pytester:
    """A testing task: ground truth and suite in repository_after/, broken variants in tests/resources."""
    pytester.makefile(".ini", pytest="[pytest]\n")
    after = pytester.path / "repository_after"
    (after / "tests").mkdir(parents=True)
    (after / "calc.py").write_text(CALC)
    (after / "tests" / "test_calc.py").write_text(SUITE)
    (pytester.path / "repository_before").mkdir()
    return pytester


def _add_variant(task: pytest.Pytester, name: str, text: str) -> None:
    folder = task.path / "tests" / "resources" / "calc"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(text)


def _report(task: pytest.Pytester, folder: str) -> dict[str, object]:
    return json.loads((task.path / folder / "mutation-report.json").read_text())  # type: ignore[no-any-return]


def _mutants(document: dict[str, object]) -> list[dict[str, object]]:
    files = document["files"]
    assert isinstance(files, dict)
    return [m for info in files.values() for m in info["mutants"]]


def test_meta_kills_hand_written_variant(task: pytest.Pytester) -> None:
    _add_variant(task, "broken_sum", BROKEN_SUM)

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(
        ["*variant broken_sum -> repository_after/calc.py: Killed by *test_total*", "*meta verdict: PASSED*"]
    )
    assert result.ret == 0


def test_meta_fails_when_variant_survives(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_calc.py").write_text(
        SUITE.replace("assert total([1, 2, 3]) == 6", "assert total([5]) == 5")
    )
    _add_variant(task, "broken_sum", BROKEN_SUM)

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(
        [
            "*variant broken_sum -> repository_after/calc.py: Survived*",
            "*FAILED: hand-written variant broken_sum*not caught*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_meta_variant_declared_in_ini_as_patch(task: pytest.Pytester) -> None:
    (task.path / "broken.patch").write_text(
        textwrap.dedent("""\
        --- a/calc.py
        +++ b/calc.py
        @@ -5 +5 @@
        -    return age >= 18
        +    return age > 18
        """)
    )
    (task.path / "pytest.ini").write_text("[pytest]\ngtguard_meta_variants = repository_after/calc.py=broken.patch\n")

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-max-mutants", "1")

    result.stdout.fnmatch_lines(["*variant broken -> repository_after/calc.py: Survived*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_meta_boundary_mutant_survives_without_boundary_case(task: pytest.Pytester) -> None:
    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(["*Survived repository_after/calc.py:5:12:comparison >= -> >*"])


def test_meta_boundary_mutant_killed_with_boundary_case(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_boundary.py").write_text(BOUNDARY_TEST)

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-report", "out")

    mutants = {m["id"]: m for m in _mutants(_report(task, "out"))}
    boundary = mutants["repository_after/calc.py:5:12:comparison"]
    assert boundary["status"] == "Killed"
    assert boundary["killedBy"] == ["repository_after/tests/test_boundary.py::test_adult_boundary"]
    assert result.ret == 0


def test_meta_classifies_infinite_loop_as_timeout_and_os_exit_as_runtime_error(task: pytest.Pytester) -> None:
    task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-report", "out")

    mutants = {m["id"]: m for m in _mutants(_report(task, "out"))}
    assert mutants["repository_after/calc.py:19:9:statement"]["status"] == "Timeout"  # `n -= 1` dropped
    exiting = mutants["repository_after/calc.py:24:8:comparison"]  # `flag is True` -> `is not`
    assert exiting["status"] == "RuntimeError"
    assert "exited with code 3" in exiting["statusReason"]


def test_meta_same_seed_gives_same_mutants_and_results(task: pytest.Pytester) -> None:
    for out, workers in (("one", "2"), ("two", "1")):
        task.runpytest(
            "--meta",
            "-p",
            "no:cacheprovider",
            "--gtguard-meta-seed",
            "7",
            "--gtguard-meta-max-mutants",
            "8",
            f"--gtguard-meta-report={out}",
            f"--gtguard-meta-workers={workers}",
        )

    def verdicts(folder: str) -> list[tuple[object, ...]]:
        return [(m["id"], m["status"], tuple(m["killedBy"])) for m in _mutants(_report(task, folder))]

    assert len(verdicts("one")) == 8
    assert verdicts("one") == verdicts("two")


def test_meta_baseline_failure_names_the_failing_test(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_bad.py").write_text("def test_wrong():\n    assert 1 == 2\n")

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        ["*baseline: the suite must pass on the ground truth; failing: repository_after/tests/test_bad.py::test_wrong*"]
    )


def test_meta_under_xdist_takes_n_as_its_workers_and_starts_no_xdist_worker(task: pytest.Pytester) -> None:
    result = task.runpytest("--meta", "-n", "2", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(["gtguard: -n 2 → 2 meta workers, no xdist workers", "*gtguard meta:*workers 2*"])
    result.stdout.no_fnmatch_line("*created: */* workers*")  # xdist's line when it starts workers
    result.assert_outcomes(passed=4)


def test_meta_min_score_fails_the_run(task: pytest.Pytester) -> None:
    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-min-score", "99")

    result.stdout.fnmatch_lines(["*FAILED: mutation score *% is under --gtguard-meta-min-score 99%*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_meta_reports_requirements_and_findings(task: pytest.Pytester) -> None:
    (task.path / "instances").mkdir()
    (task.path / "instances" / "instance.json").write_text('{"requirements": ["1. Sums values", "2. Counts down"]}')
    (task.path / "repository_after" / "tests" / "test_req.py").write_text(
        textwrap.dedent("""\
        import pytest
        from calc import total

        @pytest.mark.req("R1")
        def test_total_is_an_int():
            assert isinstance(total([1]), int)

        def test_nothing():
            total([1])
        """)
    )

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(
        [
            "*requirement R1 (1. Sums values): * mutants caught by 1 test(s)*",
            "*requirement 2 (2. Counts down): no test carries @pytest.mark.req*",
            "*coverage of the ground truth: lines *",
            "*finding weak-check: test_total_is_an_int*",
            "*finding no-assertion: test_nothing*",
        ]
    )


def _tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _add_many_mutants(task: pytest.Pytester) -> None:
    """Give the ground truth 40 functions (many mutants) and a test for each."""
    many = "\n".join(f"def f{i}(x):\n    return x + {i} if x > {i} else x - {i}\n" for i in range(40))
    (task.path / "repository_after" / "many.py").write_text(many)
    (task.path / "repository_after" / "tests" / "test_many.py").write_text(
        "import many\n\n" + "\n".join(f"def test_f{i}():\n    assert many.f{i}(100) == {100 + i}\n" for i in range(40))
    )


def _meta_until_mutants_start(task: pytest.Pytester) -> subprocess.Popen[bytes]:
    """Start `pytest --meta` in a real process and return it once it says the mutants are running."""
    proc = task.popen(
        [sys.executable, "-m", "pytest", "--meta", "-p", "no:cacheprovider", "--gtguard-meta-workers", "1"],
        stdin=-3,
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        if b"gtguard meta: mutants" in raw:
            break
    return proc


def test_meta_leaves_sources_unchanged_after_normal_run(task: pytest.Pytester) -> None:
    before = _tree_hashes(task.path)

    task.runpytest("--meta", "-p", "no:cacheprovider")

    assert _tree_hashes(task.path) == before


def test_meta_leaves_sources_unchanged_when_killed_midway(task: pytest.Pytester) -> None:
    # A real process is needed to SIGKILL the run while mutants are in flight.
    _add_many_mutants(task)
    before = _tree_hashes(task.path)
    proc = _meta_until_mutants_start(task)
    with proc:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    assert proc.returncode == -signal.SIGKILL
    assert _tree_hashes(task.path) == before


def test_meta_classifies_memory_blowup_as_runtime_error(task: pytest.Pytester) -> None:
    _add_variant(task, "broken_memory", CALC.replace("    result = 0\n", "    result = [0] * 10**12\n"))

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-max-mutants", "1")

    result.stdout.fnmatch_lines(["*variant broken_memory -> repository_after/calc.py: RuntimeError*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_meta_help_lists_the_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")

    result.stdout.fnmatch_lines(
        ["*--meta, --gtguard-meta*", "*--gtguard-meta-seed*=N*", "*--gtguard-meta-min-score*=SCORE*"]
    )


def test_meta_syntax_error_in_ground_truth_names_the_file(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "broken.py").write_text("def f(:\n")

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stderr.fnmatch_lines(["*repository_after/broken.py:1: syntax error in the ground truth*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_meta_operators_option_selects_families(task: pytest.Pytester) -> None:
    task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-operators=boundary", "--gtguard-meta-report=out")

    assert {m["mutatorName"] for m in _mutants(_report(task, "out"))} == {"boundary"}


def test_meta_unknown_operator_is_a_usage_error(task: pytest.Pytester) -> None:
    result = task.runpytest("--meta", "--gtguard-meta-operators=arithmetic,bogus")

    result.stderr.fnmatch_lines(["*--gtguard-meta-operators: unknown operator famil(ies) bogus; choose from*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_meta_without_tests_exits_like_pytest(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_calc.py").write_text("")

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_meta_req_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(["@pytest.mark.req(*ids): requirement id(s) this test checks*"])


def test_meta_flags_tests_that_fail_alone_and_does_not_judge_with_them(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_calc.py").write_text(
        textwrap.dedent("""\
        from calc import total

        STATE = {}

        def test_a_fills_state():
            STATE["total"] = total([1, 2])
            assert STATE["total"] == 3

        def test_b_reads_state():
            assert STATE["total"] == total([2, 1])
        """)
    )

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-report=out")

    result.stdout.fnmatch_lines(["*finding fails-alone: *test_b_reads_state*not used to judge mutants*"])
    killers = {m["killedBy"][0] for m in _mutants(_report(task, "out")) if m["killedBy"]}
    assert killers == {"repository_after/tests/test_calc.py::test_a_fills_state"}


def test_meta_judges_unittest_style_suites(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_calc.py").write_text(
        textwrap.dedent("""\
        import unittest
        from calc import total

        class TotalTest(unittest.TestCase):
            def test_total(self):
                self.assertEqual(total([1, 2, 3]), 6)
        """)
    )
    _add_variant(task, "broken_sum", BROKEN_SUM)

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(
        [
            "*sentinel: forced failure caught by *TotalTest::test_total*",
            "*variant broken_sum -> repository_after/calc.py: Killed by *TotalTest::test_total*",
        ]
    )


def test_meta_calibration_ignores_mutants_the_reference_missed(task: pytest.Pytester) -> None:
    task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-report=ref")

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-calibrate=ref/mutation-report.json")

    result.stdout.fnmatch_lines(["*Ignored 5*", "*mutation score: 100.0% (15/15)*"])


def test_meta_calibration_rejects_a_file_that_is_not_a_report(task: pytest.Pytester) -> None:
    (task.path / "bad.json").write_text("{}")

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-calibrate=bad.json")

    result.stderr.fnmatch_lines(["*--gtguard-meta-calibrate *bad.json: not a mutation report*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_meta_baseline_crash_names_the_test(task: pytest.Pytester) -> None:
    (task.path / "repository_after" / "tests" / "test_zz_exit.py").write_text(
        "import os\n\ndef test_exits():\n    os._exit(0)\n"
    )

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    result.stderr.fnmatch_lines(["*baseline run crashed in repository_after/tests/test_zz_exit.py::test_exits*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_meta_ctrl_c_keeps_and_reports_finished_verdicts(task: pytest.Pytester) -> None:
    # A real process is needed to deliver SIGINT while mutants are in flight.
    _add_many_mutants(task)
    proc = _meta_until_mutants_start(task)
    with proc:
        assert proc.stdout is not None
        proc.send_signal(signal.SIGINT)
        rest = proc.stdout.read().decode()
        proc.wait(timeout=30)

    assert proc.returncode == pytest.ExitCode.INTERRUPTED
    assert "meta verdict: INTERRUPTED (partial results)" in rest
    assert "note: interrupted after" in rest


def test_meta_in_a_task_writes_an_evaluation_report_that_references_its_reports(task: pytest.Pytester) -> None:
    _add_variant(task, "broken_sum", BROKEN_SUM)

    result = task.runpytest("--meta", "-p", "no:cacheprovider")

    assert result.ret == 0
    (evaluation,) = (task.path / "evaluation").glob("*/*/report.json")
    data = json.loads(evaluation.read_text())
    assert data["kind"] == "meta" and data["success"] is True
    assert data["meta"]["variants"][0]["status"] == "Killed"
    assert Path(data["meta"]["mutation_report_json"]) == evaluation.parent / "meta" / "mutation-report.json"
    assert Path(data["meta"]["mutation_report_html"]).is_file()


def test_meta_sentinel_confirms_a_timeout_with_larger_budgets(task: pytest.Pytester) -> None:
    # Failing costs more than passing (here a retry loop burns ~0.3 s of CPU before giving up, where the
    # passing run took a few ms): the first sentinel run times out, the confirming one sees the failure.
    (task.path / "repository_after" / "tests" / "test_calc.py").write_text(
        textwrap.dedent("""\
        import time
        from calc import total

        def test_total_with_retries():
            try:
                assert total([1, 2, 3]) == 6
            except Exception:
                end = time.process_time() + 0.3
                while time.process_time() < end:
                    pass
                raise
        """)
    )

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-operators=return")

    result.stdout.fnmatch_lines(["*sentinel: forced failure caught by *test_total_with_retries*"])
    assert "sentinel run: no test failed" not in result.stderr.str()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a subreaper is Linux's")
def test_meta_children_leave_no_daemon_a_test_started_in_a_session_of_its_own(task: pytest.Pytester) -> None:
    pids = task.path / "pids"
    pids.mkdir()
    daemon = "import os, sys, time; open(sys.argv[1] + '/' + str(os.getpid()), 'w').close(); time.sleep(120)"
    (task.path / "repository_after" / "tests" / "test_daemon.py").write_text(
        textwrap.dedent(
            f"""
            import subprocess, sys, time
            from pathlib import Path


            def test_starts_a_daemon():
                before = set(Path({str(pids)!r}).iterdir())
                subprocess.Popen([sys.executable, "-c", {daemon!r}, {str(pids)!r}], start_new_session=True)
                while set(Path({str(pids)!r}).iterdir()) == before:
                    time.sleep(0.01)
            """
        )
    )

    result = task.runpytest("--meta", "-p", "no:cacheprovider", "--gtguard-meta-max-mutants", "3")

    result.stdout.fnmatch_lines(["*meta verdict:*"])
    daemons = [int(p.name) for p in pids.iterdir()]
    assert daemons  # the baseline's child, at least, ran the test
    assert [pid for pid in daemons if process_running(pid)] == []
