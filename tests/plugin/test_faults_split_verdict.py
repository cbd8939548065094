"""The split's verdict shows what went wrong and judges only on evidence (issue 16).

A module that does not load on after is named with its file, line and exception; a run killed by a
signal or a timeout names the signal and the running test, and its tests are unknown, never F2P or
regressions; failures caused by the other side's code are unknown; a task whose tests mostly cannot
tell the sides apart is not valid. Every case also checks that the task's files are left as they were.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _split_task import BUGGY, FIXED, TESTS, instance, split, write

KILLED_ON_AFTER = """
import os
import signal

from calc import add, neg


def test_add():
    assert add(2, 3) == 5


def test_neg():
    assert neg(2) == -2


def test_zz_loads_everything():
    if os.environ["REPO_PATH"].endswith("repository_after"):
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's out-of-memory killer does
"""

REFERENCE_FIXTURE = """
import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def reference():
    path = Path(__file__).parents[1] / "repository_after" / "calc.py"
    spec = importlib.util.spec_from_file_location("reference_calc", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import calc

    assert calc.add(2, 2) == module.add(2, 2), "the side under test disagrees with the reference"
    return module
"""

USES_REFERENCE = """
def test_one(reference):
    assert reference.add(1, 2) == 3


def test_two(reference):
    assert reference.add(1, 1) == 2


def test_three(reference):
    assert reference.add(0, 1) == 1
"""

READS_AFTER = """
from pathlib import Path

AFTER = Path(__file__).parents[1] / "repository_after" / "calc.py"


def test_source_has_add():
    assert "def add" in AFTER.read_text()


def test_source_has_neg():
    assert "def neg" in AFTER.read_text()


def test_source_is_short():
    assert len(AFTER.read_text().splitlines()) < 10
"""


def _task_files(root: Path) -> dict[str, bytes]:
    """Return the bytes of every file of the task: not the report's folder, nor the caches.

    The outer ``pytest --before --after`` is a plain pytest session, whose cache plugin writes .pytest_cache.
    """
    apart = ("out", "evaluation", ".pytest_cache")
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.parts[len(root.parts)] not in apart
    }


def _task(root: Path, files: dict[str, str] | None = None) -> dict[str, bytes]:
    """Lay out the bug-fix task, with ``files`` added or replaced; return the bytes of its files."""
    layout = {
        "repository_before/calc.py": BUGGY,
        "repository_after/calc.py": FIXED,
        "tests/test_calc.py": TESTS,
        "pytest.ini": "[pytest]\n",
        "instances/instance.json": instance(
            FAIL_TO_PASS=["tests/test_calc.py::test_add"], PASS_TO_PASS=["tests/test_calc.py::test_neg"]
        ),
    }
    layout.update(files or {})
    write(root, layout)
    return _task_files(root)


def test_split_names_the_syntax_error_of_the_after_side_not_the_instance_lists(pytester: pytest.Pytester) -> None:
    files = _task(pytester.path, {"repository_after/calc.py": FIXED.replace("def neg(a):", "def neg(a)")})

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR COLLECTION_ERROR: after: tests/test_calc.py does not load: "
            "repository_after/calc.py:4: SyntaxError: expected ':'",
            "    tests/test_calc.py::test_add",
            "    tests/test_calc.py::test_neg",
            "    fix: fix repository_after/calc.py:4 so that it imports on repository_after*",
            "*gtguard split: task INVALID (exit 1)*",
        ]
    )
    for wrong in ("*REGRESSION*", "*FAIL_TO_PASS_WRONG*", "*PASS_TO_PASS_WRONG*", "*_MISSING*", "*name no test*"):
        result.stdout.no_fnmatch_line(wrong)
    unknown = [u["id"] for u in report["split"]["unknown"]]
    assert unknown == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    assert report["split"]["PASS_TO_FAIL"] == []
    assert report["split"]["collect_errors"] == [
        {
            "side": "after",
            "nodeid": "tests/test_calc.py",
            "location": "repository_after/calc.py:4",
            "exception": "SyntaxError: expected ':'",
        }
    ]
    assert _task_files(pytester.path) == files


def test_split_names_the_import_that_fails_in_the_code_under_test(pytester: pytest.Pytester) -> None:
    files = _task(pytester.path, {"repository_after/calc.py": "import fastcalc_not_installed\n\n" + FIXED})

    result, _ = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR COLLECTION_ERROR: after: tests/test_calc.py does not load: repository_after/calc.py:1: "
            "ModuleNotFoundError: No module named 'fastcalc_not_installed'",
            "    fix: fix repository_after/calc.py:1 *",
        ]
    )
    result.stdout.no_fnmatch_line("*REGRESSION*")
    assert _task_files(pytester.path) == files


def test_split_shows_the_before_sides_collection_errors_as_a_note(pytester: pytest.Pytester) -> None:
    both = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    _task(pytester.path, {"repository_before/calc.py": "", "instances/instance.json": instance(FAIL_TO_PASS=both)})
    (pytester.path / "repository_before" / "calc.py").unlink()  # greenfield: nothing to import on before
    (pytester.path / "repository_before" / ".gitkeep").write_text("")
    files = _task_files(pytester.path)

    result, report = split(pytester)

    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "before: tests/test_calc.py does not load: tests/test_calc.py:2: ModuleNotFoundError: "
            "No module named 'calc'; its 2 test(s) count as failing on before",
            "*gtguard split: task valid (exit 0)*",
        ]
    )
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    assert _task_files(pytester.path) == files


def test_split_names_the_signal_and_the_test_and_scores_no_regression(pytester: pytest.Pytester) -> None:
    files = _task(pytester.path, {"tests/test_calc.py": KILLED_ON_AFTER})

    result, report = split(pytester, "--gtguard-update-instance")

    assert result.ret == 3
    result.stdout.fnmatch_lines(
        [
            "ERROR RUN_FAILED: the after run 1 died of SIGKILL during tests/test_calc.py::test_zz_loads_everything*",
            "    fix: SIGKILL is usually the out-of-memory killer*",
            "ERROR UNKNOWN: 3 test(s) have no evidence either way, so they are in neither list: *",
            "    tests/test_calc.py::test_add",
            "    tests/test_calc.py::test_neg",
            "*--gtguard-update-instance wrote nothing*",
            "*gtguard split: task INVALID (exit 3)*",
        ]
    )
    for wrong in ("*REGRESSION*", "*AFTER_NOT_PASSING*", "*_WRONG*", "*_MISSING*", "*task valid*"):
        result.stdout.no_fnmatch_line(wrong)
    assert report["split"]["PASS_TO_FAIL"] == report["split"]["FAIL_TO_PASS"] == []
    assert {u["id"] for u in report["split"]["unknown"]} == {
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_neg",
        "tests/test_calc.py::test_zz_loads_everything",
    }
    run = report["results"]["after"]["runs"][0]
    assert (run["signal"], run["last_test"]) == ("SIGKILL", "tests/test_calc.py::test_zz_loads_everything")
    assert _task_files(pytester.path) == files  # the instance file too: no list is written without evidence


def test_split_with_a_side_that_never_finishes_judges_nothing(pytester: pytest.Pytester) -> None:
    hangs = BUGGY.replace("    return a - b", "    while True:\n        pass")
    files = _task(pytester.path, {"repository_before/calc.py": hangs})

    result, report = split(pytester, "--gtguard-runs", "1", "--gtguard-run-timeout", "6")

    assert result.ret == 3
    result.stdout.fnmatch_lines(
        [
            "ERROR RUN_FAILED: the before run 1 did not finish in 6 s*; it was running tests/test_calc.py::test_add",
            "    fix: find the hanging test (tests/test_calc.py::test_add), or raise --gtguard-run-timeout*",
            "ERROR UNKNOWN: 2 test(s) have no evidence either way*",
            "*gtguard split: task INVALID (exit 3)*",
        ]
    )
    # No list offered for the instance: the tests that passed on before before the hang are not F2P.
    for wrong in ("*FAIL_TO_PASS_*", "*PASS_TO_PASS_*", "*name no test*", "*NO_FAIL_TO_PASS*", "*task valid*"):
        result.stdout.no_fnmatch_line(wrong)
    assert "--gtguard-update-instance" not in "".join(p["fix"] for p in report["problems"])
    assert report["split"]["FAIL_TO_PASS"] == []
    assert _task_files(pytester.path) == files


def test_split_checks_no_instance_id_against_a_side_that_collected_nothing(pytester: pytest.Pytester) -> None:
    ignore_on_after = (
        "import os\n\ncollect_ignore_glob = ['*.py'] if os.environ['REPO_PATH'].endswith('repository_after') else []\n"
    )
    files = _task(
        pytester.path,
        {
            "tests/conftest.py": ignore_on_after,
            "instances/instance.json": instance(FAIL_TO_PASS=["tests/test_calc.py::test_add", "test_multiply"]),
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR RUN_FAILED: the after run 1 collected no test (exit 5)",
            "    fix: make every run collect the tests*",
            "ERROR UNKNOWN: 2 test(s) have no evidence either way*",
        ]
    )
    for wrong in ("*name no test*", "*AFTER_NOT_PASSING*", "*_WRONG*", "*task valid*"):
        result.stdout.no_fnmatch_line(wrong)
    assert "FAIL_TO_PASS_UNKNOWN_IDS" not in [p["code"] for p in report["problems"]]
    assert _task_files(pytester.path) == files


def test_split_does_not_count_errors_of_a_fixture_that_reached_the_other_side(pytester: pytest.Pytester) -> None:
    files = _task(pytester.path, {"tests/conftest.py": REFERENCE_FIXTURE, "tests/test_reference.py": USES_REFERENCE})

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR UNKNOWN: 2 test(s) have no evidence either way, so they are in neither list: its setup on "
            "before failed like that of tests/test_reference.py::test_*, which used the after side's code "
            "(a fixture they share): tests/conftest.py:*: AssertionError: the side under test disagrees*",
            "*gtguard split: task INVALID (exit 1)*",
        ]
    )
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert len(report["split"]["side_independent"]) == 1
    assert len(report["split"]["unknown"]) == 2
    assert _task_files(pytester.path) == files


def test_split_does_not_count_a_failure_raised_in_the_other_sides_code(pytester: pytest.Pytester) -> None:
    loads_by_path = REFERENCE_FIXTURE.replace(
        '    assert calc.add(2, 2) == module.add(2, 2), "the side under test disagrees with the reference"\n',
        "    module.check()\n",
    )
    checks = FIXED + "\n\ndef check():\n    import calc\n    assert calc.add(2, 2) == 4, 'before is wrong'\n"
    files = _task(
        pytester.path,
        {
            "repository_after/calc.py": checks,
            "tests/conftest.py": loads_by_path,
            "tests/test_reference.py": USES_REFERENCE,
        },
    )

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["ERROR UNKNOWN: 2 test(s) *: its error on before was raised in repository_after/calc.py:*, the other side's*"]
    )
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add"]
    assert _task_files(pytester.path) == files


def test_split_does_not_call_a_mostly_side_independent_task_valid(pytester: pytest.Pytester) -> None:
    files = _task(pytester.path, {"tests/test_source.py": READS_AFTER})

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR MOSTLY_SIDE_INDEPENDENT: 3 of 5 tests are side-independent: only 2 can tell the sides apart*",
            "    fix: *opt in with gtguard_allow_side_independent = true in the task's pytest ini",
            "*gtguard split: task INVALID (exit 1)*",
        ]
    )
    assert report["success"] is False
    assert _task_files(pytester.path) == files


def test_split_accepts_a_mostly_side_independent_task_that_opts_in(pytester: pytest.Pytester) -> None:
    opt_in = "[pytest]\ngtguard_allow_side_independent = true\n"
    files = _task(pytester.path, {"tests/test_source.py": READS_AFTER, "pytest.ini": opt_in})

    result, _ = split(pytester)

    assert result.ret == 0
    result.stdout.fnmatch_lines(["*WARNING SIDE_INDEPENDENT: 3 test(s)*", "*gtguard split: task valid (exit 0)*"])
    result.stdout.no_fnmatch_line("*MOSTLY_SIDE_INDEPENDENT*")
    assert _task_files(pytester.path) == files


def test_gtguard_split_shows_the_after_sides_import_error(tmp_path: Path) -> None:
    files = _task(tmp_path, {"repository_after/calc.py": FIXED.replace("def neg(a):", "def neg(a)")})

    proc = subprocess.run(
        [sys.executable, "-m", "pytest_gtguard.cli", "split", str(tmp_path), "--gtguard-runs", "1"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert proc.returncode == 1, proc.stderr
    pytest.LineMatcher(proc.stdout.splitlines()).fnmatch_lines(
        [
            "*COLLECTION_ERROR: after: tests/test_calc.py does not load: repository_after/calc.py:4: "
            "SyntaxError: expected ':'*",
            "*gtguard split: task INVALID (exit 1)*",
        ]
    )
    assert "REGRESSION" not in proc.stdout
    assert _task_files(tmp_path) == files


ERRORS_ONCE_THEN_FAILS = """
import os
from pathlib import Path

import pytest

from calc import add, neg

MARK = Path(os.environ["GTGUARD_TEST_MARK"])


@pytest.fixture
def first_run_errors():
    if os.environ["REPO_PATH"].endswith("repository_after"):
        try:
            MARK.touch(exist_ok=False)  # exactly one after run gets here first, whatever the order
        except FileExistsError:
            return
        raise RuntimeError("set-up breaks in one run")


def test_add():
    assert add(2, 3) == 5


def test_neg(first_run_errors):
    assert neg(2) == 2  # wrong on both sides: an error in one run, a failure in the others
"""


def test_split_counts_an_after_test_that_never_passes_as_failing_not_flaky(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Error, failed, failed never earns a pass: a consistent -1, not a flaky test the verdict leaves out."""
    monkeypatch.setenv("GTGUARD_TEST_MARK", str(tmp_path / "errored"))
    files = _task(
        pytester.path,
        {
            "tests/test_calc.py": ERRORS_ONCE_THEN_FAILS,
            "instances/instance.json": instance(FAIL_TO_PASS=["tests/test_calc.py::test_add"]),
        },
    )

    result, report = split(pytester, "--gtguard-runs", "3")

    assert (tmp_path / "errored").exists()
    assert result.ret == 1
    result.stdout.no_fnmatch_line("*task valid*")
    assert "tests/test_calc.py::test_neg" not in report["split"]["flaky"]
    assert report["split"]["FAIL_TO_FAIL"] == ["tests/test_calc.py::test_neg"]
    assert _task_files(pytester.path) == files


def test_split_points_a_testing_task_to_meta_instead_of_a_failing_test(pytester: pytest.Pytester) -> None:
    """The suite under judgement of a testing task passes on both sides by design: the fix is ``--meta``."""
    files = _task(
        pytester.path,
        {
            "repository_before/calc.py": FIXED,
            "pytest.ini": "[pytest]\ngtguard_category = testing\n",
        },
    )

    result, _ = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(["*NO_FAIL_TO_PASS*", "*fix: this is a testing task (*pytest --meta*"])
    result.stdout.no_fnmatch_line("*gtguard_expect_f2p = false*")
    assert _task_files(pytester.path) == files


def test_split_says_why_the_after_side_fails_at_each_place_it_fails(pytester: pytest.Pytester) -> None:
    broken = "def add(a, b):\n    return (a + b) / 0\n\ndef neg(a):\n    raise ValueError('not yet')\n"
    files = _task(pytester.path, {"repository_after/calc.py": broken})

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR REGRESSION: 1 test(s) pass on before but fail on after",
            "    | 1 x repository_after/calc.py:5: ValueError: not yet",
            "    tests/test_calc.py::test_neg",
            "ERROR AFTER_NOT_PASSING: 1 test(s) do not pass on after*",
            "    | 1 x repository_after/calc.py:2: ZeroDivisionError: division by zero",
            "    tests/test_calc.py::test_add",
        ]
    )
    result.stdout.no_fnmatch_line("*MISSING_MODULE*")
    problem = next(p for p in report["problems"] if p["code"] == "AFTER_NOT_PASSING")
    assert "ZeroDivisionError: division by zero" in problem["message"]
    assert _task_files(pytester.path) == files


def test_split_names_a_package_the_environment_lacks_instead_of_calling_its_tests_fail_to_pass(
    pytester: pytest.Pytester,
) -> None:
    # The before side's code needs a package this environment lacks (the task's image would have it): its
    # tests fail on before for the environment's sake, so their FAIL_TO_PASS says nothing about the bug.
    files = _task(
        pytester.path,
        {
            "repository_before/calc.py": "import gtguard_fastmath_not_installed\n\n" + BUGGY,
            "requirements.txt": "gtguard-fastmath-not-installed==1.0\npytest==8.3.3\n",
        },
    )

    result, report = split(pytester, "--gtguard-update-instance")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR MISSING_MODULE: tests or test files fail to import module(s) that neither the task holds nor "
            "this environment has: 'gtguard_fastmath_not_installed' (1 on before)*",
            "    fix: install the task's requirements (pip install -r requirements.txt) in the environment that "
            "runs the split, so that 'gtguard_fastmath_not_installed' can be imported, then split again",
            "ERROR --gtguard-update-instance wrote nothing: *the environment lacks what the tests need*MISSING_MODULE*",
            "*gtguard split: task INVALID (exit 1)*",
        ]
    )
    assert report["split"]["FAIL_TO_PASS"] == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    assert _task_files(pytester.path) == files  # the instance's lists were not rewritten from that evidence


def test_split_does_not_call_a_module_of_the_task_missing_from_the_environment(pytester: pytest.Pytester) -> None:
    # A greenfield before side lacks the task's own module: that is the problem the task states, not a gap.
    both = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    _task(pytester.path, {"instances/instance.json": instance(FAIL_TO_PASS=both)})
    (pytester.path / "repository_before" / "calc.py").unlink()

    result, _ = split(pytester)

    assert result.ret == 0
    result.stdout.no_fnmatch_line("*MISSING_MODULE*")


SERVICE_TESTS = """
import os

import pytest
from calc import add


def connect(host):  # what psycopg2 says where the compose network is absent (no DNS lookup made here)
    raise OSError(f'could not translate host name "{host}" to address: Name or service not known')


def test_add_is_stored():
    connect(os.environ.get("DB_HOST", "db"))
    assert add(2, 3) == 5


def test_neg():
    from calc import neg

    assert neg(2) == -2


@pytest.mark.skipif(not os.environ.get("DB_HOST"), reason="DB not available")
def test_add_is_read_back():
    assert add(1, 1) == 2
"""

SERVICE_COMPOSE = """
services:
  db:
    image: postgres:13
  app:
    build: .
    depends_on: [db]
    command: pytest -q tests
"""


def test_split_names_the_compose_service_its_tests_cannot_reach(pytester: pytest.Pytester) -> None:
    # ipobqc (bd_datasets_002): every test connects to the compose service "db", absent outside the compose network.
    files = _task(pytester.path, {"tests/test_calc.py": SERVICE_TESTS, "docker-compose.yml": SERVICE_COMPOSE})

    result, report = split(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "ERROR SERVICE_UNAVAILABLE: tests fail to reach the compose service(s) the task runs beside them: 'db' "
            "(image postgres:13; 2 on after, 2 on before); their outcomes say nothing about the sides",
            "    fix: run the split where the service answers by that name, inside the task's compose network "
            "(`docker compose up -d db`, *",
            "ERROR AFTER_NOT_PASSING: 2 test(s) do not pass on after*",
            "    | 1 x Skipped: DB not available",
            '    | 1 x tests/test_calc.py:*: OSError: could not translate host name "db" to address: Name or service '
            "not known",
        ]
    )
    assert report["problems"][0]["code"] == "SERVICE_UNAVAILABLE"
    assert _task_files(pytester.path) == files
    # Runs made at once would share the database: one at a time unless asked.
    result.stdout.fnmatch_lines(
        [
            "gtguard: split of task *: 2 run(s) per side, 1 at a time, seed 0",
            "gtguard: 1 run at a time: the task runs db (postgres:13) beside its tests, which runs made at once "
            "would share (--gtguard-jobs N runs N at once)",
        ]
    )
    result, _ = split(pytester, "--gtguard-jobs", "2")
    result.stdout.fnmatch_lines(["gtguard: split of task *: 2 run(s) per side, 2 at a time, seed 0"])
    result.stdout.no_fnmatch_line("gtguard: 1 run at a time*")


ORDER_DEPENDENT = """
from calc import add

STATE = []


def test_a_appends():
    STATE.append("a")


def test_b_reads_what_a_left():
    assert STATE == ["a"], f"state is {STATE}"


def test_c():
    assert add(1, 1) == 2


def test_d():
    assert add(2, 2) == 4
"""


def test_split_says_a_flaky_test_depends_on_the_test_order(pytester: pytest.Pytester) -> None:
    # wm08zf (120-datasets): a mock shared at module level made one test fail in every shuffled run.
    _task(pytester.path, {"tests/test_state.py": ORDER_DEPENDENT})

    result, _ = split(pytester, "--gtguard-runs", "3")

    result.stdout.fnmatch_lines(
        [
            "WARNING FLAKY: 1 test(s) changed outcome between runs of one side",
            "    | tests/test_state.py::test_b_reads_what_a_left (before): passes in pytest's order (run 1) and fails "
            "in every shuffled run: it depends on what another test leaves behind; "
            "tests/test_state.py:*: AssertionError: state is *",
        ]
    )
